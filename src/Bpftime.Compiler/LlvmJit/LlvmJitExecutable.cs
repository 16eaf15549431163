using System.Globalization;
using System.Runtime.InteropServices;
using Bpftime.Compiler.IrGen;
using Bpftime.Compiler.Llvm;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Maps;

namespace Bpftime.Compiler.LlvmJit;

/// <summary>A program compiled by ORC LLJIT; the JIT instance owns the code and is freed on dispose.</summary>
public sealed unsafe class LlvmJitExecutable : IBpfExecutable
{
    private readonly object? _keepAlive;
    private readonly ProgramImage _image;
    private LLVMOrcLLJITRef _jit;
    private nint _entry;
    private GCHandle _self;

    internal LlvmJitExecutable(LLVMOrcLLJITRef jit, nint entry, IrProgramInfo info, ProgramImage image, bool checkedAccess, object? keepAlive)
    {
        _jit = jit;
        _entry = entry;
        _image = image;
        Info = info;
        IsChecked = checkedAccess;
        _keepAlive = keepAlive;
        _self = GCHandle.Alloc(this, GCHandleType.Weak);
    }

    /// <summary>True when the code checks every memory access (the program was not verified).</summary>
    public bool IsChecked { get; }

    public string EngineName => LlvmJitEngine.EngineName;

    /// <summary>What the translation found: helpers and maps used, call depth.</summary>
    public IrProgramInfo Info { get; }

    /// <summary>Native address of the entry function.</summary>
    public nint EntryAddress => _entry;

    public ulong Execute(nint context, ulong contextLength)
    {
        var entry = _entry;
        if (entry == 0)
        {
            throw BpfException.Create(DiagnosticCodes.JitExecutableDisposed, $"program '{_image.Name}' was disposed and cannot run", _image.Origin, _image.Name);
        }
        if (!IsChecked)
        {
            var result = ((delegate* unmanaged<nint, ulong, ulong>)entry)(context, contextLength);
            GC.KeepAlive(_keepAlive);
            return result;
        }
        LlvmRunState state = default;
        state.ContextStart = (ulong)context;
        state.ContextEnd = (ulong)context + contextLength;
        state.Owner = GCHandle.ToIntPtr(_self);
        var value = ((delegate* unmanaged<nint, ulong, LlvmRunState*, ulong>)entry)(context, contextLength, &state);
        GC.KeepAlive(_keepAlive);
        if (state.Exit == RunStateLayout.Faulted)
        {
            throw Fault(in state);
        }
        return value;
    }

    internal FaultKind CheckRegion(ulong address, int size, bool write)
    {
        var readOnly = false;
        foreach (var map in _image.Maps)
        {
            if (map.IsDisposed)
            {
                continue;
            }
            foreach (var region in map.ValueRegions)
            {
                if (region.Contains(address, (ulong)size))
                {
                    if (!write || region.Writable)
                    {
                        return FaultKind.None;
                    }
                    readOnly = true;
                }
            }
        }
        return readOnly ? FaultKind.ReadOnly : FaultKind.OutOfBounds;
    }

    private BpfException Fault(in LlvmRunState state)
    {
        var access = (state.FaultSize & 0x100) != 0 ? "write" : "read";
        var size = state.FaultSize & 0xff;
        var address = "0x" + state.FaultAddress.ToString("x", CultureInfo.InvariantCulture);
        var (code, message) = state.FaultKind switch
        {
            FaultKind.ReadOnly => (DiagnosticCodes.WriteToReadOnlyMemory,
                $"{size}-byte write to {address}, which the program may only read"),
            FaultKind.UnknownHelper => (DiagnosticCodes.JitUnknownHelperAtRunTime,
                $"callx with id {state.FaultAddress}, which helper set '{_image.Helpers.Name}' does not hold"),
            _ when state.FaultAddress < 4096 => (DiagnosticCodes.NullPointerAccess,
                $"{size}-byte {access} at {address}, a null pointer"),
            _ => (DiagnosticCodes.UnknownMemoryAccess,
                $"{size}-byte {access} at {address}, outside the context, the stack and the maps' values"),
        };
        return BpfException.Create(code, message, _image.Origin, _image.Name, state.FaultInstruction);
    }

    public void Dispose()
    {
        if (!_jit.IsNull)
        {
            _entry = 0;
            _ = LLVM.TakeError(LLVM.OrcDisposeLLJIT(_jit));
            _jit = default;
            _self.Free();
        }
    }
}
