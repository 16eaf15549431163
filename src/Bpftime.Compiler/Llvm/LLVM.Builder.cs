using System.Runtime.InteropServices;

namespace Bpftime.Compiler.Llvm;

public static unsafe partial class LLVM
{
    [LibraryImport(Lib, EntryPoint = "LLVMCreateBuilderInContext")]
    public static partial LLVMBuilderRef CreateBuilderInContext(LLVMContextRef context);

    [LibraryImport(Lib, EntryPoint = "LLVMDisposeBuilder")]
    public static partial void DisposeBuilder(LLVMBuilderRef builder);

    [LibraryImport(Lib, EntryPoint = "LLVMPositionBuilderAtEnd")]
    public static partial void PositionBuilderAtEnd(LLVMBuilderRef builder, LLVMBasicBlockRef block);

    [LibraryImport(Lib, EntryPoint = "LLVMGetInsertBlock")]
    public static partial LLVMBasicBlockRef GetInsertBlock(LLVMBuilderRef builder);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildAdd", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMValueRef BuildAdd(LLVMBuilderRef builder, LLVMValueRef left, LLVMValueRef right, string name);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildSub", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMValueRef BuildSub(LLVMBuilderRef builder, LLVMValueRef left, LLVMValueRef right, string name);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildMul", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMValueRef BuildMul(LLVMBuilderRef builder, LLVMValueRef left, LLVMValueRef right, string name);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildUDiv", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMValueRef BuildUDiv(LLVMBuilderRef builder, LLVMValueRef left, LLVMValueRef right, string name);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildSDiv", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMValueRef BuildSDiv(LLVMBuilderRef builder, LLVMValueRef left, LLVMValueRef right, string name);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildURem", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMValueRef BuildURem(LLVMBuilderRef builder, LLVMValueRef left, LLVMValueRef right, string name);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildSRem", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMValueRef BuildSRem(LLVMBuilderRef builder, LLVMValueRef left, LLVMValueRef right, string name);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildShl", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMValueRef BuildShl(LLVMBuilderRef builder, LLVMValueRef left, LLVMValueRef right, string name);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildLShr", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMValueRef BuildLShr(LLVMBuilderRef builder, LLVMValueRef left, LLVMValueRef right, string name);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildAShr", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMValueRef BuildAShr(LLVMBuilderRef builder, LLVMValueRef left, LLVMValueRef right, string name);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildAnd", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMValueRef BuildAnd(LLVMBuilderRef builder, LLVMValueRef left, LLVMValueRef right, string name);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildOr", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMValueRef BuildOr(LLVMBuilderRef builder, LLVMValueRef left, LLVMValueRef right, string name);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildXor", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMValueRef BuildXor(LLVMBuilderRef builder, LLVMValueRef left, LLVMValueRef right, string name);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildNeg", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMValueRef BuildNeg(LLVMBuilderRef builder, LLVMValueRef value, string name);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildNot", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMValueRef BuildNot(LLVMBuilderRef builder, LLVMValueRef value, string name);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildFreeze", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMValueRef BuildFreeze(LLVMBuilderRef builder, LLVMValueRef value, string name);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildTrunc", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMValueRef BuildTrunc(LLVMBuilderRef builder, LLVMValueRef value, LLVMTypeRef destination, string name);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildZExt", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMValueRef BuildZExt(LLVMBuilderRef builder, LLVMValueRef value, LLVMTypeRef destination, string name);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildSExt", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMValueRef BuildSExt(LLVMBuilderRef builder, LLVMValueRef value, LLVMTypeRef destination, string name);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildPtrToInt", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMValueRef BuildPtrToInt(LLVMBuilderRef builder, LLVMValueRef value, LLVMTypeRef destination, string name);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildIntToPtr", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMValueRef BuildIntToPtr(LLVMBuilderRef builder, LLVMValueRef value, LLVMTypeRef destination, string name);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildBitCast", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMValueRef BuildBitCast(LLVMBuilderRef builder, LLVMValueRef value, LLVMTypeRef destination, string name);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildICmp", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMValueRef BuildICmp(LLVMBuilderRef builder, LLVMIntPredicate predicate, LLVMValueRef left, LLVMValueRef right, string name);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildSelect", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMValueRef BuildSelect(LLVMBuilderRef builder, LLVMValueRef condition, LLVMValueRef then, LLVMValueRef otherwise, string name);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildBr")]
    public static partial LLVMValueRef BuildBr(LLVMBuilderRef builder, LLVMBasicBlockRef destination);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildCondBr")]
    public static partial LLVMValueRef BuildCondBr(LLVMBuilderRef builder, LLVMValueRef condition, LLVMBasicBlockRef then, LLVMBasicBlockRef otherwise);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildSwitch")]
    public static partial LLVMValueRef BuildSwitch(LLVMBuilderRef builder, LLVMValueRef value, LLVMBasicBlockRef otherwise, uint caseCount);

    [LibraryImport(Lib, EntryPoint = "LLVMAddCase")]
    public static partial void AddCase(LLVMValueRef switchInstruction, LLVMValueRef onValue, LLVMBasicBlockRef destination);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildRet")]
    public static partial LLVMValueRef BuildRet(LLVMBuilderRef builder, LLVMValueRef value);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildRetVoid")]
    public static partial LLVMValueRef BuildRetVoid(LLVMBuilderRef builder);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildUnreachable")]
    public static partial LLVMValueRef BuildUnreachable(LLVMBuilderRef builder);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildPhi", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMValueRef BuildPhi(LLVMBuilderRef builder, LLVMTypeRef type, string name);

    [LibraryImport(Lib, EntryPoint = "LLVMAddIncoming")]
    private static partial void AddIncomingRaw(LLVMValueRef phi, LLVMValueRef* values, LLVMBasicBlockRef* blocks, uint count);

    public static void AddIncoming(LLVMValueRef phi, ReadOnlySpan<LLVMValueRef> values, ReadOnlySpan<LLVMBasicBlockRef> blocks)
    {
        if (values.Length != blocks.Length)
        {
            throw new ArgumentException("one block per incoming value", nameof(blocks));
        }
        fixed (LLVMValueRef* v = values)
        fixed (LLVMBasicBlockRef* b = blocks)
        {
            AddIncomingRaw(phi, v, b, (uint)values.Length);
        }
    }

    [LibraryImport(Lib, EntryPoint = "LLVMBuildAlloca", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMValueRef BuildAlloca(LLVMBuilderRef builder, LLVMTypeRef type, string name);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildLoad2", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMValueRef BuildLoad2(LLVMBuilderRef builder, LLVMTypeRef type, LLVMValueRef pointer, string name);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildStore")]
    public static partial LLVMValueRef BuildStore(LLVMBuilderRef builder, LLVMValueRef value, LLVMValueRef pointer);

    [LibraryImport(Lib, EntryPoint = "LLVMSetVolatile")]
    public static partial void SetVolatile(LLVMValueRef memoryAccess, int isVolatile);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildGEP2", StringMarshalling = StringMarshalling.Utf8)]
    private static partial LLVMValueRef BuildGEP2Raw(LLVMBuilderRef builder, LLVMTypeRef type, LLVMValueRef pointer, LLVMValueRef* indices, uint count, string name);

    public static LLVMValueRef BuildGEP2(LLVMBuilderRef builder, LLVMTypeRef type, LLVMValueRef pointer, ReadOnlySpan<LLVMValueRef> indices, string name)
    {
        fixed (LLVMValueRef* p = indices)
        {
            return BuildGEP2Raw(builder, type, pointer, p, (uint)indices.Length, name);
        }
    }

    [LibraryImport(Lib, EntryPoint = "LLVMBuildCall2", StringMarshalling = StringMarshalling.Utf8)]
    private static partial LLVMValueRef BuildCall2Raw(LLVMBuilderRef builder, LLVMTypeRef functionType, LLVMValueRef function, LLVMValueRef* arguments, uint count, string name);

    public static LLVMValueRef BuildCall2(LLVMBuilderRef builder, LLVMTypeRef functionType, LLVMValueRef function, ReadOnlySpan<LLVMValueRef> arguments, string name)
    {
        fixed (LLVMValueRef* p = arguments)
        {
            return BuildCall2Raw(builder, functionType, function, p, (uint)arguments.Length, name);
        }
    }

    [LibraryImport(Lib, EntryPoint = "LLVMBuildAtomicRMW")]
    public static partial LLVMValueRef BuildAtomicRMW(LLVMBuilderRef builder, LLVMAtomicRMWBinOp operation, LLVMValueRef pointer, LLVMValueRef value, LLVMAtomicOrdering ordering, int singleThread);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildAtomicCmpXchg")]
    public static partial LLVMValueRef BuildAtomicCmpXchg(LLVMBuilderRef builder, LLVMValueRef pointer, LLVMValueRef expected, LLVMValueRef replacement, LLVMAtomicOrdering successOrdering, LLVMAtomicOrdering failureOrdering, int singleThread);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildExtractValue", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMValueRef BuildExtractValue(LLVMBuilderRef builder, LLVMValueRef aggregate, uint index, string name);

    [LibraryImport(Lib, EntryPoint = "LLVMSetOrdering")]
    public static partial void SetOrdering(LLVMValueRef memoryAccess, LLVMAtomicOrdering ordering);

    [LibraryImport(Lib, EntryPoint = "LLVMBuildFence", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMValueRef BuildFence(LLVMBuilderRef builder, LLVMAtomicOrdering ordering, int singleThread, string name);
}
