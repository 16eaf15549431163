using Bpftime.Compiler.IrGen;
using Bpftime.Compiler.Llvm;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Engines.Aot;
using Bpftime.Execution;
using Bpftime.Isa;

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
        // Callbacks may run only the entries this program produced: find them by name and register them.
        foreach (var symbol in CallbackSymbols(image))
        {
            if (LLVM.TakeError(LLVM.OrcLLJITLookup(jit, out var address, symbol)) is null && address != 0)
            {
                ProgramCallback.Register((nint)address, this);
            }
        }
    }

    /// <summary>The symbol of the program's entry function in its JIT instance.</summary>
    internal const string EntrySymbol = "bpf_entry";

    /// <summary>Names of the callback entries the IR generator emits for the program's code addresses (ld_imm64 src 4).</summary>
    private static IEnumerable<string> CallbackSymbols(ProgramImage image)
    {
        var instructions = image.Instructions.ToArray();
        var targets = new SortedSet<long>();
        for (var i = 0; i + 1 < instructions.Length; i++)
        {
            if (instructions[i].IsLoadImm64 && instructions[i].Src == (byte)LoadImm64Source.CodeAddress)
            {
                targets.Add(i + 1L + instructions[i].Imm);
            }
        }
        return targets.Select(t => $"{EntrySymbol}.callback{t}");
    }

    /// <summary>Gives the callback entries external linkage so the JIT can name their addresses (they are still reached only through code addresses).</summary>
    internal static void ExportCallbacks(LLVMModuleRef module, ProgramImage image)
    {
        foreach (var symbol in CallbackSymbols(image))
        {
            var function = LLVM.GetNamedFunction(module, symbol);
            if (!function.IsNull)
            {
                LLVM.SetLinkage(function, LLVMLinkage.LLVMExternalLinkage);
            }
        }
    }

    public string EngineName => LlvmJitEngine.EngineName;

    /// <summary>What the translation found: helpers and maps used, call depth.</summary>
    public IrProgramInfo Info { get; }

    /// <summary>True when the code checks every memory access (the program was not verified).</summary>
    public bool IsChecked => !_image.Verified;

    /// <summary>True when the code counts back-edges, local calls and callbacks against the execution budget (checked, or not proven to end).</summary>
    public bool CountsBudget => _owner is not null;

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
            // Verified code records its live frames in the run state (and uses its exit flag); nothing else of it.
            LlvmRunState frames = default;
            var verified = ActiveRuns.Enter(this, checksMemory: false, (ulong)context, contextLength, _image.Maps, _image.Name, _image.Origin);
            verified.SetStackSource(&frames.StackBottom, &frames.StackTop);
            ulong result;
            try
            {
                result = ((delegate* unmanaged<nint, ulong, LlvmRunState*, ulong>)entry)(context, contextLength, &frames);
            }
            finally
            {
                ActiveRuns.Leave(verified);
            }
            GC.KeepAlive(_keepAlive);
            ProgramCallback.ThrowIfPendingFault(_image.Name);
            return result;
        }
        LlvmRunState state = default;
        state.ContextStart = (ulong)context;
        state.ContextEnd = (ulong)context + contextLength;
        state.Owner = _owner.Handle;
        state.FixedRegionsLive = !_image.Verified && _owner.FixedRegionsLive ? 1 : 0;
        state.Budget = (ulong)_owner.ExecutionBudget;
        ulong value;
        var run = ActiveRuns.Enter(this, checksMemory: !_image.Verified, (ulong)context, contextLength, _image.Maps, _image.Name, _image.Origin);
        run.SetStackSource(&state.StackBottom, &state.StackTop);
        CheckedRunOwner.Enter(&state);
        try
        {
            value = ((delegate* unmanaged<nint, ulong, LlvmRunState*, ulong>)entry)(context, contextLength, &state);
        }
        finally
        {
            ActiveRuns.Leave(run);
            CheckedRunOwner.Leave();
        }
        GC.KeepAlive(_keepAlive);
        if (state.Exit == AotCheckedAbi.Faulted)
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
            ProgramCallback.Unregister(this);
            _entry = 0;
            _ = LLVM.TakeError(LLVM.OrcDisposeLLJIT(_jit));
            _jit = default;
            _owner?.Dispose();
        }
    }
}
