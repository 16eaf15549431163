namespace Bpftime.Diagnostics;

/// <summary>Helpers (BPF4230-4299).</summary>
public static partial class DiagnosticCodes
{
    /// <summary>A host-defined helper with an id below 1000, which Linux's numbering owns.</summary>
    public const string HostHelperIdReserved = "BPF4230";

    /// <summary>A host-defined helper whose prototype no program could call (more than five arguments).</summary>
    public const string HostHelperInvalidPrototype = "BPF4231";

    /// <summary>A helper set name the runtime does not know.</summary>
    public const string UnknownHelperSet = "BPF4232";

    /// <summary>XDP frames cannot be placed below 4 GiB on this platform, so programs cannot read 32-bit packet pointers.</summary>
    public const string XdpFrameUnavailable = "BPF4233";

    /// <summary>A packet larger than the XDP frame's capacity.</summary>
    public const string XdpPacketTooLarge = "BPF4234";

    /// <summary>A host context type that cannot be passed to a program (size mismatch, undeclared layout).</summary>
    public const string InvalidContextType = "BPF4235";

    /// <summary>A program wrote a context field that the host declared read-only.</summary>
    public const string ReadOnlyContextFieldWritten = "BPF4236";

    /// <summary>A CO-RE relocation that cannot be resolved against the host's declared context types.</summary>
    public const string CoreRelocationUnresolved = "BPF4237";

    /// <summary>A program calls a helper that reads host memory (probe_read and friends), which only the "tracing" helper set holds.</summary>
    public const string HelperNeedsTracingSet = "BPF4238";

    /// <summary>A program left an XDP frame's data_meta, data or data_end outside the frame or out of order, so the host cannot read the packet.</summary>
    public const string XdpFrameCorrupt = "BPF4239";
}
