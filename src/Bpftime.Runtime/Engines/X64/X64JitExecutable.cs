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
public sealed unsafe class X64JitExecutable : IBpfExecutable
{
    private readonly ProgramImage _image;
    private readonly IReadOnlyList<HelperFunction> _helpers;
    private readonly byte[] _machineCode;
    private ExecutableMemory? _memory;
    private GCHandle _self;
    private nint _entry;

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
                BinaryPrimitives.WriteInt64LittleEndian(target[position..], (long)(memory.Address + targetOffset));
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
        var r0 = ((delegate* unmanaged<ulong, ulong, RunState*, ulong>)entry)((ulong)context, contextLength, &state);
        GC.KeepAlive(this);
        GC.KeepAlive(_helpers);
        if (state.Fault != JitFault.None)
        {
            throw FaultException(in state);
        }
        return r0;
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
        BodyEntry = 0;
        _memory?.Dispose();
        _memory = null;
        if (_self.IsAllocated)
        {
            _self.Free();
        }
    }
}
