namespace Bpftime.Objects.Elf;

/// <summary>One ELF64 symbol.</summary>
internal sealed record ElfSymbol(int Index, string Name, byte Info, ushort SectionIndex, ulong Value, ulong Size)
{
    public const byte TypeNoType = 0;
    public const byte TypeObject = 1;
    public const byte TypeFunction = 2;
    public const byte TypeSection = 3;
    public const byte BindLocal = 0;
    public const byte BindGlobal = 1;
    public const byte BindWeak = 2;
    public const ushort SectionUndefined = 0;
    public const ushort SectionReserveLow = 0xff00;

    public byte Type => (byte)(Info & 0x0f);

    public byte Binding => (byte)(Info >> 4);

    public bool IsFunction => Type == TypeFunction;

    public bool IsSection => Type == TypeSection;

    public bool IsGlobal => Binding is BindGlobal or BindWeak;

    public bool IsUndefined => SectionIndex == SectionUndefined;

    /// <summary>True where the symbol lives in an ordinary section (not undefined, absolute or common).</summary>
    public bool IsInSection => SectionIndex != SectionUndefined && SectionIndex < SectionReserveLow;
}
