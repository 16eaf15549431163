namespace Bpftime.Diagnostics;

/// <summary>Hosting, configuration and the build (BPF4101-4199; BPF4100 is executable memory).</summary>
public static partial class DiagnosticCodes
{
    /// <summary>An object declares a map of a type the runtime cannot create yet.</summary>
    public const string UnsupportedMapType = "BPF4101";

    /// <summary>No embedded eBPF object of the requested name in the assembly.</summary>
    public const string EmbeddedObjectNotFound = "BPF4102";

    /// <summary>An engine name that no registered engine answers to.</summary>
    public const string UnknownEngine = "BPF4103";

    /// <summary>The chosen engine cannot run here, or the native object cannot be used and the policy forbids a fallback.</summary>
    public const string EngineUnavailable = "BPF4104";

    /// <summary>A program or map name the loaded object does not have.</summary>
    public const string NameNotFound = "BPF4105";

    /// <summary>The build manifest or a build setting is invalid.</summary>
    public const string InvalidBuildSetting = "BPF4106";

    /// <summary>No ahead-of-time target for the runtime identifier (a warning: bytecode only).</summary>
    public const string NoAotTarget = "BPF4107";

    /// <summary>An object, stream or output file could not be read or written.</summary>
    public const string HostingIoFailure = "BPF4108";

    /// <summary>BpfSource items need clang, which was not found (reported by the SDK's targets).</summary>
    public const string ClangNotFound = "BPF4109";

    /// <summary>The native object could not be used; the bytecode runs instead (information).</summary>
    public const string NativeObjectFallback = "BPF4110";

    /// <summary>The bpftime tool could not be found or ended without a diagnostic (reported by the SDK's task).</summary>
    public const string BuildToolFailed = "BPF4111";

    /// <summary>An object has no program to run.</summary>
    public const string ObjectHasNoPrograms = "BPF4112";

    /// <summary>A loaded object or program was used after it was disposed.</summary>
    public const string UsedAfterDispose = "BPF4113";

    /// <summary>A program calls a helper that the chosen helper set does not provide.</summary>
    public const string HelperNotInSet = "BPF4114";

    /// <summary>A verified program was run with less context memory than it was verified for.</summary>
    public const string ContextTooSmall = "BPF4115";

    /// <summary>Verification was required, but a native object's program was compiled with run-time checks (the build did not verify it).</summary>
    public const string NativeProgramNotVerified = "BPF4116";

    /// <summary>A program was run with another kind of context than it was loaded for (an XDP program on a span, a raw-memory program on an XDP frame, another host struct).</summary>
    public const string WrongContextKind = "BPF4117";

    /// <summary>Verification was required, but a native object's program runs unchecked on trust (compiled with memory checks off) rather than on a verifier's proof.</summary>
    public const string NativeProgramTrustedNotProved = "BPF4118";

    /// <summary>Proven termination was required, but a native object's program was verified without proof that its loops end.</summary>
    public const string NativeProgramTerminationNotProven = "BPF4119";

    /// <summary>The build cannot lay out a C# struct of the typed skeleton as the object's BTF lays out the C type.</summary>
    public const string SkeletonLayoutMismatch = "BPF4120";

    /// <summary>clang reported an error (or could not run) compiling a BpfSource item.</summary>
    public const string ClangCompileFailed = "BPF4121";

    /// <summary>clang warned compiling a BpfSource item.</summary>
    public const string ClangWarning = "BPF4122";

    /// <summary>A map of maps refused a slot the host set through a typed view's indexer (past the end, full); Set returns the errno instead.</summary>
    public const string MapOfMapsSlotRefused = "BPF4123";

    /// <summary>Bytes given for a read-only global-data section (BpfLoadOptions.ReadOnlyData) are not the section's size.</summary>
    public const string ReadOnlyDataSizeMismatch = "BPF4131";

    /// <summary>Bytes were given for a section the object does not have as read-only global data.</summary>
    public const string ReadOnlyDataSectionNotFound = "BPF4132";

    /// <summary>Bytes were given before the load for a global-data section programs may write (.data, .bss).</summary>
    public const string ReadOnlyDataSectionWritable = "BPF4133";

    /// <summary>Read-only data was set after a load took it: the loaded object keeps the bytes it was verified with.</summary>
    public const string ReadOnlyDataAlreadyLoaded = "BPF4134";

    /// <summary>A native object loaded without its bytecode runs unchecked code, which cannot be verified again for the host's new .rodata bytes.</summary>
    public const string ReadOnlyDataNativeNotReverifiable = "BPF4135";

    /// <summary>Native code compiled without run-time checks was proved for the build's .rodata; the verifier refuses it with the host's bytes.</summary>
    public const string ReadOnlyDataNativeRefused = "BPF4136";

    /// <summary>Native code compiled without the execution-budget counter was proved to end for the build's .rodata; with the host's bytes its loops are not proven to end.</summary>
    public const string ReadOnlyDataNativeUnbounded = "BPF4137";

    /// <summary>The host wrote read-only global data (.rodata) after its object was loaded: it is frozen, since programs were verified against its bytes.</summary>
    public const string ReadOnlyDataFrozen = "BPF4138";

    /// <summary>A packet larger than the socket buffer's capacity.</summary>
    public const string SocketBufferPacketTooLarge = "BPF4190";
}
