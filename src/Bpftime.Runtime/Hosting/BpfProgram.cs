using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Execution;
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

    private readonly ProgramContext _context;
    private readonly bool _runsUnchecked;

    // Runs through this handle; read only when a metrics listener collects (BpftimeMetrics.Runs).
    private long _runCount;

    internal BpfProgram(BpfObject owner, string name, string? section, IBpfExecutable executable, ProgramVerdict verdict)
    {
        _owner = owner;
        Name = name;
        Section = section;
        _executable = executable;
        IsVerified = verdict.IsVerified;
        IsTrustedUnchecked = verdict.IsTrustedUnchecked;
        IsTerminationProven = verdict.IsVerified && verdict.TerminationProven;
        Verification = verdict.Result;
        _context = verdict.Context;
        _runsUnchecked = verdict.RunsUnchecked;
    }

    public string Name { get; }

    /// <summary>The ELF section the program came from (xdp, socket, ...), when known.</summary>
    public string? Section { get; }

    /// <summary>The engine that runs it: aot, jit, interpreter, or a host-registered one.</summary>
    public string EngineName => _executable.EngineName;

    /// <summary>
    /// True when the program runs without run-time memory checks because a verifier proved it safe: at
    /// load (bytecode), or in the build (native code whose metadata records the proof). False: the
    /// engine checks every memory access (<see cref="VerificationDiagnostics"/> says why), or the code
    /// is <see cref="IsTrustedUnchecked"/>.
    /// </summary>
    public bool IsVerified { get; }

    /// <summary>
    /// True for native code compiled without run-time memory checks that no verifier proved safe
    /// (MemoryChecks=off, <c>bpftime compile --memory-checks off</c>, or an object older than the
    /// record of proofs): it runs unchecked on the word of whoever built it. Never true with
    /// <see cref="IsVerified"/>; <see cref="BpfLoadOptions.RequireVerification"/> refuses such code.
    /// </summary>
    public bool IsTrustedUnchecked { get; }

    /// <summary>
    /// True when a verifier proved every loop of the program ends, so it runs without the execution
    /// budget's counter. False for verified programs whose loops it could not bound (memory-safe; they
    /// run under <see cref="BpfLoadOptions.ExecutionBudget"/>, see <see cref="VerificationResult.UnprovenLoops"/>),
    /// and for every program that is not <see cref="IsVerified"/>.
    /// </summary>
    public bool IsTerminationProven { get; }

    /// <summary>What r1 must point at: the context the program was verified or compiled for, which decides the calls that may run it.</summary>
    public BpfContextKind ContextKind => _context.Kind;

    /// <summary>Bytes of context the program may read: the raw-memory size it was proved for, or the host struct's size; 0 otherwise.</summary>
    public int ContextSize => _context.Size;

    /// <summary>The C name of the host struct for <see cref="BpfContextKind.HostStruct"/>, else null.</summary>
    public string? ContextTypeName => _context.TypeName;

    /// <summary>The verifier's verdict at load, for bytecode verified then; null for native code and when verification was off.</summary>
    public VerificationResult? Verification { get; }

    /// <summary>The verifier's findings at load (errors first say why the program runs with checks); empty when it did not run.</summary>
    public IReadOnlyList<BpfDiagnostic> VerificationDiagnostics => Verification?.Diagnostics ?? [];

    /// <summary>How many times the program was started through this handle (every Run, Execute and RunXdp, faults included), as <see cref="BpftimeMetrics.Runs"/> reports it.</summary>
    public long RunCount => Volatile.Read(ref _runCount);

    /// <summary>Runs with r1 = the address of <paramref name="context"/> and r2 = its length; returns r0. The program may write the span.</summary>
    public ulong Run(Span<byte> context)
    {
        ThrowIfDisposed();
        CheckContext(ContextCall.Span, (ulong)context.Length, null);
        Interlocked.Increment(ref _runCount);
        try
        {
            return _executable.Run(context);
        }
        catch (BpfException error) when (CountFault(error))
        {
            throw;
        }
    }

    /// <summary>Runs with no context (r1 = r2 = 0).</summary>
    public ulong Run()
    {
        ThrowIfDisposed();
        CheckContext(ContextCall.None, 0, null);
        return Start(0, 0);
    }

    /// <summary>
    /// Runs with r1 and r2 as given, for contexts the caller already pinned. Unlike the Run overloads it
    /// trusts the caller entirely: no check of the context's kind or size. A verified program may read
    /// the first <see cref="ContextSize"/> bytes at r1 whatever r2 says, one verified for
    /// <see cref="BpfContextKind.MemoryWithLength"/> reads and writes r2 bytes at r1, and an XDP program
    /// takes r1 for an xdp_md whose data pointers it follows: the caller must provide exactly that.
    /// </summary>
    public ulong Execute(nint context, ulong contextLength)
    {
        ThrowIfDisposed();
        return Start(context, contextLength);
    }

    /// <summary>Runs on a struct the caller pinned (Run(ref T) and Run(ref T, type)).</summary>
    internal ulong RunStruct(nint context, ulong size, BpfContextType? type)
    {
        ThrowIfDisposed();
        CheckContext(type is null ? ContextCall.Struct : ContextCall.TypedStruct, size, type);
        return Start(context, size);
    }

    /// <summary>Runs on a buffer of <paramref name="size"/> bytes the caller pinned, telling the program only <paramref name="length"/> of them (RunOnCopy).</summary>
    internal ulong RunPadded(nint context, ulong size, ulong length)
    {
        ThrowIfDisposed();
        CheckContext(ContextCall.Span, size, null);
        return _executable.Execute(context, Math.Min(length, size));
    }

    /// <summary>Runs on an XDP frame's xdp_md (RunXdp).</summary>
    internal ulong RunXdpFrame(nint context, ulong length)
    {
        ThrowIfDisposed();
        CheckContext(ContextCall.Xdp, length, null);
        return Start(context, length);
    }

    /// <summary>Runs on a socket buffer's __sk_buff (RunSocketBuffer).</summary>
    internal ulong RunSocketBufferContext(nint context, ulong length)
    {
        ThrowIfDisposed();
        CheckContext(ContextCall.SocketBuffer, length, null);
        return Start(context, length);
    }

    /// <summary>Every run goes through here: one interlocked increment, and a fault counted on its way out (the filter never catches).</summary>
    private ulong Start(nint context, ulong length)
    {
        Interlocked.Increment(ref _runCount);
        try
        {
            return _executable.Execute(context, length);
        }
        catch (BpfException error) when (CountFault(error))
        {
            throw;
        }
    }

    private bool CountFault(BpfException error)
    {
        BpftimeMetrics.Fault(_owner.Name, Name, error.Diagnostic.Code);
        return false;
    }

    internal IBpfExecutable Executable => _executable;

    internal BpfObject Owner => _owner;

    /// <summary>Whether the program may bpf_tail_call (or call helpers by register): then every target must fit its context.</summary>
    internal bool MayTailCall { get; init; } = true;

    /// <summary>
    /// Refuses a tail-call target that would read this program's context unchecked with more than the
    /// host is made to give: a tail call passes r1 and r2 on as they are, so an unchecked target needs
    /// the same kind of context, the same host struct, and no more raw bytes than this program's runs
    /// guarantee. Checked targets and targets proved not to read their context fit any caller.
    /// </summary>
    internal void CheckTailCallTarget(BpfProgram target)
    {
        if (!MayTailCall || !target._runsUnchecked || target._context.Kind == BpfContextKind.None)
        {
            return;
        }
        var guaranteed = _runsUnchecked ? _context.Size : 0;
        var kind = _context.Kind == BpfContextKind.None ? BpfContextKind.RawMemory : _context.Kind;
        var fits = target._context.Kind == kind && target._context.Kind switch
        {
            BpfContextKind.HostStruct => target._context.TypeName == _context.TypeName,
            BpfContextKind.RawMemory => target._context.Size <= guaranteed,
            _ => true,
        };
        if (!fits)
        {
            throw BpfException.Create(DiagnosticCodes.InvalidTailCallTarget,
                $"program '{target.Name}' runs unchecked for {target._context}, so it cannot be a tail-call target of '{Name}', which is run with {(guaranteed == 0 && kind == BpfContextKind.RawMemory ? "raw memory of no guaranteed size" : _context.ToString())}; " +
                "load the object so that callers and targets share their context (program type, BpfLoadOptions.ContextSize or context type)",
                _owner.Origin, target.Name);
        }
    }

    private enum ContextCall
    {
        Span,
        None,
        Struct,
        TypedStruct,
        Xdp,
        SocketBuffer,
    }

    /// <summary>
    /// A program runs only with the context it was loaded for: a verified (or trusted) program reads
    /// its context without run-time checks, so an XDP program given ordinary bytes would follow
    /// whatever they hold as packet pointers, and one proved for N bytes would read past a shorter
    /// buffer. Checked code gets the same kind rules, so that a call is right or wrong on every engine alike.
    /// </summary>
    private void CheckContext(ContextCall call, ulong length, BpfContextType? type)
    {
        var kind = _context.Kind;
        if ((kind == BpfContextKind.XdpFrame) != (call == ContextCall.Xdp))
        {
            throw WrongKind(call == ContextCall.Xdp ? "an XDP frame" : CallDescription(call));
        }
        if ((kind == BpfContextKind.SocketBuffer) != (call == ContextCall.SocketBuffer))
        {
            throw WrongKind(CallDescription(call));
        }
        if (kind == BpfContextKind.SocketBuffer)
        {
            return;
        }
        if (kind == BpfContextKind.HostStruct)
        {
            if (call is ContextCall.Span or ContextCall.None)
            {
                throw WrongKind(CallDescription(call));
            }
            if (call == ContextCall.TypedStruct && type!.Name != _context.TypeName)
            {
                throw WrongKind($"host struct '{type.Name}'");
            }
            if (length != (ulong)_context.Size)
            {
                throw WrongKind($"a struct of {length} bytes");
            }
            return;
        }
        if (kind == BpfContextKind.MemoryWithLength)
        {
            // r2 is the length the program trusts: every call but a declared host struct passes the real
            // one (a span's, a struct's, 0 with no context). A typed struct belongs to another contract.
            if (call == ContextCall.TypedStruct)
            {
                throw WrongKind($"host struct '{type!.Name}'");
            }
            return;
        }
        if (_runsUnchecked && length < (ulong)_context.Size)
        {
            throw BpfException.Create(DiagnosticCodes.ContextTooSmall,
                $"program '{Name}' was {(IsVerified ? "verified" : "compiled unchecked")} for a {_context.Size}-byte context and runs unchecked, but was given {length} byte(s); pass at least {_context.Size}, or load with a smaller BpfLoadOptions.ContextSize",
                _owner.Origin, Name);
        }
    }

    private static string CallDescription(ContextCall call) => call switch
    {
        ContextCall.Span => "a span of bytes",
        ContextCall.None => "no context",
        ContextCall.Xdp => "an XDP frame",
        ContextCall.SocketBuffer => "a socket buffer",
        _ => "a struct",
    };

    private BpfException WrongKind(string given) => BpfException.Create(DiagnosticCodes.WrongContextKind,
        $"program '{Name}' was {(IsVerified ? "verified" : "loaded")} for {_context} but was given {given}; run it with {RightCall()}",
        _owner.Origin, Name);

    private string RightCall() => _context.Kind switch
    {
        BpfContextKind.XdpFrame => "RunXdp(frame) or RunXdp(packet)",
        BpfContextKind.SocketBuffer => "RunSocketBuffer(buffer) or RunSocketBuffer(packet)",
        BpfContextKind.MemoryWithLength => "Run(span), Run(ref context) or Run() (r2 = the length)",
        BpfContextKind.HostStruct => $"Run(ref context, type) where type is the BpfContextType '{_context.TypeName}' given in BpfLoadOptions.ContextTypes (or Run(ref context) with a {_context.Size}-byte struct)",
        _ => _context.Size == 0 ? "Run(span), Run(ref context) or Run()" : $"Run(span) or Run(ref context) with at least {_context.Size} bytes",
    };

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
