namespace Bpftime.Elf;

/// <summary>What the ELF reader found wrong; an <see cref="ElfReadPolicy"/> turns it into a diagnostic of its own area.</summary>
public enum ElfProblem
{
    /// <summary>No \x7fELF magic.</summary>
    NotElf,
    HeaderTruncated,
    WrongClass,
    WrongEndianness,
    /// <summary>e_machine is not one the caller reads.</summary>
    WrongMachine,
    /// <summary>e_type is not ET_REL.</summary>
    WrongType,
    SectionHeadersOutOfBounds,
    /// <summary>Extended section numbering (SHN_XINDEX, e_shnum 0), which no producer of ours writes.</summary>
    ExtendedNumbering,
    SectionOutOfBounds,
    StringOutOfBounds,
    SymbolTableMalformed,
    /// <summary>REL entries where the caller reads only RELA.</summary>
    RelWithoutAddends,
    RelocationOutOfBounds,
    RelocationSymbolMissing,
}
