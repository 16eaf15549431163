using Bpftime.Engines;
using Bpftime.Engines.Aot;
using Bpftime.Execution;
using Bpftime.Linking.Native;

namespace Bpftime.Benchmarks;

/// <summary>A natively compiled C function linked by <see cref="AotLinker"/>: runs through the same call path as an aot program, and owns its module.</summary>
internal sealed class NativeExecutable(AotModule module, IBpfExecutable program) : IBpfExecutable
{
    public const string LevelName = "native";

    public string EngineName => LevelName;

    public AotModule Module => module;

    public ulong Execute(nint context, ulong contextLength) => program.Execute(context, contextLength);

    public void Dispose() => module.Dispose();
}
