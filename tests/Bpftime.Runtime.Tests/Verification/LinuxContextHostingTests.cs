using System.Buffers.Binary;
using Bpftime.Diagnostics;
using Bpftime.Hosting;
using Bpftime.Tests.Hosting;
using Bpftime.Tests.Objects;

namespace Bpftime.Tests.Verification;

/// <summary>
/// Hostile: a tc program that is safe on Linux's __sk_buff (data..data_end checked) but runs here on a
/// raw buffer whose bytes 76..84 the caller (or an attacker) fills. The loader must verify it against
/// that raw buffer, where the "pointer" is a number: it is refused and runs checked, so the read of
/// the forged address faults instead of touching host memory.
/// </summary>
public sealed class LinuxContextHostingTests
{
    private static byte[] TcObject()
    {
        var code = VerifierKit.Assemble("""
            ldxw %r2, [%r1+76]
            ldxw %r3, [%r1+80]
            mov %r4, %r2
            add %r4, 1
            jgt %r4, %r3, out
            ldxb %r0, [%r2+0]
            exit
            out:
            mov %r0, 0
            exit
            """);
        var elf = new ElfBuilder();
        var section = elf.Code("tc", code);
        elf.Symbol("forged_data", section, 0, (ulong)(code.Length * 8));
        return elf.Build();
    }

    [Theory]
    [MemberData(nameof(Maps.TestEngines.BytecodeNames), MemberType = typeof(Maps.TestEngines))]
    public void ATcProgramLoadedOnRawMemoryIsNotProvenAgainstSkBuff(string engine)
    {
        using var loaded = BpfObject.Load(TcObject(), HostingEngines.Options(engine) with { ContextSize = 128 });
        var program = loaded.Programs["forged_data"];
        Assert.Equal("tc", program.Section);
        Assert.False(program.IsVerified, "a proof against __sk_buff would let the forged data pointer through unchecked");
        Assert.Equal(BpfContextKind.RawMemory, program.ContextKind);
        var context = new byte[128];
        BinaryPrimitives.WriteUInt32LittleEndian(context.AsSpan(76), 0x1000);
        BinaryPrimitives.WriteUInt32LittleEndian(context.AsSpan(80), 0x2000);
        Assert.Throws<BpfException>(() => program.Run(context));
    }
}
