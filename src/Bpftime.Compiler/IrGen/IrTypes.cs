using Bpftime.Compiler.Llvm;

namespace Bpftime.Compiler.IrGen;

/// <summary>The handful of LLVM types the translation uses, made once per context.</summary>
internal sealed class IrTypes
{
    public IrTypes(LLVMContextRef context)
    {
        Int1 = LLVM.Int1TypeInContext(context);
        Int8 = LLVM.Int8TypeInContext(context);
        Int16 = LLVM.Int16TypeInContext(context);
        Int32 = LLVM.Int32TypeInContext(context);
        Int64 = LLVM.Int64TypeInContext(context);
        Pointer = LLVM.PointerTypeInContext(context, 0);
        Helper = LLVM.FunctionType(Int64, [Int64, Int64, Int64, Int64, Int64]);
        HelperById = LLVM.FunctionType(Int64, [Int64, Int64, Int64, Int64, Int64, Int64]);
        CheckedEntry = LLVM.FunctionType(Int64, [Pointer, Int64, Pointer]);
    }

    public LLVMTypeRef Int1 { get; }

    public LLVMTypeRef Int8 { get; }

    public LLVMTypeRef Int16 { get; }

    public LLVMTypeRef Int32 { get; }

    public LLVMTypeRef Int64 { get; }

    public LLVMTypeRef Pointer { get; }

    /// <summary><c>i64(i64 r1, ..., i64 r5)</c>: every helper, as bpftime's native ABI has it.</summary>
    public LLVMTypeRef Helper { get; }

    /// <summary><c>i64(i64 id, i64 r1, ..., i64 r5)</c>: the callx dispatcher.</summary>
    public LLVMTypeRef HelperById { get; }

    /// <summary><c>i64(ptr ctx, i64 len, ptr state)</c>: a program's entry, checked or verified (the state tells its frames).</summary>
    public LLVMTypeRef CheckedEntry { get; }

    public LLVMTypeRef OfBytes(int bytes) => bytes switch
    {
        1 => Int8,
        2 => Int16,
        4 => Int32,
        _ => Int64,
    };

    public LLVMValueRef I64(long value) => LLVM.ConstInt(Int64, unchecked((ulong)value), 0);

    public LLVMValueRef I32(int value) => LLVM.ConstInt(Int32, (uint)value, 0);
}
