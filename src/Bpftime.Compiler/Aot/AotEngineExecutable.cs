using Bpftime.Engines;
using Bpftime.Engines.Aot;

namespace Bpftime.Compiler.Aot;

/// <summary>One program of a module the engine linked for it alone; disposing it frees the module.</summary>
internal sealed class AotEngineExecutable(AotModule module, IBpfExecutable program) : IBpfExecutable
{
    public string EngineName => AotEngine.EngineName;

    public AotModule Module => module;

    public ulong Execute(nint context, ulong contextLength) => program.Execute(context, contextLength);

    public void Dispose() => module.Dispose();
}
