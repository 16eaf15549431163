using System.Globalization;
using System.Runtime.InteropServices;
using Bpftime.Diagnostics;
using Bpftime.Engines.Checked;
using Bpftime.Engines.Native;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;

namespace Bpftime.Engines.X64;

/// <summary>
/// A program compiled by <see cref="X64JitEngine"/>: machine code in read-execute memory (written
/// first, then sealed: W^X), entered as <c>u64 f(ctx, len, RunState*)</c>. Each run keeps its state
/// on the caller's stack, so one executable may run on several threads at once.
/// Helpers are called through guards that catch their exceptions (nothing may unwind through
/// generated code); the run then leaves and the exception is raised here, as the interpreter does.
/// </summary>
public sealed unsafe class X64JitExecutable : IBpfExecutable, ITailCallTarget
{
    [ThreadStatic]
    private static RunState* t_current;

    [ThreadStatic]
    private static Exception? t_helperFailure;

    [ThreadStatic]
    private static int t_callbackDepth;

    private readonly ProgramImage _image;
    private readonly Dictionary<HelperFunction, GuardedHelper> _guards = [];
    private readonly Dictionary<int, Callback> _callbacks = [];
    private readonly byte[] _machineCode;
    private readonly Execution.MemoryRegion[][] _mapRegions;
    private readonly int[] _instructionOffsets;
    private readonly List<Execution.MemoryRegion> _fixedRegions = [];
    private readonly List<Maps.BpfMap> _fixedMaps = [];
    private ExecutableMemory? _memory;
    private GCHandle _self;
    private nint _entry;
    private nint _callbackEntry;
    private readonly long _executionBudget;

    internal X64JitExecutable(ProgramImage image, EngineOptions? options = null)
    {
        _image = image;
        _executionBudget = (options ?? EngineOptions.Default).ExecutionBudget;
        // A snapshot of each map's regions, scanned without allocating on every checked map access;
        // the live list is consulted only when the snapshot does not cover an address (maps that grow).
        // A map of maps' regions change with its slots: it is asked on each access, never copied.
        _mapRegions = [.. image.Maps.Select(m => m.IsDisposed || m.HoldsMaps ? [] : m.ValueRegions.ToArray())];
        var instructions = image.Instructions.Span;
        for (var i = 0; i + 1 < instructions.Length; i++)
        {
            if (instructions[i].IsLoadImm64 && instructions[i].Src == (byte)LoadImm64Source.CodeAddress)
            {
                var target = i + 1 + instructions[i].Imm;
                if (!_callbacks.ContainsKey(target))
                {
                    _callbacks[target] = new Callback(this, target);
                }
            }
        }
        if (!image.Verified)
        {
            CollectFixedRegions(image);
        }
        var bindings = new JitBindings(MemoryChecker.Entry, GuardFor, target => _callbacks[target].Entry) { FixedRegions = _fixedRegions };
        var compiled = X64Compiler.Compile(image, bindings, _executionBudget);
        var memory = ExecutableMemory.Allocate((nuint)compiled.Code.Length);
        try
        {
            compiled.Code.CopyTo(memory.Writable);
            memory.MakeExecutable();
            memory.Seal();
        }
        catch
        {
            memory.Dispose();
            throw;
        }
        _machineCode = compiled.Code;
        _instructionOffsets = compiled.InstructionOffsets;
        _memory = memory;
        _entry = memory.Address + compiled.EntryOffset;
        _callbackEntry = compiled.CallbackEntryOffset >= 0 ? memory.Address + compiled.CallbackEntryOffset : 0;
        foreach (var callback in _callbacks.Values)
        {
            callback.Function = memory.Address + compiled.InstructionOffsets[callback.Target];
            ProgramCallback.Register(callback.Entry, this);
        }
        BodyEntry = memory.Address + compiled.BodyEntryOffset;
        FrameSize = compiled.FrameSize;
        _self = GCHandle.Alloc(this, GCHandleType.Weak);
    }

    /// <summary>Value blocks of array and global-data maps, which stay put for the map's life, tested inline by checked code.</summary>
    private void CollectFixedRegions(ProgramImage image) => _fixedMaps.AddRange(FixedRegions.Collect(image.Maps, _fixedRegions));

    /// <summary>Whether the inline test of the fixed regions may be used for a run starting now (1) or not (0).</summary>
    private int FixedRegionsLive => _fixedMaps.TrueForAll(m => !m.IsDisposed) ? 1 : 0;

    public string EngineName => X64JitEngine.EngineName;

    /// <summary>The generated machine code as placed in memory (for disassembly and inspection).</summary>
    public ReadOnlySpan<byte> MachineCode => _machineCode;

    /// <summary>Where the code of each instruction slot starts in <see cref="MachineCode"/>, plus the end of the body.</summary>
    public ReadOnlySpan<int> InstructionOffsets => _instructionOffsets;

    /// <summary>Where the code starts.</summary>
    public nint EntryAddress => _entry != 0 ? _entry : throw Disposed();

    /// <summary>The entry after the prologue, where a tail call from another program of this engine continues.</summary>
    public nint BodyEntry { get; private set; }

    /// <summary>Bytes of one eBPF stack frame.</summary>
    public int FrameSize { get; }

    public ulong Execute(nint context, ulong contextLength)
    {
        var entry = _entry;
        if (entry == 0)
        {
            throw Disposed();
        }
        RunState state = default;
        // A null context has no bytes, whatever length the caller gave.
        state.SetContext((ulong)context, context == 0 ? 0 : (ulong)context + contextLength);
        state.Owner = GCHandle.ToIntPtr(_self);
        state.FixedRegionsLive = _fixedMaps.Count == 0 ? 0 : FixedRegionsLive;
        // The generated code fills in the frame block; helpers read it from the run state when they ask.
        // Entered first: a refusal (runs nested too deep) must leave nothing of this run behind.
        var run = ActiveRuns.Enter(this, !_image.Verified, (ulong)context, contextLength, _image.Maps, _image.Name, _image.Origin);
        run.SetStackSource(&state.StackLow, &state.StackTop);
        var previous = t_current;
        t_current = &state;
        ulong r0;
        try
        {
            r0 = ((delegate* unmanaged<ulong, ulong, RunState*, ulong>)entry)((ulong)context, contextLength, &state);
        }
        finally
        {
            ActiveRuns.Leave(run);
            t_current = previous;
        }
        GC.KeepAlive(this);
        ProgramCallback.ThrowIfPendingFault(_image.Name);
        if (state.Fault != JitFault.None)
        {
            throw FaultException(in state);
        }
        return r0;
    }

    /// <summary>
    /// The tail-call hook for a PROG_ARRAY helper (Linux id 12): called inside that helper during a
    /// run of this engine, it arms a jump to <paramref name="target"/>, which the code takes as soon as
    /// the helper returns (the caller's frames are dropped; r1 and r2 are the context again). False
    /// when no run is in progress on this thread, the chain already made <see cref="TailCalls.MaxChain"/>
    /// calls, or the target uses frames of another size; the program then continues after the call,
    /// as Linux's bpf_tail_call does when it fails.
    /// </summary>
    public static bool TryTailCall(X64JitExecutable target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var state = t_current;
        if (state is null || target._entry == 0 || state->TailCallCount >= TailCalls.MaxChain)
        {
            return false;
        }
        var owner = OwnerOf(state->Owner);
        if (owner is null || owner.FrameSize != target.FrameSize)
        {
            return false;
        }
        state->TailCallCount++;
        // The run continues in the target: its callbacks and maps are the ones that count from now on.
        if (ActiveRuns.Current is { } run && ReferenceEquals(run.Owner, owner))
        {
            run.Owner = target;
            run.Maps = target._image.Maps;
            run.ChecksMemory = !target._image.Verified;
            run.ProgramName = target._image.Name;
            run.Origin = target._image.Origin;
        }
        state->TailCallTarget = target.BodyEntry;
        state->Owner = GCHandle.ToIntPtr(target._self);
        state->FixedRegionsLive = target._fixedMaps.Count == 0 ? 0 : target.FixedRegionsLive;
        return true;
    }

    /// <summary><see cref="TryTailCall"/> into this program, as bpf_tail_call answers: 0, or -EINVAL.</summary>
    public long ArmTailCall() => TryTailCall(this) ? 0 : -Maps.Errno.EINVAL;

    internal JitFault CheckRegion(ulong address, int size, bool write)
    {
        var snapshot = JitFault.OutOfBounds;
        for (var m = 0; m < _mapRegions.Length; m++)
        {
            if (_image.Maps[m].IsDisposed)
            {
                continue;
            }
            foreach (var region in _mapRegions[m])
            {
                if (region.Contains(address, (ulong)size))
                {
                    if (!write || region.Writable)
                    {
                        return JitFault.None;
                    }
                    snapshot = JitFault.ReadOnly;
                }
            }
        }
        if (snapshot == JitFault.ReadOnly)
        {
            return snapshot;
        }
        return AccessPolicy.ClassifyMaps(_image.Maps, address, (ulong)size, write) switch
        {
            AccessVerdict.Allowed => JitFault.None,
            AccessVerdict.ReadOnly => JitFault.ReadOnly,
            _ => JitFault.OutOfBounds,
        };
    }

    private static X64JitExecutable? OwnerOf(nint handle) =>
        handle == 0 ? null : GCHandle.FromIntPtr(handle).Target as X64JitExecutable;

    private nint GuardFor(HelperFunction helper)
    {
        if (!_guards.TryGetValue(helper, out var guard))
        {
            guard = new GuardedHelper(helper);
            _guards.Add(helper, guard);
        }
        return guard.Entry;
    }

    /// <summary>Records a failure for the run on this thread; generated code leaves right after the helper returns.</summary>
    private static void RecordHelperFailure(Exception failure)
    {
        t_helperFailure ??= failure;
        if (t_current is not null)
        {
            t_current->Fault = JitFault.HelperFailed;
        }
    }

    private BpfException FaultException(in RunState state)
    {
        var owner = OwnerOf(state.Owner) ?? this;
        var image = owner._image;
        var index = state.FaultInstruction;
        if (state.Fault == JitFault.HelperFailed)
        {
            var failure = t_helperFailure;
            t_helperFailure = null;
            if (failure is BpfException bpf)
            {
                return bpf;
            }
            var instructions = image.Instructions.Span;
            var name = index >= 0 && index < instructions.Length && instructions[index].IsHelperCall
                ? image.Helpers.Find(instructions[index].Imm)?.Name ?? "helper"
                : "a helper";
            return new BpfException(new BpfDiagnostic(DiagnosticCodes.HelperFailed,
                $"instruction {index}: {name} failed: {failure?.Message ?? "unknown error"}",
                File: image.Origin, Program: image.Name, InstructionIndex: index), failure);
        }
        var access = (state.FaultSize & 0x100) != 0 ? "write" : "read";
        var size = state.FaultSize & 0xff;
        var address = "0x" + state.FaultAddress.ToString("x", CultureInfo.InvariantCulture);
        if (state.Fault is JitFault.OutOfBounds or JitFault.ReadOnly)
        {
            // The same report, with the same codes, as every engine gives for this access.
            var scene = new MemoryFaults.FaultScene(state.SavedStackPointer, state.StackTop, state.ContextStart,
                state.ContextEnd - Math.Min(state.ContextEnd, state.ContextStart), image.Name, image.Origin);
            return MemoryFaults.ForInstruction(scene, image.Maps, state.Fault == JitFault.ReadOnly, state.FaultAddress, (ulong)size, (state.FaultSize & 0x100) != 0, index);
        }
        var (code, message) = state.Fault switch
        {
            JitFault.Misaligned => (DiagnosticCodes.JitMisalignedAtomic,
                $"{size}-byte atomic operation at {address} is not aligned to {size} bytes"),
            JitFault.CallDepth => (DiagnosticCodes.JitCallDepthExceeded,
                $"a local call would need more than {X64Compiler.MaxFrames} stack frames; reduce the call depth (recursion is not allowed)"),
            JitFault.UnknownHelper => (DiagnosticCodes.JitUnknownHelperAtRunTime,
                $"callx named a helper id that is not in the helper table '{image.Helpers.Name}'"),
            JitFault.FellOffEnd => (DiagnosticCodes.JitFellOffEnd,
                "execution ran past the last instruction without an exit"),
            JitFault.BudgetExhausted => (DiagnosticCodes.ExecutionBudgetExhausted, ExecutionBudget.Message(owner._executionBudget)),
            _ => (DiagnosticCodes.JitMemoryOutOfBounds, $"the program stopped with fault {(int)state.Fault}"),
        };
        return BpfException.Create(code, message, file: image.Origin, program: image.Name, instruction: index);
    }

    private ObjectDisposedException Disposed() => new(nameof(X64JitExecutable), $"program '{_image.Name}' was disposed ({DiagnosticCodes.JitExecutableDisposed})");

    public void Dispose()
    {
        ProgramCallback.Unregister(this);
        _entry = 0;
        _callbackEntry = 0;
        BodyEntry = 0;
        _memory?.Dispose();
        _memory = null;
        if (_self.IsAllocated)
        {
            _self.Free();
        }
    }

    /// <summary>A helper's C-callable entry that turns exceptions into a recorded failure.</summary>
    private sealed class GuardedHelper
    {
        private readonly HelperFunction _helper;
        private readonly HelperImplementation _body;

        public GuardedHelper(HelperFunction helper)
        {
            _helper = helper;
            _body = Invoke;
            Entry = Marshal.GetFunctionPointerForDelegate(_body);
        }

        public nint Entry { get; }

        private ulong Invoke(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5)
        {
            try
            {
                var result = _helper.Implementation(r1, r2, r3, r4, r5);
                if (ProgramCallback.HasPendingFault)
                {
                    RecordHelperFailure(ProgramCallback.TakePendingFault()!);
                    return 0;
                }
                return result;
            }
            catch (Exception e)
            {
                RecordHelperFailure(e);
                return 0;
            }
        }
    }

    /// <summary>The C-callable entry that ld_imm64 src 4 yields: runs one function of the program, nested in the current run.</summary>
    private sealed class Callback
    {
        private readonly X64JitExecutable _owner;
        private readonly HelperImplementation _body;

        public Callback(X64JitExecutable owner, int target)
        {
            _owner = owner;
            Target = target;
            _body = Run;
            Entry = Marshal.GetFunctionPointerForDelegate(_body);
        }

        public int Target { get; }

        public nint Entry { get; }

        /// <summary>The function's code, once placed.</summary>
        public nint Function { get; set; }

        private ulong Run(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5)
        {
            var outer = t_current;
            try
            {
                var entry = _owner._callbackEntry;
                if (entry == 0)
                {
                    throw _owner.Disposed();
                }
                if (t_callbackDepth >= X64Compiler.MaxFrames)
                {
                    throw BpfException.Create(DiagnosticCodes.JitCallDepthExceeded,
                        $"callbacks nested more than {X64Compiler.MaxFrames} deep (function at instruction {Target})",
                        file: _owner._image.Origin, program: _owner._image.Name, instruction: Target);
                }
                RunState nested = default;
                nested.SetContext(outer is null ? 0 : outer->ContextStart, outer is null ? 0 : outer->ContextEnd);
                nested.Owner = GCHandle.ToIntPtr(_owner._self);
                nested.Outer = (nint)outer;
                nested.FixedRegionsLive = _owner._fixedMaps.Count == 0 ? 0 : _owner.FixedRegionsLive;
                var arguments = stackalloc ulong[5] { r1, r2, r3, r4, r5 };
                // The callback's run (entered by ProgramCallback.Invoke) gets this frame block.
                ActiveRuns.Current?.SetStackSource(&nested.StackLow, &nested.StackTop);
                t_callbackDepth++;
                t_current = &nested;
                ulong r0;
                try
                {
                    r0 = ((delegate* unmanaged<RunState*, ulong*, nint, ulong>)entry)(&nested, arguments, Function);
                }
                finally
                {
                    t_current = outer;
                    t_callbackDepth--;
                }
                if (nested.Fault != JitFault.None)
                {
                    throw _owner.FaultException(in nested);
                }
                return r0;
            }
            catch (Exception fault)
            {
                // Exceptions must not cross the native frames between the helper and this entry.
                ProgramCallback.RecordFault(fault);
                return 0;
            }
        }
    }
}
