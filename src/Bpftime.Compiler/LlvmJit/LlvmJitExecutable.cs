using Bpftime.Compiler.IrGen;
using Bpftime.Compiler.Llvm;
using Bpftime.Diagnostics;
using Bpftime.Engines;

namespace Bpftime.Compiler.LlvmJit;

/// <summary>
/// A program compiled by ORC LLJIT; the JIT instance owns the code and is freed on dispose. It can be
/// the target of a tail call from another LLVM JIT program running on the same thread.
/// </summary>
public sealed unsafe class LlvmJitExecutable : IBpfExecutable, ITailCallTarget
{
    [ThreadStatic]
    private static int t_tailRuns;

    [ThreadStatic]
    private static LlvmJitExecutable? t_tailTarget;

    [ThreadStatic]
    private static int t_tailCount;

    private readonly object? _keepAlive;
    private readonly ProgramImage _image;
    private readonly CheckedRunOwner? _owner;
    private LLVMOrcLLJITRef _jit;
    private nint _entry;

    internal LlvmJitExecutable(LLVMOrcLLJITRef jit, nint entry, IrProgramInfo info, ProgramImage image, CheckedRunOwner? owner, object? keepAlive)
    {
        _jit = jit;
        _entry = entry;
        _image = image;
        _owner = owner;
        Info = info;
        _keepAlive = keepAlive;
    }

    public string EngineName => LlvmJitEngine.EngineName;

    /// <summary>What the translation found: helpers and maps used, call depth.</summary>
    public IrProgramInfo Info { get; }

    /// <summary>True when the code checks every memory access (the program was not verified).</summary>
    public bool IsChecked => _owner is not null;

    /// <summary>Native address of the entry function.</summary>
    public nint EntryAddress => _entry;

    public ulong Execute(nint context, ulong contextLength)
    {
        if (!Info.UsesTailCalls)
        {
            return RunOnce(context, contextLength);
        }
        t_tailRuns++;
        var previousTarget = t_tailTarget;
        var previousCount = t_tailCount;
        t_tailTarget = null;
        t_tailCount = 0;
        try
        {
            var current = this;
            while (true)
            {
                var r0 = current.RunOnce(context, contextLength);
                if (t_tailTarget is not { } next)
                {
                    return r0;
                }
                // The program returned as soon as bpf_tail_call succeeded: go on in the target, same context.
                t_tailTarget = null;
                current = next;
            }
        }
        finally
        {
            t_tailTarget = previousTarget;
            t_tailCount = previousCount;
            t_tailRuns--;
        }
    }

    /// <summary>Arms a tail call into this program for the LLVM JIT run active on this thread.</summary>
    public long ArmTailCall()
    {
        if (t_tailRuns == 0 || _entry == 0 || t_tailCount >= TailCalls.MaxChain)
        {
            return -Bpftime.Maps.Errno.EINVAL;
        }
        t_tailCount++;
        t_tailTarget = this;
        return 0;
    }

    private ulong RunOnce(nint context, ulong contextLength)
    {
        var entry = _entry;
        if (entry == 0)
        {
            throw BpfException.Create(DiagnosticCodes.JitExecutableDisposed, $"program '{_image.Name}' was disposed and cannot run", _image.Origin, _image.Name);
        }
        if (_owner is null)
        {
            var result = ((delegate* unmanaged<nint, ulong, ulong>)entry)(context, contextLength);
            GC.KeepAlive(_keepAlive);
            ProgramCallback.ThrowIfPendingFault(_image.Name);
            return result;
        }
        LlvmRunState state = default;
        state.ContextStart = (ulong)context;
        state.ContextEnd = (ulong)context + contextLength;
        state.Owner = _owner.Handle;
        state.FixedRegionsLive = _owner.FixedRegionsLive ? 1 : 0;
        ulong value;
        CheckedRunOwner.Enter(&state);
        try
        {
            value = ((delegate* unmanaged<nint, ulong, LlvmRunState*, ulong>)entry)(context, contextLength, &state);
        }
        finally
        {
            CheckedRunOwner.Leave();
        }
        GC.KeepAlive(_keepAlive);
        if (state.Exit == RunStateLayout.Faulted)
        {
            _ = ProgramCallback.TakePendingFault();
            throw _owner.Fault(in state);
        }
        // Faults recorded by helpers (a throwing body) or callbacks while the native code ran.
        ProgramCallback.ThrowIfPendingFault(_image.Name);
        return value;
    }

    public void Dispose()
    {
        if (!_jit.IsNull)
        {
            _entry = 0;
            _ = LLVM.TakeError(LLVM.OrcDisposeLLJIT(_jit));
            _jit = default;
            _owner?.Dispose();
        }
    }
}
