using System.Runtime.InteropServices;

namespace Bpftime.Compiler.Llvm;

/// <summary>
/// The LLVM C API functions the compiler uses, named as LLVMSharp.Interop names them
/// (<c>LLVM.BuildAdd</c> for <c>LLVMBuildAdd</c>). Strings are UTF-8; LLVMBool is int.
/// Call <see cref="LlvmLibrary.EnsureLoaded"/> first.
/// </summary>
public static unsafe partial class LLVM
{
    private const string Lib = LlvmLibrary.ImportName;

    // Contexts and modules.
    [LibraryImport(Lib, EntryPoint = "LLVMContextCreate")]
    public static partial LLVMContextRef ContextCreate();

    [LibraryImport(Lib, EntryPoint = "LLVMContextDispose")]
    public static partial void ContextDispose(LLVMContextRef context);

    /// <summary>LLVM 15 only (16 and newer always use opaque pointers): switches a context to <c>ptr</c>.</summary>
    public static void ContextSetOpaquePointersIfPresent(LLVMContextRef context)
    {
        var function = LlvmLibrary.OptionalExport("LLVMContextSetOpaquePointers");
        if (function != 0)
        {
            ((delegate* unmanaged<LLVMContextRef, int, void>)function)(context, 1);
        }
    }

    [LibraryImport(Lib, EntryPoint = "LLVMModuleCreateWithNameInContext", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMModuleRef ModuleCreateWithNameInContext(string name, LLVMContextRef context);

    [LibraryImport(Lib, EntryPoint = "LLVMDisposeModule")]
    public static partial void DisposeModule(LLVMModuleRef module);

    [LibraryImport(Lib, EntryPoint = "LLVMSetTarget", StringMarshalling = StringMarshalling.Utf8)]
    public static partial void SetTarget(LLVMModuleRef module, string triple);

    [LibraryImport(Lib, EntryPoint = "LLVMGetModuleContext")]
    public static partial LLVMContextRef GetModuleContext(LLVMModuleRef module);

    [LibraryImport(Lib, EntryPoint = "LLVMPrintModuleToString")]
    private static partial nint PrintModuleToStringRaw(LLVMModuleRef module);

    public static string PrintModuleToString(LLVMModuleRef module) => TakeMessage(PrintModuleToStringRaw(module)) ?? "";

    [LibraryImport(Lib, EntryPoint = "LLVMDisposeMessage")]
    public static partial void DisposeMessage(nint message);

    [LibraryImport(Lib, EntryPoint = "LLVMVerifyModule")]
    private static partial int VerifyModuleRaw(LLVMModuleRef module, LLVMVerifierFailureAction action, out nint message);

    /// <summary>True when the module is valid; otherwise <paramref name="message"/> holds LLVM's findings.</summary>
    public static bool VerifyModule(LLVMModuleRef module, out string message)
    {
        var failed = VerifyModuleRaw(module, LLVMVerifierFailureAction.LLVMReturnStatusAction, out var raw) != 0;
        message = TakeMessage(raw) ?? "";
        return !failed;
    }

    // Types.
    [LibraryImport(Lib, EntryPoint = "LLVMInt1TypeInContext")]
    public static partial LLVMTypeRef Int1TypeInContext(LLVMContextRef context);

    [LibraryImport(Lib, EntryPoint = "LLVMInt8TypeInContext")]
    public static partial LLVMTypeRef Int8TypeInContext(LLVMContextRef context);

    [LibraryImport(Lib, EntryPoint = "LLVMInt16TypeInContext")]
    public static partial LLVMTypeRef Int16TypeInContext(LLVMContextRef context);

    [LibraryImport(Lib, EntryPoint = "LLVMInt32TypeInContext")]
    public static partial LLVMTypeRef Int32TypeInContext(LLVMContextRef context);

    [LibraryImport(Lib, EntryPoint = "LLVMInt64TypeInContext")]
    public static partial LLVMTypeRef Int64TypeInContext(LLVMContextRef context);

    [LibraryImport(Lib, EntryPoint = "LLVMVoidTypeInContext")]
    public static partial LLVMTypeRef VoidTypeInContext(LLVMContextRef context);

    [LibraryImport(Lib, EntryPoint = "LLVMPointerTypeInContext")]
    public static partial LLVMTypeRef PointerTypeInContext(LLVMContextRef context, uint addressSpace);

    [LibraryImport(Lib, EntryPoint = "LLVMArrayType")]
    public static partial LLVMTypeRef ArrayType(LLVMTypeRef elementType, uint count);

    [LibraryImport(Lib, EntryPoint = "LLVMFunctionType")]
    private static partial LLVMTypeRef FunctionTypeRaw(LLVMTypeRef returnType, LLVMTypeRef* parameters, uint count, int isVarArg);

    public static LLVMTypeRef FunctionType(LLVMTypeRef returnType, ReadOnlySpan<LLVMTypeRef> parameters, bool isVarArg = false)
    {
        fixed (LLVMTypeRef* p = parameters)
        {
            return FunctionTypeRaw(returnType, p, (uint)parameters.Length, isVarArg ? 1 : 0);
        }
    }

    [LibraryImport(Lib, EntryPoint = "LLVMTypeOf")]
    public static partial LLVMTypeRef TypeOf(LLVMValueRef value);

    [LibraryImport(Lib, EntryPoint = "LLVMGlobalGetValueType")]
    public static partial LLVMTypeRef GlobalGetValueType(LLVMValueRef global);

    // Constants.
    [LibraryImport(Lib, EntryPoint = "LLVMConstInt")]
    public static partial LLVMValueRef ConstInt(LLVMTypeRef type, ulong value, int signExtend);

    [LibraryImport(Lib, EntryPoint = "LLVMConstNull")]
    public static partial LLVMValueRef ConstNull(LLVMTypeRef type);

    [LibraryImport(Lib, EntryPoint = "LLVMGetUndef")]
    public static partial LLVMValueRef GetUndef(LLVMTypeRef type);

    [LibraryImport(Lib, EntryPoint = "LLVMConstStringInContext")]
    private static partial LLVMValueRef ConstStringInContextRaw(LLVMContextRef context, byte* text, uint length, int dontNullTerminate);

    /// <summary>A constant <c>[N x i8]</c> holding exactly <paramref name="bytes"/> (no terminator).</summary>
    public static LLVMValueRef ConstBytesInContext(LLVMContextRef context, ReadOnlySpan<byte> bytes)
    {
        fixed (byte* p = bytes)
        {
            return ConstStringInContextRaw(context, p, (uint)bytes.Length, 1);
        }
    }

    [LibraryImport(Lib, EntryPoint = "LLVMConstArray")]
    private static partial LLVMValueRef ConstArrayRaw(LLVMTypeRef elementType, LLVMValueRef* values, uint count);

    public static LLVMValueRef ConstArray(LLVMTypeRef elementType, ReadOnlySpan<LLVMValueRef> values)
    {
        fixed (LLVMValueRef* p = values)
        {
            return ConstArrayRaw(elementType, p, (uint)values.Length);
        }
    }

    // Functions, globals and attributes.
    [LibraryImport(Lib, EntryPoint = "LLVMAddFunction", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMValueRef AddFunction(LLVMModuleRef module, string name, LLVMTypeRef functionType);

    [LibraryImport(Lib, EntryPoint = "LLVMGetNamedFunction", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMValueRef GetNamedFunction(LLVMModuleRef module, string name);

    [LibraryImport(Lib, EntryPoint = "LLVMGetFirstFunction")]
    public static partial LLVMValueRef GetFirstFunction(LLVMModuleRef module);

    [LibraryImport(Lib, EntryPoint = "LLVMGetNextFunction")]
    public static partial LLVMValueRef GetNextFunction(LLVMValueRef function);

    [LibraryImport(Lib, EntryPoint = "LLVMIsDeclaration")]
    public static partial int IsDeclaration(LLVMValueRef global);

    [LibraryImport(Lib, EntryPoint = "LLVMGetAlignment")]
    public static partial uint GetAlignment(LLVMValueRef valueOrInstruction);

    [LibraryImport(Lib, EntryPoint = "LLVMGetParam")]
    public static partial LLVMValueRef GetParam(LLVMValueRef function, uint index);

    [LibraryImport(Lib, EntryPoint = "LLVMSetLinkage")]
    public static partial void SetLinkage(LLVMValueRef global, LLVMLinkage linkage);

    [LibraryImport(Lib, EntryPoint = "LLVMAddGlobal", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMValueRef AddGlobal(LLVMModuleRef module, LLVMTypeRef type, string name);

    [LibraryImport(Lib, EntryPoint = "LLVMAddAlias2", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMValueRef AddAlias2(LLVMModuleRef module, LLVMTypeRef valueType, uint addressSpace, LLVMValueRef aliasee, string name);

    [LibraryImport(Lib, EntryPoint = "LLVMGetNamedGlobal", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMValueRef GetNamedGlobal(LLVMModuleRef module, string name);

    [LibraryImport(Lib, EntryPoint = "LLVMSetInitializer")]
    public static partial void SetInitializer(LLVMValueRef global, LLVMValueRef value);

    [LibraryImport(Lib, EntryPoint = "LLVMSetGlobalConstant")]
    public static partial void SetGlobalConstant(LLVMValueRef global, int isConstant);

    [LibraryImport(Lib, EntryPoint = "LLVMSetSection", StringMarshalling = StringMarshalling.Utf8)]
    public static partial void SetSection(LLVMValueRef global, string section);

    [LibraryImport(Lib, EntryPoint = "LLVMSetAlignment")]
    public static partial void SetAlignment(LLVMValueRef valueOrInstruction, uint bytes);

    [LibraryImport(Lib, EntryPoint = "LLVMGetEnumAttributeKindForName")]
    private static partial uint GetEnumAttributeKindForNameRaw(byte* name, nuint length);

    public static uint GetEnumAttributeKindForName(string name)
    {
        var bytes = System.Text.Encoding.ASCII.GetBytes(name);
        fixed (byte* p = bytes)
        {
            return GetEnumAttributeKindForNameRaw(p, (nuint)bytes.Length);
        }
    }

    [LibraryImport(Lib, EntryPoint = "LLVMCreateEnumAttribute")]
    public static partial LLVMAttributeRef CreateEnumAttribute(LLVMContextRef context, uint kind, ulong value);

    public const uint AttributeFunctionIndex = uint.MaxValue;

    public const uint AttributeReturnIndex = 0;

    [LibraryImport(Lib, EntryPoint = "LLVMAddAttributeAtIndex")]
    public static partial void AddAttributeAtIndex(LLVMValueRef function, uint index, LLVMAttributeRef attribute);

    /// <summary>Adds an enum attribute (nounwind, noinline, ...) to a function, or a parameter with 1-based <paramref name="index"/>.</summary>
    public static void AddEnumAttribute(LLVMContextRef context, LLVMValueRef function, string name, uint index = AttributeFunctionIndex, ulong value = 0)
    {
        var kind = GetEnumAttributeKindForName(name);
        if (kind != 0)
        {
            AddAttributeAtIndex(function, index, CreateEnumAttribute(context, kind, value));
        }
    }

    [LibraryImport(Lib, EntryPoint = "LLVMLookupIntrinsicID")]
    private static partial uint LookupIntrinsicIdRaw(byte* name, nuint length);

    public static uint LookupIntrinsicID(string name)
    {
        var bytes = System.Text.Encoding.ASCII.GetBytes(name);
        fixed (byte* p = bytes)
        {
            return LookupIntrinsicIdRaw(p, (nuint)bytes.Length);
        }
    }

    [LibraryImport(Lib, EntryPoint = "LLVMGetIntrinsicDeclaration")]
    private static partial LLVMValueRef GetIntrinsicDeclarationRaw(LLVMModuleRef module, uint id, LLVMTypeRef* types, nuint count);

    public static LLVMValueRef GetIntrinsicDeclaration(LLVMModuleRef module, uint id, ReadOnlySpan<LLVMTypeRef> overloadTypes)
    {
        fixed (LLVMTypeRef* p = overloadTypes)
        {
            return GetIntrinsicDeclarationRaw(module, id, p, (nuint)overloadTypes.Length);
        }
    }

    // Basic blocks.
    [LibraryImport(Lib, EntryPoint = "LLVMAppendBasicBlockInContext", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMBasicBlockRef AppendBasicBlockInContext(LLVMContextRef context, LLVMValueRef function, string name);

    [LibraryImport(Lib, EntryPoint = "LLVMGetBasicBlockTerminator")]
    public static partial LLVMValueRef GetBasicBlockTerminator(LLVMBasicBlockRef block);

    // Errors (llvm-c/Error.h).
    [LibraryImport(Lib, EntryPoint = "LLVMGetErrorMessage")]
    private static partial nint GetErrorMessageRaw(LLVMErrorRef error);

    [LibraryImport(Lib, EntryPoint = "LLVMDisposeErrorMessage")]
    private static partial void DisposeErrorMessage(nint message);

    /// <summary>Consumes <paramref name="error"/>: null on success, else its text.</summary>
    public static string? TakeError(LLVMErrorRef error)
    {
        if (error.IsSuccess)
        {
            return null;
        }
        var raw = GetErrorMessageRaw(error);
        var text = Marshal.PtrToStringUTF8(raw) ?? "unknown LLVM error";
        DisposeErrorMessage(raw);
        return text;
    }

    /// <summary>Copies and frees a message LLVM allocated (LLVMDisposeMessage).</summary>
    public static string? TakeMessage(nint raw)
    {
        if (raw == 0)
        {
            return null;
        }
        var text = Marshal.PtrToStringUTF8(raw);
        DisposeMessage(raw);
        return text;
    }

    // Memory buffers.
    [LibraryImport(Lib, EntryPoint = "LLVMGetBufferStart")]
    public static partial byte* GetBufferStart(LLVMMemoryBufferRef buffer);

    [LibraryImport(Lib, EntryPoint = "LLVMGetBufferSize")]
    public static partial nuint GetBufferSize(LLVMMemoryBufferRef buffer);

    [LibraryImport(Lib, EntryPoint = "LLVMDisposeMemoryBuffer")]
    public static partial void DisposeMemoryBuffer(LLVMMemoryBufferRef buffer);
}
