using Bpftime.Compiler.Aot;
using Bpftime.Compiler.LlvmJit;
using Bpftime.Engines;
using Bpftime.Engines.Interpreter;
using Bpftime.Engines.X64;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Hosting;
using Bpftime.Isa;
using Bpftime.Maps;

namespace Bpftime.Tests.Maps;

/// <summary>Every engine the tests can run here (the runtime's own, the LLVM ones where libLLVM loads, and any the host registered), by name.</summary>
internal static class TestEngines
{
    public static IReadOnlyList<IBpfEngine> All { get; } = Collect();

    /// <summary>Theory data: one row per available engine.</summary>
    public static TheoryData<string> Names
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var engine in All)
            {
                data.Add(engine.Name);
            }
            return data;
        }
    }

    /// <summary>
    /// Theory data for whole objects loaded with <see cref="BpfObject.Load(string, BpfLoadOptions?)"/>: every
    /// engine but "aot", which by the hosting policy runs only native code compiled at build time.
    /// </summary>
    public static TheoryData<string> BytecodeNames
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var engine in All.Where(e => e.Name != BpfLoadOptions.AotEngine))
            {
                data.Add(engine.Name);
            }
            return data;
        }
    }

    /// <summary>Engines that check memory at run time for unverified programs (every engine but native code compiled ahead of time).</summary>
    public static TheoryData<string> CheckedNames => Data(All.Where(e => e.Name != BpfLoadOptions.AotEngine));

    /// <summary>
    /// Engines whose programs can be tail-call targets (see <see cref="TailCalls"/>): the interpreter, the
    /// jit, and any engine whose executables implement <see cref="ITailCallTarget"/>.
    /// </summary>
    public static TheoryData<string> TailCallNames => Data(All.Where(SupportsTailCalls));

    /// <summary>Like <see cref="TailCallNames"/>, for whole objects loaded from bytecode.</summary>
    public static TheoryData<string> TailCallBytecodeNames => Data(All.Where(e => e.Name != BpfLoadOptions.AotEngine && SupportsTailCalls(e)));

    private static TheoryData<string> Data(IEnumerable<IBpfEngine> engines)
    {
        var data = new TheoryData<string>();
        foreach (var engine in engines)
        {
            data.Add(engine.Name);
        }
        return data;
    }

    private static bool SupportsTailCalls(IBpfEngine engine)
    {
        Instruction[] code = [new(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Mov, OperandSource.Immediate), 0, 0, 0, 0), new(Opcodes.Exit, 0, 0, 0, 0)];
        using var executable = engine.Load(new ProgramImage("probe", code, StandardHelpers.CreateDefault()), EngineOptions.Default);
        return executable is ITailCallTarget or X64JitExecutable;
    }

    /// <summary>A registry of every available engine, for loading whole objects on a named one.</summary>
    public static EngineRegistry Registry
    {
        get
        {
            var registry = new EngineRegistry();
            foreach (var engine in All)
            {
                registry.Register(engine);
            }
            return registry;
        }
    }

    public static IBpfEngine Get(string name) => All.First(e => e.Name == name);

    /// <summary>Loads hand-written code with the default helpers and the given maps (checked unless <paramref name="verified"/>).</summary>
    public static IBpfExecutable Load(string engine, Instruction[] code, IReadOnlyList<BpfMap> maps, HelperTable? helpers = null, bool verified = false) =>
        Get(engine).Load(new ProgramImage("test", code, helpers ?? StandardHelpers.CreateDefault()) { Maps = maps, Verified = verified }, EngineOptions.Default);

    private static List<IBpfEngine> Collect()
    {
        var engines = new List<IBpfEngine> { InterpreterEngine.Instance };
        IBpfEngine[] candidates = [new X64JitEngine(), new LlvmJitEngine(), new AotEngine()];
        foreach (var candidate in candidates)
        {
            if (candidate.IsAvailable(out _))
            {
                engines.Add(candidate);
            }
        }
        foreach (var engine in BpfEngines.Default.Engines)
        {
            if (engines.All(e => e.Name != engine.Name) && engine.IsAvailable(out _))
            {
                engines.Add(engine);
            }
        }
        return engines;
    }
}
