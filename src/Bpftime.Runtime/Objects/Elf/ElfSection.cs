namespace Bpftime.Objects.Elf;

/// <summary>One section header of an ELF64 object, with its contents already bounds-checked.</summary>
internal sealed record ElfSection(
    int Index,
    string Name,
    uint Type,
    ulong Flags,
    int Offset,
    int Size,
    uint Link,
    uint Info,
    ulong EntrySize)
{
    public const uint TypeNull = 0;
    public const uint TypeProgBits = 1;
    public const uint TypeSymTab = 2;
    public const uint TypeStrTab = 3;
    public const uint TypeRela = 4;
    public const uint TypeNoBits = 8;
    public const uint TypeRel = 9;

    public const ulong FlagWrite = 0x1;
    public const ulong FlagAlloc = 0x2;
    public const ulong FlagExecute = 0x4;

    public bool IsNoBits => Type == TypeNoBits;

    public bool IsExecutable => Type == TypeProgBits && (Flags & FlagExecute) != 0;
}
