using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Verification;

namespace Bpftime.Hosting;

/// <summary>
/// One program of a loaded <see cref="BpfObject"/>, ready to run on the engine that was chosen for
/// it. Safe to run from several threads at once; it lives as long as its object.
/// </summary>
public sealed class BpfProgram
{
    private readonly IBpfExecutable _executable;
    private readonly BpfObject _owner;

    private readonly int _requiredContextSize;

    internal BpfProgram(BpfObject owner, string name, string? section, IBpfExecutable executable, ProgramVerdict verdict)
    {
        _owner = owner;
        Name = name;
        Section = section;
        _executable = executable;
        IsVerified = verdict.IsVerified;
        Verification = verdict.Result;
        _requiredContextSize = verdict.IsVerified ? verdict.RequiredContextSize : 0;
    }

    public string Name { get; }

    /// <summary>The ELF section the program came from (xdp, socket, ...), when known.</summary>
    public string? Section { get; }

    /// <summary>The engine that runs it: aot, jit, interpreter, or a host-registered one.</summary>
    public string EngineName => _executable.EngineName;

    /// <summary>
    /// True when the program runs without run-time memory checks because it was proved safe: by the
    /// verifier at load (bytecode), or by the build (native code compiled unchecked). False: the
    /// engine checks every memory access, and <see cref="VerificationDiagnostics"/> says why.
    /// </summary>
    public bool IsVerified { get; }

    /// <summary>The verifier's verdict at load, for bytecode verified then; null for native code and when verification was off.</summary>
    public VerificationResult? Verification { get; }

    /// <summary>The verifier's findings at load (errors first say why the program runs with checks); empty when it did not run.</summary>
    public IReadOnlyList<BpfDiagnostic> VerificationDiagnostics => Verification?.Diagnostics ?? [];

    /// <summary>Runs with r1 = the address of <paramref name="context"/> and r2 = its length; returns r0. The program may write the span.</summary>
    public ulong Run(Span<byte> context)
    {
        ThrowIfDisposed();
        CheckContextSize((ulong)context.Length);
        return _executable.Run(context);
    }

    /// <summary>Runs with no context (r1 = r2 = 0).</summary>
    public ulong Run()
    {
        ThrowIfDisposed();
        CheckContextSize(0);
        return _executable.Execute(0, 0);
    }

    /// <summary>
    /// Runs with r1 and r2 as given, for contexts the caller already pinned. A verified program may
    /// read the first <see cref="BpfLoadOptions.ContextSize"/> bytes at r1 whatever r2 says: the
    /// caller must provide them.
    /// </summary>
    public ulong Execute(nint context, ulong contextLength)
    {
        ThrowIfDisposed();
        return _executable.Execute(context, contextLength);
    }

    internal IBpfExecutable Executable => _executable;

    /// <summary>A verified program runs unchecked and may touch every byte of the context it was verified with, so a shorter span is refused.</summary>
    private void CheckContextSize(ulong length)
    {
        if (length < (ulong)_requiredContextSize)
        {
            throw BpfException.Create(DiagnosticCodes.ContextTooSmall,
                $"program '{Name}' was verified for a {_requiredContextSize}-byte context and runs unchecked, but was given {length} byte(s); pass at least {_requiredContextSize}, or load with a smaller BpfLoadOptions.ContextSize",
                _owner.Origin, Name);
        }
    }

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
