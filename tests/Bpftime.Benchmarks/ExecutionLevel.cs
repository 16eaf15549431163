using Bpftime.Compiler.Aot;
using Bpftime.Compiler.LlvmJit;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Engines.Aot;
using Bpftime.Engines.Interpreter;
using Bpftime.Engines.X64;
using Bpftime.Execution;
using Bpftime.Linking.Native;

namespace Bpftime.Benchmarks;

/// <summary>
/// One row of every table: an engine at one optimisation level, trusted (<c>Verified</c>) or checked,
/// or <c>native</c> (the kernel's C compiled natively and linked by the runtime's AOT linker).
/// </summary>
internal sealed record ExecutionLevel(string Name, IBpfEngine? Engine, int OptimizationLevel = 3, bool Verified = true)
{
    private static readonly LlvmJitEngine LlvmJit = new();
    private static readonly AotEngine Aot = new();

    /// <summary>Every level, slowest first; native last.</summary>
    public static IReadOnlyList<ExecutionLevel> All { get; } =
    [
        new("interpreter", InterpreterEngine.Instance),
        new("interpreter/checked", InterpreterEngine.Instance, Verified: false),
        new("jit", X64JitEngine.Instance),
        new("jit/checked", X64JitEngine.Instance, Verified: false),
        new("llvm-jit O0", LlvmJit, 0),
        new("llvm-jit O3", LlvmJit, 3),
        new("llvm-jit O3/checked", LlvmJit, 3, Verified: false),
        new("aot O0", Aot, 0),
        new("aot O3", Aot, 3),
        new("aot O3/checked", Aot, 3, Verified: false),
        new(NativeExecutable.LevelName, null),
    ];

    /// <summary>The levels this machine can run (the LLVM ones need libLLVM), with the reason for each one left out.</summary>
    public static IReadOnlyList<ExecutionLevel> Available(TextWriter? notes = null)
    {
        var available = new List<ExecutionLevel>();
        foreach (var level in All)
        {
            if (level.Engine is { } engine && !engine.IsAvailable(out var reason))
            {
                notes?.WriteLine($"> {level.Name} left out: {reason}");
                continue;
            }
            available.Add(level);
        }
        return available;
    }

    public static ExecutionLevel Named(string name) =>
        All.SingleOrDefault(l => l.Name == name) ?? throw new ArgumentException($"no level '{name}'; levels: {string.Join(", ", All.Select(l => l.Name))}", nameof(name));

    public bool IsNative => Engine is null;

    public IBpfExecutable Load(BenchProgram program)
    {
        if (Engine is null)
        {
            return LinkNative(program);
        }
        var image = new ProgramImage(program.Name, program.Code, program.Helpers) { Verified = Verified, Maps = program.Maps };
        return Engine.Load(image, new EngineOptions { OptimizationLevel = OptimizationLevel });
    }

    /// <summary>Links the program's native object; it has no metadata, so only the BPF3120 warning is expected.</summary>
    public static NativeExecutable LinkNative(BenchProgram program)
    {
        var module = AotLinker.Link(program.NativeObject, new AotLinkOptions { Helpers = program.Helpers, Maps = program.Maps, Origin = program.Name + " (native)" });
        try
        {
            var unexpected = module.Warnings.Where(w => w.Code != DiagnosticCodes.LinkMetadataAbsent).ToList();
            if (unexpected.Count > 0)
            {
                throw new InvalidOperationException($"linking native '{program.Name}' warned: {string.Join("; ", unexpected)}");
            }
            return new NativeExecutable(module, module.GetProgram(program.NativeSymbol));
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    /// <summary>Compiles the program to an AOT object once (for timing the linker alone), checked unless <paramref name="verified"/>.</summary>
    public static AotObject CompileAot(BenchProgram program, int optimizationLevel, bool verified = false) => AotCompiler.Compile(new AotCompilation
    {
        Programs = [new AotProgramSource(program.Name, program.Code) { Verified = verified }],
        Maps = [.. program.Maps.Select(m => m.Spec)],
        Helpers = program.Helpers,
        OptimizationLevel = optimizationLevel,
    });

    public override string ToString() => Name;
}
