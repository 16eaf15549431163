namespace Bpftime.Isa;

/// <summary>The instruction set versions of RFC 9669's conformance groups, as clang's -mcpu=v1..v4 emits them.</summary>
public enum IsaVersion
{
    /// <summary>The base set: 64/32-bit ALU, jeq/jgt/jge/jset/jne/jsgt/jsge, loads and stores, atomic add.</summary>
    V1 = 1,
    /// <summary>Adds jlt, jle, jslt and jsle.</summary>
    V2 = 2,
    /// <summary>Adds the JMP32 class and the atomic or/and/xor, fetch, xchg and cmpxchg operations.</summary>
    V3 = 3,
    /// <summary>Adds sdiv/smod, movsx, sign-extending loads, unconditional bswap and gotol.</summary>
    V4 = 4,
}
