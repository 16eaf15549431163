namespace Bpftime.Helpers;

/// <summary>A helper's signature: the kinds of its arguments (r1 onwards) and of its result.</summary>
public sealed record HelperPrototype(HelperReturnKind Return, IReadOnlyList<HelperArgumentKind> Arguments)
{
    /// <summary>Five untyped arguments and an integer result: for helpers nothing more is known of.</summary>
    public static HelperPrototype Unchecked { get; } = new(HelperReturnKind.Integer,
        [HelperArgumentKind.Anything, HelperArgumentKind.Anything, HelperArgumentKind.Anything, HelperArgumentKind.Anything, HelperArgumentKind.Anything]);

    public static HelperPrototype Of(HelperReturnKind result, params HelperArgumentKind[] arguments) => new(result, arguments);

    /// <summary>A compact, stable text form used in AOT metadata and messages, e.g. <c>i64(map,key)</c>.</summary>
    public string Signature => $"{Name(Return)}({string.Join(",", Arguments.Select(Name))})";

    private static string Name(HelperReturnKind kind) => kind switch
    {
        HelperReturnKind.Integer => "i64",
        HelperReturnKind.Void => "void",
        HelperReturnKind.MapValueOrNull => "map_value_or_null",
        HelperReturnKind.RingBufferRecordOrNull => "ringbuf_record_or_null",
        HelperReturnKind.UntrackedPointer => "untracked_ptr",
        _ => kind.ToString(),
    };

    private static string Name(HelperArgumentKind kind) => kind switch
    {
        HelperArgumentKind.Anything => "any",
        HelperArgumentKind.Scalar => "scalar",
        HelperArgumentKind.ConstMapPointer => "map",
        HelperArgumentKind.MapKey => "key",
        HelperArgumentKind.MapValue => "value",
        HelperArgumentKind.Memory => "mem",
        HelperArgumentKind.MemoryOrNull => "mem_or_null",
        HelperArgumentKind.UninitializedMemory => "uninit_mem",
        HelperArgumentKind.ConstSize => "size",
        HelperArgumentKind.ConstSizeOrZero => "size_or_zero",
        HelperArgumentKind.Context => "ctx",
        HelperArgumentKind.ConstString => "const_str",
        HelperArgumentKind.RingBufferRecord => "ringbuf_record",
        HelperArgumentKind.Function => "func",
        HelperArgumentKind.StackPointer => "stack_ptr",
        HelperArgumentKind.UninitializedMapValue => "uninit_value",
        HelperArgumentKind.StackPointerOrNull => "stack_ptr_or_null",
        HelperArgumentKind.SpinLock => "spin_lock",
        HelperArgumentKind.UninitializedMemoryOrNull => "uninit_mem_or_null",
        HelperArgumentKind.MutableMemory => "mut_mem",
        HelperArgumentKind.ContextOrNull => "ctx_or_null",
        HelperArgumentKind.Socket => "sock",
        _ => kind.ToString(),
    };
}
