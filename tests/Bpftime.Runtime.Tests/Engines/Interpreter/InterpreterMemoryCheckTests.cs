using System.Globalization;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Isa;
using Bpftime.Maps;
using static Bpftime.Runtime.Tests.Engines.Interpreter.InterpreterHarness;

namespace Bpftime.Runtime.Tests.Engines.Interpreter;

/// <summary>Unverified programs fault with a BPF40xx code instead of touching memory they do not own.</summary>
public sealed class InterpreterMemoryCheckTests
{
    [Fact]
    public void ContextReadsAndWritesStayInsideTheContext()
    {
        Assert.Equal(0x04030201UL, Run("ldxw %r0, [%r1+0]\nexit", [1, 2, 3, 4]));
        var read = Fault(DiagnosticCodes.ContextAccessOutOfBounds, 0, "ldxw %r0, [%r1+1]\nexit", [1, 2, 3, 4]);
        Assert.Contains("read of 4 byte(s)", read.Message);
        Assert.Contains("instruction 0", read.Message);
        Assert.Contains("4 bytes", read.Message);
        var write = Fault(DiagnosticCodes.ContextAccessOutOfBounds, 1, "mov %r0, 0\nstw [%r1+2], 1\nexit", [1, 2, 3, 4]);
        Assert.Contains("write of 4 byte(s)", write.Message);
        Fault(DiagnosticCodes.ContextAccessOutOfBounds, 0, "ldxb %r0, [%r1-1]\nexit", [1, 2, 3, 4]);
    }

    [Fact]
    public unsafe void TheFaultNamesTheAddress()
    {
        var memory = new byte[8];
        fixed (byte* start = memory)
        {
            using var executable = Load(Assemble("ldxdw %r0, [%r1+8]\nexit"));
            var address = (ulong)start + 8;
            var context = (nint)start;
            var fault = Assert.Throws<BpfException>(() => executable.Execute(context, 8));
            Assert.Contains("0x" + address.ToString("x", CultureInfo.InvariantCulture), fault.Message);
        }
    }

    [Fact]
    public void StackAccessesStayInsideTheLiveFrames()
    {
        Assert.Equal(7UL, Run("stdw [%r10-512], 7\nldxdw %r0, [%r10-512]\nexit"));
        // Underflow: below the frame. Overflow: at or above r10 of the entry frame.
        Fault(DiagnosticCodes.StackAccessOutOfBounds, 0, "ldxdw %r0, [%r10-520]\nexit");
        Fault(DiagnosticCodes.StackAccessOutOfBounds, 0, "stdw [%r10+0], 1\nexit");
        Fault(DiagnosticCodes.StackAccessOutOfBounds, 0, "stw [%r10-2], 1\nexit");
        // A callee may not reach below its own frame, and after a return the callee's frame is gone.
        Fault(DiagnosticCodes.StackAccessOutOfBounds, 2, "call local f\nexit\nf:\nstdw [%r10-513], 1\nexit");
        Fault(DiagnosticCodes.StackAccessOutOfBounds, 1, "call local f\nldxdw %r0, [%r0-8]\nexit\nf:\nmov %r0, %r10\nexit");
    }

    [Fact]
    public void NullAndUnknownPointersFault()
    {
        Fault(DiagnosticCodes.NullPointerAccess, 1, "mov %r1, 0\nldxw %r0, [%r1+16]\nexit");
        var forged = Fault(DiagnosticCodes.UnknownMemoryAccess, 2, "lddw %r1, 0x00007f0000001000\nldxdw %r0, [%r1+0]\nexit");
        Assert.Contains("0x7f0000001000", forged.Message);
        Assert.Contains("8 byte(s)", forged.Message);
    }

    [Fact]
    public void AStalePointerIntoADisposedMapFaults()
    {
        var map = ArrayMap.Create("gone", 8, 1);
        var program = Assemble("lddw %r1, 0\nldxdw %r0, [%r1+0]\nexit").WithLoadImm64(0, LoadImm64Source.MapValueByIndex, 0);
        using var executable = Load(program, maps: [map]);
        Assert.Equal(0UL, executable.Execute(0, 0));
        map.Dispose();
        var fault = Assert.Throws<BpfException>(() => executable.Execute(0, 0));
        Assert.Equal(DiagnosticCodes.UnknownMemoryAccess, fault.Code);
        Assert.Equal(2, fault.Diagnostic.InstructionIndex); // ld_imm64 takes slots 0 and 1
    }

    [Fact]
    public void ReadOnlyMapValuesRefuseWrites()
    {
        using var rodata = ArrayMap.Create(".rodata", 8, 1, readOnlyForPrograms: true);
        rodata.GetValue(0)[0] = 42;
        var read = Assemble("lddw %r1, 0\nldxb %r0, [%r1+0]\nexit").WithLoadImm64(0, LoadImm64Source.MapValueByIndex, 0);
        Assert.Equal(42UL, Run(read, maps: [rodata]));
        var write = Assemble("lddw %r1, 0\nstb [%r1+0], 1\nexit").WithLoadImm64(0, LoadImm64Source.MapValueByIndex, 0);
        var fault = Fault(DiagnosticCodes.WriteToReadOnlyMemory, 2, write, maps: [rodata]);
        Assert.Contains("read-only", fault.Message);
        var atomic = Assemble("lddw %r1, 0\nmov %r2, 1\nlock add [%r1+0], %r2\nexit").WithLoadImm64(0, LoadImm64Source.MapValueByIndex, 0);
        Fault(DiagnosticCodes.WriteToReadOnlyMemory, 3, atomic, maps: [rodata]);
        Assert.Equal(42, rodata.GetValue(0)[0]);
    }

    [Fact]
    public void AccessesRunningPastAMapValueFault()
    {
        using var map = ArrayMap.Create("small", 8, 1);
        var program = Assemble("lddw %r1, 0\nldxdw %r0, [%r1+4]\nexit").WithLoadImm64(0, LoadImm64Source.MapValueByIndex, 0);
        Fault(DiagnosticCodes.MapValueAccessOutOfBounds, 2, program, maps: [map]);
    }

    [Fact]
    public void MisalignedAtomicsFault()
    {
        Fault(DiagnosticCodes.MisalignedAtomicAccess, 1, "mov %r1, 1\nlock add [%r10-12], %r1\nexit");
        Fault(DiagnosticCodes.MisalignedAtomicAccess, 1, "mov %r1, 1\nlock add32 [%r10-6], %r1\nexit");
    }

    [Fact]
    public unsafe void VerifiedProgramsRunWithoutChecks()
    {
        // The buffer is 16 bytes but the program is told 4: only the checked run refuses the read past r2.
        var buffer = new byte[16];
        buffer[8] = 9;
        using var trusted = Load(Assemble("ldxb %r0, [%r1+8]\nexit"), verified: true);
        using var checkedRun = Load(Assemble("ldxb %r0, [%r1+8]\nexit"), verified: false);
        fixed (byte* start = buffer)
        {
            var context = (nint)start;
            Assert.Equal(9UL, trusted.Execute(context, 4));
            Assert.Equal(DiagnosticCodes.ContextAccessOutOfBounds, Assert.Throws<BpfException>(() => checkedRun.Execute(context, 4)).Code);
        }
    }

    [Fact]
    public void HelpersMayBePassedStackPointers()
    {
        ulong seen = 0;
        var helpers = HelpersWith(Helper(50, (r1, _, _, _, _) =>
        {
            unsafe
            {
                seen = *(ulong*)r1;
                *(ulong*)r1 = 77;
            }
            return 0;
        }));
        Assert.Equal(77UL, Run("stdw [%r10-8], 66\nmov %r1, %r10\nadd %r1, -8\ncall 50\nldxdw %r0, [%r10-8]\nexit", helpers: helpers));
        Assert.Equal(66UL, seen);
    }
}
