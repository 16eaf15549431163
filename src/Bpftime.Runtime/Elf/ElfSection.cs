namespace Bpftime.Elf;

/// <summary>One section header of an ELF64 object; its offset and size are already checked against the file.</summary>
public sealed record ElfSection(
    int Index,
    string Name,
    uint Type,
    ulong Flags,
    int Offset,
    int Size,
    uint Link,
    uint Info,
    ulong Alignment,
    ulong EntrySize)
{
    public const uint TypeNull = 0;
    public const uint TypeProgBits = 1;
    public const uint TypeSymbolTable = 2;
    public const uint TypeStringTable = 3;
    public const uint TypeRela = 4;
    public const uint TypeNoBits = 8;
    public const uint TypeRel = 9;
    public const uint TypeInitArray = 14;
    public const uint TypeFiniArray = 15;
    public const uint TypePreinitArray = 16;
    public const uint TypeGroup = 17;
    public const uint TypeSymbolIndexes = 18;

    public const ulong FlagWrite = 0x1;
    public const ulong FlagAlloc = 0x2;
    public const ulong FlagExecute = 0x4;
    public const ulong FlagThreadLocal = 0x400;

    public bool IsAllocated => (Flags & FlagAlloc) != 0;

    public bool IsExecutable => (Flags & FlagExecute) != 0;

    public bool IsWritable => (Flags & FlagWrite) != 0;

    /// <summary>Zero-filled at load (.bss): occupies no bytes in the file.</summary>
    public bool IsNoBits => Type == TypeNoBits;

    /// <summary>Executable bytes in the file: program code in an eBPF object, machine code in a native one.</summary>
    public bool IsCode => Type == TypeProgBits && IsExecutable;
}
