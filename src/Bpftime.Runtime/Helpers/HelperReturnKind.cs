namespace Bpftime.Helpers;

/// <summary>What a helper leaves in r0.</summary>
public enum HelperReturnKind
{
    /// <summary>A 64-bit scalar.</summary>
    Integer,
    /// <summary>Nothing meaningful (r0 is clobbered).</summary>
    Void,
    /// <summary>A pointer to a map value, or null: must be checked before use.</summary>
    MapValueOrNull,
    /// <summary>A ring-buffer record, or null: must be checked and then submitted or discarded.</summary>
    RingBufferRecordOrNull,
    /// <summary>
    /// A pointer the verifier does not track (a socket from sk_lookup_tcp, a BTF object from
    /// skc_to_tcp_sock): calls to such helpers are refused with a message saying so.
    /// </summary>
    UntrackedPointer,
}
