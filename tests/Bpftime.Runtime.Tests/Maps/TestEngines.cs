using Bpftime.Engines;
using Bpftime.Engines.Interpreter;
using Bpftime.Engines.X64;
using Bpftime.Helpers;
using Bpftime.Hosting;
using Bpftime.Isa;
using Bpftime.Maps;

namespace Bpftime.Tests.Maps;

/// <summary>Every engine the tests can run here (the runtime's own plus any the host registered), by name.</summary>
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
        var jit = new X64JitEngine();
        if (jit.IsAvailable(out _))
        {
            engines.Add(jit);
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
