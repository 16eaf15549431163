using Bpftime.Helpers;
using Bpftime.Hosting;
using Bpftime.Tests.Maps;

namespace Bpftime.Tests.Hosting;

/// <summary>Loads the objects built from tests/data/c/programs on a named engine.</summary>
internal static class RealPrograms
{
    public static string PathOf(string name) => Path.Combine(TestPaths.DataDirectory, "c", "programs", "obj", name + ".bpf.o");

    public static BpfObject Load(string name, string engine, TraceSink? trace = null) =>
        BpfObject.Load(PathOf(name), new BpfLoadOptions
        {
            Engine = engine,
            Engines = TestEngines.Registry,
            ReadEnvironment = false,
            Helpers = StandardHelpers.CreateDefault(trace ?? TraceSink.Discard),
        });
}
