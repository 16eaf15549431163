using Bpftime.Compiler.Aot;
using Bpftime.Compiler.LlvmJit;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Engines.Interpreter;
using Bpftime.Engines.X64;
using Bpftime.Helpers;
using Bpftime.Isa;

namespace Bpftime.Tests.Compiler;

/// <summary>A helper whose body throws must end the run with a BPF fault on every engine, never take the process down.</summary>
public sealed class NativeHelperFaultTests
{
    public static TheoryData<string> Engines => new() { "interpreter", "jit", "llvm-jit", "aot" };

    [SkippableTheory]
    [MemberData(nameof(Engines))]
    public void ThrowingHelperBecomesAFault(string engineName)
    {
        IBpfEngine engine = engineName switch
        {
            "interpreter" => InterpreterEngine.Instance,
            "jit" => new X64JitEngine(),
            "llvm-jit" => new LlvmJitEngine(),
            _ => new AotEngine(),
        };
        Skip.IfNot(engine.IsAvailable(out var why), why ?? engineName);
        var helpers = new HelperTable("test", [
            new HelperFunction(1000, "explode", HelperPrototype.Unchecked, (_, _, _, _, _) => throw new InvalidOperationException("host state is gone")),
        ]);
        var program = Assembler.Assemble("mov %r1, 1\ncall 1000\nmov %r0, 7\nexit");
        using var executable = engine.Load(new ProgramImage("explode", program, helpers), EngineOptions.Default);

        var error = Assert.ThrowsAny<BpfException>(() => executable.Execute(0, 0));

        Assert.Contains("host state is gone", error.ToString());
        // The thread is left clean: a second program run after the fault is unaffected.
        using var plain = engine.Load(new ProgramImage("plain", Assembler.Assemble("mov %r0, 9\nexit"), helpers), EngineOptions.Default);
        Assert.Equal(9ul, plain.Execute(0, 0));
    }
}
