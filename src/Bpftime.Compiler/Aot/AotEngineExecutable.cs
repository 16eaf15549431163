using Bpftime.Engines;
using Bpftime.Engines.Aot;
using Bpftime.Execution;

namespace Bpftime.Compiler.Aot;

/// <summary>One program of a module the engine linked for it alone; disposing it frees the module.</summary>
internal sealed class AotEngineExecutable(AotModule module, IBpfExecutable program) : IBpfExecutable, ITailCallTarget
{
    public string EngineName => AotEngine.EngineName;

    public AotModule Module => module;

    public ulong Execute(nint context, ulong contextLength) => program.Execute(context, contextLength);

    /// <summary>A tail call into this program continues in the linked program itself.</summary>
    public long ArmTailCall() => program is ITailCallTarget target ? target.ArmTailCall() : -Bpftime.Maps.Errno.EINVAL;

    public void Dispose() => module.Dispose();
}
