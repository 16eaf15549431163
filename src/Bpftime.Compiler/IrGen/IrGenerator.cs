using Bpftime.Compiler.Llvm;
using Bpftime.Diagnostics;
using Bpftime.Engines.Aot;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Maps;

namespace Bpftime.Compiler.IrGen;

/// <summary>
/// Translates eBPF programs into one LLVM module. Each program becomes an entry function
/// <c>i64 @symbol(ptr ctx, i64 len)</c> plus one internal function per local-call target. Helpers are
/// external functions named <c>_bpf_helper_ext_NNNN</c>, callx goes through <c>_bpf_helper_by_id</c>,
/// and maps are the external data symbols <c>_bpf_map_handle_N</c> and <c>_bpf_map_value_N</c>,
/// so the same module serves the in-process JIT (symbols bound to live addresses) and AOT objects
/// (symbols bound by the runtime's linker).
/// </summary>
public sealed class IrGenerator : IDisposable
{
    private readonly Dictionary<int, LLVMValueRef> _helperDeclarations = [];
    private readonly Dictionary<string, LLVMValueRef> _dataSymbols = [];
    private readonly Dictionary<int, LLVMValueRef> _byteSwaps = [];
    private LLVMValueRef _helperById;
    private bool _disposed;

    /// <param name="context">The context the module lives in (switched to opaque pointers here when LLVM 15 needs it).</param>
    /// <param name="module">The module to add programs to; the caller owns it.</param>
    /// <param name="helpers">The helpers programs may call, by id.</param>
    /// <param name="mapCount">How many maps ld_imm64 may refer to (indexes 0..mapCount-1).</param>
    public IrGenerator(LLVMContextRef context, LLVMModuleRef module, HelperTable helpers, int mapCount)
    {
        LlvmLibrary.EnsureLoaded();
        Context = context;
        Module = module;
        Helpers = helpers;
        MapCount = mapCount;
        LLVM.ContextSetOpaquePointersIfPresent(context);
        Types = new IrTypes(context);
        Builder = LLVM.CreateBuilderInContext(context);
    }

    public LLVMContextRef Context { get; }

    public LLVMModuleRef Module { get; }

    public HelperTable Helpers { get; }

    public int MapCount { get; }

    /// <summary>
    /// The helper id of bpf_tail_call when the engine continues in the target after the program
    /// returns (the LLVM JIT): a 0 result then ends the program at once. Null (AOT objects) leaves
    /// the helper an ordinary call.
    /// </summary>
    public int? TailCallHelperId { get; init; }

    /// <summary>
    /// Memory that stays where it is while the code lives (array and global-data values): checked
    /// code tests these bounds inline before asking the runtime, so global data costs no call.
    /// </summary>
    public IReadOnlyList<MemoryRegion> FixedRegions { get; init; } = [];

    /// <summary>
    /// For each map index, the layout of a map whose bpf_map_lookup_elem the code may do itself, or
    /// null (keep the helper). The LLVM JIT gives its live maps' layouts, AOT the specs' (checked
    /// against the live maps when the storage symbols are bound); empty: every lookup calls the helper.
    /// </summary>
    public IReadOnlyList<InlineLookup?> InlineLookups { get; init; } = [];

    internal IrTypes Types { get; }

    internal LLVMBuilderRef Builder { get; }

    /// <summary>
    /// Adds one program whose entry function is named <paramref name="symbol"/>.
    /// Throws <see cref="BpfException"/> (BPF3003-3007) when the bytecode cannot be translated.
    /// </summary>
    /// <param name="checkMemory">
    /// Check every load, store and atomic against the context, the live frames and (through
    /// <c>_bpf_memory_check</c>) the maps' value regions, and refuse callx ids the table lacks. The
    /// entry then takes a third argument, the run state (see <see cref="AotCheckedAbi"/>).
    /// </param>
    /// <param name="countBudget">
    /// Count backward jumps, local calls and callbacks against the run state's budget, faulting when
    /// it is spent, without checking memory: for verified programs whose termination was not proven.
    /// Checked code always counts.
    /// </param>
    /// <param name="socketBuffer">
    /// r1 is a socket buffer the host built (<see cref="Engines.SocketBufferLayout"/>): legacy packet loads
    /// (ld_abs, ld_ind) are compiled inline. Without it they are refused (BPF4057).
    /// </param>
    public IrProgramInfo AddProgram(string name, string symbol, ReadOnlySpan<Instruction> code, int stackSize = 512, bool checkMemory = false, bool countBudget = false, bool socketBuffer = false)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (stackSize <= 0 || stackSize > 512 || stackSize % 8 != 0)
        {
            stackSize = 512;
        }
        var layout = ProgramLayout.Analyze(name, code);
        var program = new ProgramEmitter(this, name, symbol, code.ToArray(), layout, stackSize, checkMemory, checkMemory || countBudget, socketBuffer);
        return program.Emit();
    }

    internal LLVMValueRef HelperDeclaration(int id)
    {
        if (!_helperDeclarations.TryGetValue(id, out var function))
        {
            function = LLVM.AddFunction(Module, HelperSymbols.SymbolFor(id), Types.Helper);
            LLVM.SetLinkage(function, LLVMLinkage.LLVMExternalLinkage);
            LLVM.AddEnumAttribute(Context, function, "nounwind");
            _helperDeclarations[id] = function;
        }
        return function;
    }

    internal LLVMValueRef HelperByIdDeclaration()
    {
        if (_helperById.IsNull)
        {
            _helperById = LLVM.AddFunction(Module, AotMetadata.HelperByIdSymbol, Types.HelperById);
            LLVM.SetLinkage(_helperById, LLVMLinkage.LLVMExternalLinkage);
            LLVM.AddEnumAttribute(Context, _helperById, "nounwind");
        }
        return _helperById;
    }

    /// <summary>An external byte-sized global whose address is what the symbol stands for.</summary>
    internal LLVMValueRef DataSymbol(string name)
    {
        if (!_dataSymbols.TryGetValue(name, out var global))
        {
            global = LLVM.AddGlobal(Module, Types.Int8, name);
            LLVM.SetLinkage(global, LLVMLinkage.LLVMExternalLinkage);
            _dataSymbols[name] = global;
        }
        return global;
    }

    /// <summary>An external function of the checked-code runtime (bound by the JIT), declared once.</summary>
    internal (LLVMTypeRef Type, LLVMValueRef Function) RuntimeFunction(string name, LLVMTypeRef type)
    {
        var function = LLVM.GetNamedFunction(Module, name);
        if (function.IsNull)
        {
            function = LLVM.AddFunction(Module, name, type);
            LLVM.SetLinkage(function, LLVMLinkage.LLVMExternalLinkage);
            LLVM.AddEnumAttribute(Context, function, "nounwind");
        }
        return (type, function);
    }

    internal (LLVMTypeRef Type, LLVMValueRef Function) MemoryCheck()
    {
        var type = LLVM.FunctionType(Types.Int32, [Types.Pointer, Types.Int64, Types.Int32]);
        var function = LLVM.GetNamedFunction(Module, AotCheckedAbi.MemoryCheckSymbol);
        if (function.IsNull)
        {
            function = LLVM.AddFunction(Module, AotCheckedAbi.MemoryCheckSymbol, type);
            LLVM.SetLinkage(function, LLVMLinkage.LLVMExternalLinkage);
            LLVM.AddEnumAttribute(Context, function, "nounwind");
            // Reached only by accesses outside the inline-tested regions: LLVM lays its paths out of line.
            LLVM.AddEnumAttribute(Context, function, "cold");
        }
        return (type, function);
    }

    /// <summary>
    /// <c>llvm.expect(condition, true)</c>: the branch on it is laid out with the true side falling
    /// through and the other side out of line (checked code's fast paths).
    /// </summary>
    internal LLVMValueRef Likely(LLVMValueRef condition)
    {
        if (_expect.IsNull)
        {
            var id = LLVM.LookupIntrinsicID("llvm.expect");
            if (id == 0)
            {
                throw BpfException.Create(DiagnosticCodes.LlvmFunctionMissing, "this libLLVM does not know the llvm.expect intrinsic");
            }
            _expect = LLVM.GetIntrinsicDeclaration(Module, id, [Types.Int1]);
        }
        return LLVM.BuildCall2(Builder, LLVM.GlobalGetValueType(_expect), _expect, [condition, LLVM.ConstInt(Types.Int1, 1, 0)], "");
    }

    private LLVMValueRef _expect;

    /// <summary>Emits <c>memset(address, 0, bytes)</c> (LLVM widens it to vector stores and drops what later stores overwrite).</summary>
    internal void ZeroMemory(LLVMValueRef address, int bytes)
    {
        if (_memset.IsNull)
        {
            var id = LLVM.LookupIntrinsicID("llvm.memset");
            if (id == 0)
            {
                throw BpfException.Create(DiagnosticCodes.LlvmFunctionMissing, "this libLLVM does not know the llvm.memset intrinsic");
            }
            _memset = LLVM.GetIntrinsicDeclaration(Module, id, [Types.Pointer, Types.Int64]);
        }
        LLVM.BuildCall2(Builder, LLVM.GlobalGetValueType(_memset), _memset,
            [address, LLVM.ConstInt(Types.Int8, 0, 0), Types.I64(bytes), LLVM.ConstInt(Types.Int1, 0, 0)], "");
    }

    private LLVMValueRef _memset;

    internal (LLVMTypeRef Type, LLVMValueRef Function) ByteSwap(int bits)
    {
        if (!_byteSwaps.TryGetValue(bits, out var function))
        {
            var id = LLVM.LookupIntrinsicID("llvm.bswap");
            if (id == 0)
            {
                throw BpfException.Create(DiagnosticCodes.LlvmFunctionMissing, "this libLLVM does not know the llvm.bswap intrinsic");
            }
            function = LLVM.GetIntrinsicDeclaration(Module, id, [Types.OfBytes(bits / 8)]);
            _byteSwaps[bits] = function;
        }
        return (LLVM.GlobalGetValueType(function), function);
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            LLVM.DisposeBuilder(Builder);
        }
    }
}
