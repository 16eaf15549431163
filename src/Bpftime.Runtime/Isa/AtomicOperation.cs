namespace Bpftime.Isa;

/// <summary>The immediate of an atomic STX instruction.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1069:Enums values should not be duplicated",
    Justification = "The eBPF encoding: BPF_ADD is 0, so BPF_ADD | BPF_FETCH equals the BPF_FETCH flag; both names are the ISA's.")]
public enum AtomicOperation : int
{
    Add = 0x00,
    Or = 0x40,
    And = 0x50,
    Xor = 0xa0,
    /// <summary>Flag: the old value is returned in src.</summary>
    Fetch = 0x01,
    FetchAdd = Add | Fetch,
    FetchOr = Or | Fetch,
    FetchAnd = And | Fetch,
    FetchXor = Xor | Fetch,
    /// <summary>Exchange: always fetches.</summary>
    Xchg = 0xe0 | Fetch,
    /// <summary>Compare-and-exchange with r0 as the expected value; the old value lands in r0.</summary>
    CmpXchg = 0xf0 | Fetch,
}
