using System.Runtime.InteropServices;
using System.Text;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Maps;
using Bpftime.Tests.Maps;
using static Bpftime.Tests.Engines.X64.Bpf;

namespace Bpftime.Tests.Helpers;

public unsafe class HelperTests
{
    private static string Format(string format, params ulong[] arguments)
    {
        var output = new StringBuilder();
        var result = PrintfFormatter.Format(Encoding.ASCII.GetBytes(format + "\0"), arguments, output);
        return result == 0 ? output.ToString() : $"error {result}";
    }

    [Fact]
    public void FormatsAsTheKernel()
    {
        Assert.Equal("-1 4294967295 ffffffff", Format("%d %u %x", ulong.MaxValue, ulong.MaxValue, ulong.MaxValue));
        Assert.Equal("-1 18446744073709551615 ffffffffffffffff", Format("%ld %lu %lx", ulong.MaxValue, ulong.MaxValue, ulong.MaxValue));
        Assert.Equal("-5 7 ABC", Format("%lld %llu %llX", unchecked((ulong)-5L), 7, 0xabc));
        Assert.Equal("[   42] [42   ] [00042] [+42] [-0042]", Format("[%5d] [%-5d] [%05d] [%+d] [%05d]", 42, 42, 42, 42, unchecked((ulong)-42L)));
        Assert.Equal("x 100% 0x1f", Format("%c 100%% %p", 'x', 0x1f));
        Assert.Equal("7 i", Format("%i %c", 7, 'i'));
        Assert.Equal("error -22", Format("%d %d %d %d", 1, 2, 3));
        Assert.Equal("error -22", Format("%f", 1));
        Assert.Equal("error -22", Format("%5.2d", 1));
        var text = Marshal.StringToHGlobalAnsi("hello");
        try
        {
            Assert.Equal("<hello>", Format("<%s>", (ulong)text));
            Assert.Equal("<>", Format("<%s>", 16)); // unreadable: empty, as the kernel
        }
        finally
        {
            Marshal.FreeHGlobal(text);
        }
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void TracePrintkWritesToTheChosenSink(string engine)
    {
        var lines = new List<string>();
        var helpers = StandardHelpers.CreateDefault(TraceSink.ToDelegate(lines.Add));
        // "n=%d\n" on the stack, then trace_printk(fmt, 6, ctx[0])
        var format = Encoding.ASCII.GetBytes("n=%d\n\0\0\0");
        var code = Program(
            LdImm64(1, BitConverter.ToInt64(format)),
            Stx(MemorySize.DoubleWord, 10, 1, -8),
            Ldx(MemorySize.DoubleWord, 3, 1, 0),
            Mov64Reg(1, 10),
            Alu64(AluOperation.Add, 1, -8),
            Mov64(2, 6),
            Call(HelperIds.TracePrintk),
            Exit());
        // r1 is overwritten by the format before the context is read: read the context first instead.
        code[3] = Ldx(MemorySize.DoubleWord, 3, 6, 0);
        code = [Mov64Reg(6, 1), .. code];
        using var program = TestEngines.Load(engine, code, [], helpers);
        Assert.Equal(6UL, program.Run(BitConverter.GetBytes(-12L)));
        Assert.Equal(["n=-12"], lines);
    }

    [Fact]
    public void ProbeReadReturnsEfaultInsteadOfFaulting()
    {
        var buffer = stackalloc byte[16];
        var source = stackalloc byte[16];
        for (var i = 0; i < 16; i++)
        {
            source[i] = (byte)(i + 1);
            buffer[i] = 0xee;
        }
        var read = ProbeReadHelpers.ProbeReadUser.Implementation;
        Assert.Equal(0UL, read((ulong)buffer, 16, (ulong)source, 0, 0));
        Assert.Equal(16, buffer[15]);
        Assert.Equal(unchecked((ulong)-Errno.EFAULT), read((ulong)buffer, 16, 8, 0, 0));
        Assert.Equal(0, buffer[0]);
        Assert.Equal(0, buffer[15]);
        Assert.Equal(unchecked((ulong)-Errno.EFAULT), ProbeReadHelpers.ProbeReadKernel.Implementation((ulong)buffer, 8, 0xdead_0000_0000, 0, 0));

        var text = Marshal.StringToHGlobalAnsi("abcdef");
        try
        {
            var readString = ProbeReadHelpers.ProbeReadStr.Implementation;
            Assert.Equal(7UL, readString((ulong)buffer, 16, (ulong)text, 0, 0));
            Assert.Equal("abcdef", Marshal.PtrToStringAnsi((nint)buffer));
            Assert.Equal(4UL, readString((ulong)buffer, 4, (ulong)text, 0, 0));
            Assert.Equal("abc", Marshal.PtrToStringAnsi((nint)buffer));
            Assert.Equal(unchecked((ulong)-Errno.EFAULT), readString((ulong)buffer, 16, 24, 0, 0));
        }
        finally
        {
            Marshal.FreeHGlobal(text);
        }
    }

    [Fact]
    public void StringHelpersCompareAndFormat()
    {
        var a = Marshal.StringToHGlobalAnsi("abcd");
        var b = Marshal.StringToHGlobalAnsi("abce");
        var format = Marshal.StringToHGlobalAnsi("%d-%s!");
        var target = stackalloc byte[8];
        try
        {
            var strncmp = StringHelpers.Strncmp.Implementation;
            Assert.Equal(0UL, strncmp((ulong)a, 3, (ulong)b, 0, 0));
            Assert.Equal(unchecked((ulong)-1L), strncmp((ulong)a, 4, (ulong)b, 0, 0));
            Assert.Equal(1UL, strncmp((ulong)b, 4, (ulong)a, 0, 0));
            var data = stackalloc ulong[2] { 123, (ulong)a };
            var snprintf = StringHelpers.Snprintf.Implementation;
            Assert.Equal(10UL, snprintf((ulong)target, 8, (ulong)format, (ulong)data, 16));
            Assert.Equal("123-abc", Marshal.PtrToStringAnsi((nint)target));
            Assert.Equal(unchecked((ulong)-Errno.EINVAL), snprintf((ulong)target, 8, (ulong)format, (ulong)data, 12));
        }
        finally
        {
            Marshal.FreeHGlobal(a);
            Marshal.FreeHGlobal(b);
            Marshal.FreeHGlobal(format);
        }
    }

    [Fact]
    public void ProcessAndTimeHelpersAnswerForThisProcess()
    {
        var pidTgid = ProcessHelpers.GetCurrentPidTgid.Implementation(0, 0, 0, 0, 0);
        Assert.Equal((ulong)Environment.ProcessId, pidTgid >> 32);
        Assert.NotEqual(0U, (uint)pidTgid);
        var comm = stackalloc byte[16];
        Assert.Equal(0UL, ProcessHelpers.GetCurrentComm.Implementation((ulong)comm, 16, 0, 0, 0));
        Assert.False(string.IsNullOrEmpty(Marshal.PtrToStringAnsi((nint)comm)));
        var first = TimeHelpers.KtimeGetNs.Implementation(0, 0, 0, 0, 0);
        var second = TimeHelpers.KtimeGetNs.Implementation(0, 0, 0, 0, 0);
        Assert.True(second >= first);
        Assert.True(TimeHelpers.KtimeGetBootNs.Implementation(0, 0, 0, 0, 0) >= first / 2);
        Assert.True(TimeHelpers.KtimeGetCoarseNs.Implementation(0, 0, 0, 0, 0) > 0);
        Assert.True(TimeHelpers.GetSmpProcessorId.Implementation(0, 0, 0, 0, 0) < (ulong)PerCpu.SlotCount);
        var randoms = Enumerable.Range(0, 8).Select(_ => TimeHelpers.GetPrandomU32.Implementation(0, 0, 0, 0, 0)).ToHashSet();
        Assert.True(randoms.Count > 1);
        Assert.All(randoms, r => Assert.True(r <= uint.MaxValue));
    }

    [Fact]
    public void NamedSetsAndPrototypesFollowLinux()
    {
        var table = StandardHelpers.CreateDefault();
        Assert.Equal("map_value_or_null(map,key)", table.Find(1)!.Prototype.Signature);
        Assert.Equal("i64(map,key,value,scalar)", table.Find(2)!.Prototype.Signature);
        Assert.Equal("ringbuf_record_or_null(map,scalar,scalar)", table.Find(131)!.Prototype.Signature);
        Assert.Equal("i64(scalar,func,stack_ptr_or_null,scalar)", table.Find(181)!.Prototype.Signature);
        foreach (var id in new[] { 1, 2, 3, 4, 5, 6, 7, 8, 12, 14, 15, 16, 44, 45, 65, 87, 88, 89, 112, 113, 114, 115, 125, 130, 131, 132, 133, 134, 160, 164, 165, 181, 182 })
        {
            Assert.NotNull(table.Find(id));
        }
        Assert.Equal("xdp", StandardHelpers.Create("xdp")!.Name);
        Assert.Equal(ConformanceHelpers.TableName, StandardHelpers.Create("conformance")!.Name);
        Assert.Null(StandardHelpers.Create("nope"));
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void HostHelpersAreCallable(string engine)
    {
        var table = StandardHelpers.CreateDefault()
            .AddHostHelper(1000, "triple_sum", HelperPrototype.Of(HelperReturnKind.Integer, HelperArgumentKind.Scalar, HelperArgumentKind.Scalar),
                (a, b, _, _, _) => 3 * (a + b));
        using var program = TestEngines.Load(engine, Program(Mov64(1, 4), Mov64(2, 5), Call(1000), Exit()), [], table);
        Assert.Equal(27UL, program.Execute(0, 0));
        var error = Assert.Throws<BpfException>(() => StandardHelpers.CreateDefault().AddHostHelper(999, "x", HelperPrototype.Unchecked, (_, _, _, _, _) => 0));
        Assert.Equal(DiagnosticCodes.HostHelperIdReserved, error.Code);
    }
}
