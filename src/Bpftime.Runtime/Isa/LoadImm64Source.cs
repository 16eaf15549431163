namespace Bpftime.Isa;

/// <summary>The src field of ld_imm64 (RFC 9669 section 5.4): how the 64-bit immediate is interpreted.</summary>
public enum LoadImm64Source : byte
{
    /// <summary>The immediate itself.</summary>
    Immediate = 0,
    /// <summary>imm is a map file descriptor (index); the result is the map.</summary>
    MapByFd = 1,
    /// <summary>imm is a map fd, next imm an offset; the result is the address of that byte of the map's value.</summary>
    MapValueByFd = 2,
    /// <summary>imm is a variable id; the result is its address.</summary>
    VariableAddress = 3,
    /// <summary>imm is a relative instruction offset; the result is the code address.</summary>
    CodeAddress = 4,
    /// <summary>imm is a map index; the result is the map.</summary>
    MapByIndex = 5,
    /// <summary>imm is a map index, next imm an offset; the result is the address in the map's value.</summary>
    MapValueByIndex = 6,
}
