namespace Bpftime.Isa;

/// <summary>The immediate of an atomic STX instruction.</summary>
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
