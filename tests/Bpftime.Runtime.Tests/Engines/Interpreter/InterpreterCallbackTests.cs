using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Execution;
using Bpftime.Isa;
using static Bpftime.Runtime.Tests.Engines.Interpreter.InterpreterHarness;

namespace Bpftime.Runtime.Tests.Engines.Interpreter;

/// <summary>ld_imm64 src 4 gives a C-callable entry that callback helpers run with <see cref="ProgramCallback.Invoke"/>.</summary>
public sealed class InterpreterCallbackTests
{
    private const int CallTwice = 100;

    // call_twice(fn, arg) = fn(arg) + fn(arg + 1)
    private static readonly Bpftime.Helpers.HelperTable Helpers = HelpersWith(Helper(CallTwice, (fn, arg, _, _, _) =>
        ProgramCallback.Invoke(fn, arg) + ProgramCallback.Invoke(fn, arg + 1)));

    /// <summary>A program whose slot 0 loads the address of the function at <paramref name="function"/> (imm = target - index - 1, as the kernel).</summary>
    private static Instruction[] WithFunction(string source, int function) =>
        Assemble(source).WithLoadImm64(0, LoadImm64Source.CodeAddress, function - 1);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void HelpersRunProgramFunctions(bool verified)
    {
        // f(x) = x * 10, so the result is 10 * 5 + 10 * 6.
        var program = WithFunction("lddw %r1, 0\nmov %r2, 5\ncall 100\nexit\nf:\nmov %r0, %r1\nmul %r0, 10\nexit", 5);
        Assert.Equal(110UL, Run(program, helpers: Helpers, verified: verified));
    }

    [Fact]
    public void CallbacksMayUseTheCallersStack()
    {
        // The caller passes a pointer to its own stack; the checked callback may read it.
        var program = WithFunction("lddw %r1, 0\nstdw [%r10-8], 7\nmov %r2, %r10\nadd %r2, -8\ncall 100\nexit\nf:\nldxb %r0, [%r1+0]\nexit", 7);
        // fn(p) + fn(p + 1): the low byte 7, then the next byte 0.
        Assert.Equal(7UL, Run(program, helpers: Helpers));
    }

    [Fact]
    public void AFaultInsideACallbackIsRaisedAfterTheHelperReturns()
    {
        var program = WithFunction("lddw %r1, 0\nmov %r2, 0\ncall 100\nexit\nf:\nldxb %r0, [%r1+0]\nexit", 5);
        var fault = Assert.Throws<BpfException>(() => Run(program, helpers: Helpers));
        Assert.Equal(DiagnosticCodes.NullPointerAccess, fault.Code);
        Assert.Equal(5, fault.Diagnostic.InstructionIndex);
        Assert.False(ProgramCallback.HasPendingFault);
    }

    [Fact]
    public void ACodeAddressOutsideTheProgramIsRefused()
    {
        var program = Assemble("lddw %r1, 0\nexit").WithLoadImm64(0, LoadImm64Source.CodeAddress, 5);
        Refused(DiagnosticCodes.JumpOutOfRange, program);
    }
}
