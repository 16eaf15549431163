namespace Bpftime.Elf;

/// <summary>One ELF64 symbol; a section symbol without a name takes its section's name.</summary>
public sealed record ElfSymbol(int Index, string Name, byte Info, byte Other, ushort SectionIndex, ulong Value, ulong Size)
{
    public const ushort SectionUndefined = 0;
    public const ushort SectionReserveLow = 0xff00;
    public const ushort SectionAbsolute = 0xfff1;
    public const ushort SectionCommon = 0xfff2;
    public const ushort SectionExtended = 0xffff;

    public const int BindingLocal = 0;
    public const int BindingGlobal = 1;
    public const int BindingWeak = 2;

    public const int TypeNone = 0;
    public const int TypeObject = 1;
    public const int TypeFunction = 2;
    public const int TypeSection = 3;
    public const int TypeFile = 4;
    public const int TypeCommon = 5;
    public const int TypeThreadLocal = 6;

    public int Binding => Info >> 4;

    public int Type => Info & 0xf;

    public bool IsUndefined => SectionIndex == SectionUndefined;

    public bool IsFunction => Type == TypeFunction;

    public bool IsSection => Type == TypeSection;

    public bool IsGlobal => Binding is BindingGlobal or BindingWeak;

    /// <summary>True where the symbol lives in an ordinary section (not undefined, absolute or common).</summary>
    public bool IsInSection => SectionIndex != SectionUndefined && SectionIndex < SectionReserveLow;
}
