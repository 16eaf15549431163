using Bpftime.Compiler.IrGen;
using Bpftime.Compiler.Llvm;
using Bpftime.Engines;

namespace Bpftime.Compiler.LlvmJit;

/// <summary>A program compiled by ORC LLJIT; the JIT instance owns the code and is freed on dispose.</summary>
public sealed unsafe class LlvmJitExecutable : IBpfExecutable
{
    private readonly object? _keepAlive;
    private LLVMOrcLLJITRef _jit;
    private nint _entry;

    internal LlvmJitExecutable(LLVMOrcLLJITRef jit, nint entry, IrProgramInfo info, object? keepAlive)
    {
        _jit = jit;
        _entry = entry;
        Info = info;
        _keepAlive = keepAlive;
    }

    public string EngineName => LlvmJitEngine.EngineName;

    /// <summary>What the translation found: helpers and maps used, call depth.</summary>
    public IrProgramInfo Info { get; }

    /// <summary>Native address of the entry function.</summary>
    public nint EntryAddress => _entry;

    public ulong Execute(nint context, ulong contextLength)
    {
        ObjectDisposedException.ThrowIf(_entry == 0, this);
        var result = ((delegate* unmanaged<nint, ulong, ulong>)_entry)(context, contextLength);
        GC.KeepAlive(_keepAlive);
        return result;
    }

    public void Dispose()
    {
        if (!_jit.IsNull)
        {
            _entry = 0;
            _ = LLVM.TakeError(LLVM.OrcDisposeLLJIT(_jit));
            _jit = default;
        }
    }
}
