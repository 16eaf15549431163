using Bpftime.Compiler.Llvm;
using Bpftime.Diagnostics;

namespace Bpftime.Compiler.LlvmJit;

/// <summary>
/// The LLVM context a JIT module is built in, and the ORC thread-safe context that carries it into
/// the JIT. LLVM 15 to 20 create the thread-safe context first and lend out its context; LLVM 21
/// and newer build it around a context made beforehand. Disposing drops this side's reference; a
/// module already handed to the JIT keeps what it needs alive.
/// </summary>
internal sealed class JitModuleContext : IDisposable
{
    private LLVMOrcThreadSafeContextRef _threadSafe;
    private bool _ownsContext;

    public JitModuleContext()
    {
        if (LlvmLibrary.OptionalExport("LLVMOrcThreadSafeContextGetContext") != 0)
        {
            _threadSafe = LLVM.OrcCreateNewThreadSafeContext();
            Context = LLVM.OrcThreadSafeContextGetContext(_threadSafe);
        }
        else
        {
            Context = LLVM.ContextCreate();
            _ownsContext = true;
        }
    }

    public LLVMContextRef Context { get; }

    /// <summary>Wraps <paramref name="module"/> (built in <see cref="Context"/>) for the JIT.</summary>
    public LLVMOrcThreadSafeModuleRef Wrap(LLVMModuleRef module)
    {
        if (_threadSafe.IsNull)
        {
            _threadSafe = LLVM.OrcCreateNewThreadSafeContextFromLLVMContext(Context);
            if (_threadSafe.IsNull)
            {
                throw BpfException.Create(DiagnosticCodes.LlvmFunctionMissing,
                    $"{LlvmLibrary.LoadedPath} has neither LLVMOrcThreadSafeContextGetContext nor LLVMOrcCreateNewThreadSafeContextFromLLVMContext; set {LlvmLibrary.PathVariable} to LLVM 15-22");
            }
            _ownsContext = false;
        }
        return LLVM.OrcCreateNewThreadSafeModule(module, _threadSafe);
    }

    public void Dispose()
    {
        if (!_threadSafe.IsNull)
        {
            LLVM.OrcDisposeThreadSafeContext(_threadSafe);
            _threadSafe = default;
        }
        else if (_ownsContext)
        {
            LLVM.ContextDispose(Context);
            _ownsContext = false;
        }
    }
}
