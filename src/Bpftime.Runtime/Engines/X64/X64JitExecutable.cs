using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using Bpftime.Diagnostics;
using Bpftime.Engines.Native;
using Bpftime.Helpers;

namespace Bpftime.Engines.X64;

/// <summary>
/// A program compiled by <see cref="X64JitEngine"/>: machine code in read-execute memory (written
/// first, then sealed: W^X), entered as <c>u64 f(ctx, len, RunState*)</c>. Each run keeps its state
/// on the caller's stack, so one executable may run on several threads at once.
/// </summary>
public sealed unsafe class X64JitExecutable : IBpfExecutable, ITailCallSite
{
    /// <summary>The run state of the innermost run on this thread that may take tail calls or run callbacks.</summary>
    [ThreadStatic]
    private static nint t_state;

    private readonly ProgramImage _image;
    private readonly IReadOnlyList<HelperFunction> _helpers;
    private readonly byte[] _machineCode;
    private ExecutableMemory? _memory;
    private GCHandle _self;
    private nint _entry;
    private nint _callbackEntry;
    // Keeps the callback trampolines alive: their entry points are written into the code as numbers.
    private readonly List<HelperImplementation> _callbackBodies = [];
    private readonly bool _tracksRuns;

    internal X64JitExecutable(ProgramImage image, CompiledProgram compiled)
    {
        _image = image;
        _helpers = compiled.Helpers;
        var memory = ExecutableMemory.Allocate((nuint)compiled.Code.Length);
        try
        {
            var target = memory.Writable;
            compiled.Code.CopyTo(target);
            foreach (var (position, targetOffset) in compiled.CodeAddresses)
            {
                // A code address becomes a C-callable trampoline that runs the function in a fresh frame block.
                var function = memory.Address + targetOffset;
                HelperImplementation body = (r1, r2, r3, r4, r5) => RunCallback(function, r1, r2, r3, r4, r5);
                _callbackBodies.Add(body);
                BinaryPrimitives.WriteInt64LittleEndian(target[position..], (long)ProgramCallback.EntryFor(body));
            }
            _machineCode = target[..compiled.Code.Length].ToArray();
            memory.MakeExecutable();
            memory.Seal();
        }
        catch
        {
            memory.Dispose();
            throw;
        }
        _memory = memory;
        _entry = memory.Address + compiled.EntryOffset;
        BodyEntry = memory.Address + compiled.BodyEntryOffset;
        _callbackEntry = compiled.CallbackEntryOffset >= 0 ? memory.Address + compiled.CallbackEntryOffset : 0;
        _tracksRuns = _callbackEntry != 0 || compiled.Helpers.Any(h => h.Id == X64Compiler.TailCallHelperId);
        FrameSize = compiled.FrameSize;
        _self = GCHandle.Alloc(this, GCHandleType.Weak);
    }

    public string EngineName => X64JitEngine.EngineName;

    /// <summary>The generated machine code as placed in memory (for disassembly and inspection).</summary>
    public ReadOnlySpan<byte> MachineCode => _machineCode;

    /// <summary>Where the code starts.</summary>
    public nint EntryAddress => _entry != 0 ? _entry : throw Disposed();

    /// <summary>
    /// The entry after the prologue, for tail calls from another program of this engine with the same
    /// <see cref="FrameSize"/>: see <see cref="RunState.TailCallTarget"/>.
    /// </summary>
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
        state.ContextStart = (ulong)context;
        state.ContextEnd = (ulong)context + contextLength;
        state.Owner = GCHandle.ToIntPtr(_self);
        ulong r0;
        if (_tracksRuns)
        {
            var previousSite = TailCalls.Enter(this);
            var previousState = t_state;
            t_state = (nint)(&state);
            try
            {
                r0 = ((delegate* unmanaged<ulong, ulong, RunState*, ulong>)entry)((ulong)context, contextLength, &state);
            }
            finally
            {
                t_state = previousState;
                TailCalls.Enter(previousSite);
            }
        }
        else
        {
            r0 = ((delegate* unmanaged<ulong, ulong, RunState*, ulong>)entry)((ulong)context, contextLength, &state);
        }
        GC.KeepAlive(this);
        GC.KeepAlive(_helpers);
        ProgramCallback.ThrowIfPendingFault(_image.Name);
        if (state.Fault != JitFault.None)
        {
            ProgramCallback.TakePendingFault();
            throw OwnerOf(in state).FaultException(in state);
        }
        if (ProgramCallback.HasPendingFault)
        {
            throw PendingFault();
        }
        return r0;
    }

    /// <summary>Arms a tail call into <paramref name="target"/> for the run active on this thread (see <see cref="TailCalls"/>).</summary>
    long ITailCallSite.Arm(IBpfExecutable target)
    {
        var state = (RunState*)t_state;
        if (state == null || target is not X64JitExecutable next || next.BodyEntry == 0 || next.FrameSize != FrameSize || !next._self.IsAllocated)
        {
            return -Maps.Errno.EINVAL;
        }
        if (state->TailCallCount >= TailCalls.MaxChain)
        {
            return -Maps.Errno.E2BIG;
        }
        state->TailCallCount++;
        state->TailCallTarget = next.BodyEntry;
        // Memory checks and fault messages now speak for the program the run continues in.
        state->Owner = GCHandle.ToIntPtr(next._self);
        return 0;
    }

    /// <summary>Runs one of the program's functions for a callback helper, nested in the run that called the helper.</summary>
    private ulong RunCallback(nint function, ulong r1, ulong r2, ulong r3, ulong r4, ulong r5)
    {
        try
        {
            var entry = _callbackEntry;
            if (entry == 0)
            {
                throw Disposed();
            }
            var outer = (RunState*)t_state;
            RunState state = default;
            state.Owner = GCHandle.ToIntPtr(_self);
            if (outer != null)
            {
                state.ContextStart = outer->ContextStart;
                state.ContextEnd = outer->ContextEnd;
                state.Outer = (nint)outer;
            }
            var arguments = stackalloc ulong[5] { r1, r2, r3, r4, r5 };
            var previousState = t_state;
            t_state = (nint)(&state);
            ulong r0;
            try
            {
                r0 = ((delegate* unmanaged<ulong*, nint, RunState*, ulong>)entry)(arguments, function, &state);
            }
            finally
            {
                t_state = previousState;
            }
            if (state.Fault != JitFault.None)
            {
                ProgramCallback.RecordFault(OwnerOf(in state).FaultException(in state));
                return 0;
            }
            return r0;
        }
        catch (Exception fault)
        {
            // Nothing may unwind through the native frames between the helper and this trampoline.
            ProgramCallback.RecordFault(fault);
            return 0;
        }
    }

    private X64JitExecutable OwnerOf(in RunState state) =>
        state.Owner != 0 && GCHandle.FromIntPtr(state.Owner).Target is X64JitExecutable owner ? owner : this;

    private BpfException PendingFault()
    {
        var fault = ProgramCallback.TakePendingFault()!;
        return fault as BpfException ?? new BpfException(new BpfDiagnostic(DiagnosticCodes.HelperFailed,
            $"a helper or callback of program '{_image.Name}' failed: {fault.Message}", File: _image.Origin, Program: _image.Name), fault);
    }

    internal JitFault CheckRegion(ulong address, int size, bool write)
    {
        var result = JitFault.OutOfBounds;
        foreach (var map in _image.Maps)
        {
            if (map.IsDisposed)
            {
                continue;
            }
            var found = MemoryChecker.Classify(map.ValueRegions, address, size, write);
            if (found == JitFault.None)
            {
                return found;
            }
            if (found == JitFault.ReadOnly)
            {
                result = found;
            }
        }
        return result;
    }

    private BpfException FaultException(in RunState state)
    {
        var index = state.FaultInstruction;
        var access = (state.FaultSize & 0x100) != 0 ? "write" : "read";
        var size = state.FaultSize & 0xff;
        var address = "0x" + state.FaultAddress.ToString("x", CultureInfo.InvariantCulture);
        var (code, message) = state.Fault switch
        {
            JitFault.OutOfBounds => (DiagnosticCodes.JitMemoryOutOfBounds,
                $"{size}-byte {access} at {address} is outside the context, the stack and the map values the program may use"),
            JitFault.ReadOnly => (DiagnosticCodes.JitWriteToReadOnlyMemory,
                $"{size}-byte write at {address} targets read-only memory"),
            JitFault.CallDepth => (DiagnosticCodes.JitCallDepthExceeded,
                $"a local call would need more than {X64Compiler.MaxFrames} stack frames; reduce the call depth (recursion is not allowed)"),
            JitFault.UnknownHelper => (DiagnosticCodes.JitUnknownHelperAtRunTime,
                $"callx named a helper id that is not in the helper table '{_image.Helpers.Name}'"),
            JitFault.FellOffEnd => (DiagnosticCodes.JitFellOffEnd,
                "execution ran past the last instruction without an exit"),
            _ => (DiagnosticCodes.JitMemoryOutOfBounds, $"the program stopped with fault {(int)state.Fault}"),
        };
        return BpfException.Create(code, message, file: _image.Origin, program: _image.Name, instruction: index);
    }

    private ObjectDisposedException Disposed() => new(nameof(X64JitExecutable), $"program '{_image.Name}' was disposed ({DiagnosticCodes.JitExecutableDisposed})");

    public void Dispose()
    {
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
}
