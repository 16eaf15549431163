using Bpftime.Compiler.Aot;
using Bpftime.Compiler.LlvmJit;
using Bpftime.Engines;
using Bpftime.Engines.Interpreter;
using Bpftime.Engines.X64;

namespace Bpftime.Sandbox.Fuzz.Running;

/// <summary>The engines the fuzzer runs, by the names users type.</summary>
internal static class FuzzEngines
{
    public static IReadOnlyList<string> Names { get; } = ["interpreter", "jit", "llvm-jit", "aot"];

    public static IBpfEngine Create(string name) => name switch
    {
        "interpreter" => InterpreterEngine.Instance,
        "jit" => new X64JitEngine(),
        "llvm-jit" => new LlvmJitEngine(),
        "aot" => new AotEngine(),
        _ => throw new ArgumentException($"unknown engine '{name}'; expected one of {string.Join(", ", Names)}"),
    };
}
