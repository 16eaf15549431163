namespace Bpftime.Diagnostics;

public static partial class DiagnosticCodes
{
    /// <summary>The native object is truncated or corrupt (an offset, size or index points outside it).</summary>
    public const string NativeObjectMalformed = "BPF3100";

    /// <summary>The bytes are not an ELF relocatable object (wrong magic, class, byte order or file type).</summary>
    public const string NativeObjectNotRelocatable = "BPF3101";

    /// <summary>The object (or its metadata's triple) is for another architecture than this host.</summary>
    public const string NativeObjectTargetMismatch = "BPF3102";

    /// <summary>The .bpftime.aot section is not valid metadata JSON.</summary>
    public const string AotMetadataInvalid = "BPF3103";

    /// <summary>The metadata's format version is not one this runtime reads.</summary>
    public const string AotMetadataFormatUnsupported = "BPF3104";

    /// <summary>The object calls a helper id that the active helper set does not hold.</summary>
    public const string LinkUnknownHelper = "BPF3105";

    /// <summary>A helper's signature recorded at compile time differs from the active set's prototype.</summary>
    public const string LinkHelperSignatureMismatch = "BPF3106";

    /// <summary>An undefined symbol is neither a helper, a map symbol nor a builtin.</summary>
    public const string LinkUnresolvedSymbol = "BPF3107";

    /// <summary>The object refers to a map the runtime did not provide.</summary>
    public const string LinkMapMissing = "BPF3108";

    /// <summary>A map's layout (type, key size, value size, max entries, flags) differs from the compiled one.</summary>
    public const string LinkMapLayoutMismatch = "BPF3109";

    /// <summary>The object refers to a map value directly but the map has no fixed value block.</summary>
    public const string LinkMapValueUnavailable = "BPF3110";

    /// <summary>A program's stack exceeds 512 bytes.</summary>
    public const string LinkStackTooLarge = "BPF3111";

    /// <summary>A program's chain of local calls exceeds 8 frames.</summary>
    public const string LinkCallDepthTooLarge = "BPF3112";

    /// <summary>A program's entry symbol is missing, undefined or not a function.</summary>
    public const string LinkProgramSymbolInvalid = "BPF3113";

    /// <summary>A relocation type the linker does not implement.</summary>
    public const string LinkUnsupportedRelocation = "BPF3114";

    /// <summary>A relocation's value does not fit its field (e.g. a 32-bit absolute address above 4 GiB).</summary>
    public const string LinkRelocationOutOfRange = "BPF3115";

    /// <summary>A section kind the linker does not lay out (thread-local storage, extended section indexes).</summary>
    public const string LinkUnsupportedSection = "BPF3116";

    /// <summary>A program name that the linked module does not hold.</summary>
    public const string LinkUnknownProgram = "BPF3117";

    /// <summary>The object defines no program to run.</summary>
    public const string LinkNoPrograms = "BPF3118";

    /// <summary>The metadata's source hash differs from the eBPF object the caller expects (a stale AOT object).</summary>
    public const string LinkSourceHashMismatch = "BPF3119";

    /// <summary>Warning: the object carries no .bpftime.aot metadata, so some checks could not be made.</summary>
    public const string LinkMetadataAbsent = "BPF3120";

    /// <summary>At run time a program called, by id, a helper the active set does not hold.</summary>
    public const string LinkHelperFaultAtRunTime = "BPF3121";

    /// <summary>The caller requires metadata (<see cref="Linking.Native.AotLinkOptions.RequireMetadata"/>) and the object has none.</summary>
    public const string LinkMetadataRequired = "BPF3122";

    /// <summary>An unexpected failure inside the linker itself (a defect, not a property of the object).</summary>
    public const string LinkInternalFailure = "BPF3199";
}
