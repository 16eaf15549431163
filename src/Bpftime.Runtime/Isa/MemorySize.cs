namespace Bpftime.Isa;

/// <summary>Bits 3-4 of a load or store opcode: the access width.</summary>
public enum MemorySize : byte
{
    Word = 0x00,
    Half = 0x08,
    Byte = 0x10,
    DoubleWord = 0x18,
}

public static class MemorySizeExtensions
{
    public static int ByteCount(this MemorySize size) => size switch
    {
        MemorySize.Byte => 1,
        MemorySize.Half => 2,
        MemorySize.Word => 4,
        _ => 8,
    };
}
