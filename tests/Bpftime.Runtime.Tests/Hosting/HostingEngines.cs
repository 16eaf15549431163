using Bpftime.Compiler.Aot;
using Bpftime.Helpers;
using Bpftime.Hosting;
using Bpftime.Objects;
using Bpftime.Tests.Maps;

namespace Bpftime.Tests.Hosting;

/// <summary>
/// Whole objects on every bytecode engine, plus "native": the object compiled ahead of time as the
/// build does (each program proved or trusted as asked) and loaded as native code.
/// </summary>
internal static class HostingEngines
{
    public const string Native = "native";

    /// <summary>Theory data: every bytecode engine, and native code when LLVM is here to compile it.</summary>
    public static TheoryData<string> WithNative
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var engine in TestEngines.All.Where(e => e.Name != BpfLoadOptions.AotEngine))
            {
                data.Add(engine.Name);
            }
            if (TestEngines.All.Any(e => e.Name == BpfLoadOptions.AotEngine))
            {
                data.Add(Native);
            }
            return data;
        }
    }

    public static BpfLoadOptions Options(string engine) => new()
    {
        Engine = engine == Native ? BpfLoadOptions.AutoEngine : engine,
        Engines = TestEngines.Registry,
        ReadEnvironment = false,
        Helpers = StandardHelpers.CreateDefault(TraceSink.Discard),
    };

    /// <summary>
    /// Loads <paramref name="path"/> on <paramref name="engine"/>; for "native", compiles it first with
    /// every program unchecked and recorded as proved (<paramref name="proved"/>) or trusted, for a
    /// raw-memory context of <paramref name="contextSize"/> bytes, as <c>bpftime build</c> would.
    /// </summary>
    public static BpfObject Load(string path, string engine, int? contextSize = null, bool proved = true, BpfLoadOptions? options = null)
    {
        options ??= Options(engine) with { ContextSize = contextSize };
        if (engine != Native)
        {
            return BpfObject.Load(path, options);
        }
        return BpfObject.Load(Compile(path, contextSize, proved, runsUnchecked: true), options, Path.GetFileName(path));
    }

    /// <summary>The object as native code: unchecked (proved or trusted) or checked.</summary>
    public static byte[] Compile(string path, int? contextSize, bool proved, bool runsUnchecked)
    {
        var bytes = File.ReadAllBytes(path);
        var file = ObjectReader.Read(bytes, path);
        var compilation = AotCompilation.FromObject(file, StandardHelpers.CreateDefault(TraceSink.Discard), bytes) with
        {
            Programs = [.. file.Programs.Select(p => new AotProgramSource(p.Name, p.ToArray())
            {
                Section = p.Section,
                Verified = runsUnchecked,
                Proved = runsUnchecked && proved,
                ContextSize = p.Type == ProgramType.Xdp ? null : contextSize,
            })],
        };
        return AotCompiler.Compile(compilation).Bytes;
    }
}
