using Bpftime.Diagnostics;

namespace Bpftime.Engines.Aot;

/// <summary>
/// A program of a linked <see cref="AotModule"/>: <c>u64 entry(void* ctx, u64 len)</c> called through
/// the module's run routine, which lets helpers with StopsProgramOnZero end it early with r0 = 0.
/// Disposing it does nothing; the module owns the memory.
/// </summary>
internal sealed unsafe class AotProgramExecutable(AotModule module, string name, nint entry, nint run) : IBpfExecutable
{
    public string EngineName => "aot";

    public string Name => name;

    public nint EntryAddress => entry;

    public ulong Execute(nint context, ulong contextLength)
    {
        ObjectDisposedException.ThrowIf(module.IsDisposed, module);
        AotRunFrame frame = default;
        var previous = AotRunFrame.Current;
        AotRunFrame.Current = &frame;
        ulong result;
        try
        {
            result = ((delegate* unmanaged<nint, ulong, nint, AotRunFrame*, ulong>)run)(context, contextLength, entry, &frame);
        }
        finally
        {
            AotRunFrame.Current = previous;
        }
        module.KeepAlive();
        ProgramCallback.ThrowIfPendingFault(name);
        if (frame.Faulted != 0)
        {
            throw BpfException.Create(DiagnosticCodes.LinkHelperFaultAtRunTime,
                $"program '{name}' called helper #{frame.FaultHelperId} by id (callx), which helper set '{module.Helpers.Name}' does not hold; the call returned -ENOSYS",
                module.Origin, name);
        }
        return result;
    }

    public void Dispose()
    {
    }
}
