using Bpftime.Compiler.IrGen;
using Bpftime.Compiler.Llvm;
using Bpftime.Diagnostics;
using Bpftime.Engines;

namespace Bpftime.Compiler.LlvmJit;

/// <summary>
/// A program compiled by ORC LLJIT; the JIT instance owns the code and is freed on dispose. It can be
/// the target of a tail call from another LLVM JIT program running on the same thread.
/// </summary>
public sealed unsafe class LlvmJitExecutable : IBpfExecutable, ITailCallTarget, ITailCallRunnable
{
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
        return TailCallChain<LlvmJitExecutable>.Run(this, context, contextLength);
    }

    /// <summary>Arms a tail call into this program for the LLVM JIT run active on this thread.</summary>
    public long ArmTailCall() => TailCallChain<LlvmJitExecutable>.Arm(this);

    bool ITailCallRunnable.CanBeEntered => _entry != 0;

    ulong ITailCallRunnable.RunOnce(nint context, ulong contextLength) => RunOnce(context, contextLength);

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
        state.Budget = (ulong)_owner.ExecutionBudget;
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
