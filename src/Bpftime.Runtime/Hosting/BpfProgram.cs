using Bpftime.Diagnostics;
using Bpftime.Engines;

namespace Bpftime.Hosting;

/// <summary>
/// One program of a loaded <see cref="BpfObject"/>, ready to run on the engine that was chosen for
/// it. Safe to run from several threads at once; it lives as long as its object.
/// </summary>
public sealed class BpfProgram
{
    private readonly IBpfExecutable _executable;
    private readonly BpfObject _owner;

    internal BpfProgram(BpfObject owner, string name, string? section, IBpfExecutable executable)
    {
        _owner = owner;
        Name = name;
        Section = section;
        _executable = executable;
    }

    public string Name { get; }

    /// <summary>The ELF section the program came from (xdp, socket, ...), when known.</summary>
    public string? Section { get; }

    /// <summary>The engine that runs it: aot, jit, interpreter, or a host-registered one.</summary>
    public string EngineName => _executable.EngineName;

    /// <summary>Runs with r1 = the address of <paramref name="context"/> and r2 = its length; returns r0. The program may write the span.</summary>
    public ulong Run(Span<byte> context)
    {
        ThrowIfDisposed();
        return _executable.Run(context);
    }

    /// <summary>Runs with no context (r1 = r2 = 0).</summary>
    public ulong Run()
    {
        ThrowIfDisposed();
        return _executable.Execute(0, 0);
    }

    /// <summary>Runs with r1 and r2 as given, for contexts the caller already pinned.</summary>
    public ulong Execute(nint context, ulong contextLength)
    {
        ThrowIfDisposed();
        return _executable.Execute(context, contextLength);
    }

    internal IBpfExecutable Executable => _executable;

    private void ThrowIfDisposed()
    {
        if (_owner.IsDisposed)
        {
            throw BpfException.Create(DiagnosticCodes.UsedAfterDispose,
                $"program '{Name}' belongs to an object that was disposed; load the object again", _owner.Origin);
        }
    }

    public override string ToString() => $"{Name} on {EngineName}";
}
