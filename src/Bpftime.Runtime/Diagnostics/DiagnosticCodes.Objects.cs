namespace Bpftime.Diagnostics;

/// <summary>Object reader: ELF containers, BTF, relocations and map definitions (BPF1001-1099).</summary>
public static partial class DiagnosticCodes
{
    /// <summary>The input is neither an ELF object nor raw bytecode (empty, text, a .o that is not ELF, a length that is not a whole number of instructions, or a first instruction the ISA does not define).</summary>
    public const string ObjectNotRecognized = "BPF1001";

    /// <summary>The ELF header is shorter than 64 bytes or names impossible header sizes.</summary>
    public const string ElfHeaderTruncated = "BPF1002";

    /// <summary>The ELF object is not 64-bit.</summary>
    public const string ElfWrongClass = "BPF1003";

    /// <summary>The ELF object is not little-endian (only bpfel objects are supported).</summary>
    public const string ElfWrongEndianness = "BPF1004";

    /// <summary>The ELF machine is not EM_BPF (247).</summary>
    public const string ElfWrongMachine = "BPF1005";

    /// <summary>The ELF object is not relocatable (ET_REL).</summary>
    public const string ElfWrongType = "BPF1006";

    /// <summary>The section header table lies outside the file or has a bad entry size.</summary>
    public const string SectionHeadersOutOfBounds = "BPF1007";

    /// <summary>A section's contents lie outside the file.</summary>
    public const string SectionOutOfBounds = "BPF1008";

    /// <summary>A name points outside its ELF string table.</summary>
    public const string BadStringOffset = "BPF1009";

    /// <summary>The symbol table is malformed (entry size, links, or a symbol outside its section).</summary>
    public const string SymbolTableMalformed = "BPF1010";

    /// <summary>A relocation's offset lies outside, or is misaligned within, the section it patches.</summary>
    public const string RelocationOutOfBounds = "BPF1011";

    /// <summary>A relocation names a symbol that does not exist.</summary>
    public const string RelocationSymbolMissing = "BPF1012";

    /// <summary>A 64-bit data relocation (R_BPF_64_64) patches an instruction that is not ld_imm64.</summary>
    public const string RelocationNotOnLoadImm64 = "BPF1013";

    /// <summary>A call relocation (R_BPF_64_32) patches an instruction that is not a call.</summary>
    public const string RelocationNotOnCall = "BPF1014";

    /// <summary>A relocation type that code sections may not carry.</summary>
    public const string UnsupportedRelocation = "BPF1015";

    /// <summary>A code section or function whose size is not a whole number of 8-byte instructions.</summary>
    public const string ProgramSizeNotMultipleOfEight = "BPF1016";

    /// <summary>A function symbol that lies outside its code section or is misaligned.</summary>
    public const string FunctionOutOfSection = "BPF1017";

    /// <summary>A call or code address that does not land on an instruction of a function.</summary>
    public const string CallTargetInvalid = "BPF1018";

    /// <summary>A relocation against an undefined symbol (extern variable or kernel function), which cannot be resolved here.</summary>
    public const string UnresolvedExtern = "BPF1019";

    /// <summary>A relocation against a map symbol that matches no map definition.</summary>
    public const string MapNotFound = "BPF1020";

    /// <summary>A global-data reference whose offset lies outside its section.</summary>
    public const string GlobalDataOffsetOutOfRange = "BPF1021";

    /// <summary>ld_imm64 in the last slot of a function, with no second slot.</summary>
    public const string ObjectLoadImm64Truncated = "BPF1022";

    /// <summary>A relocation against a symbol in a section that can be neither a map, global data nor code.</summary>
    public const string RelocationTargetUnsupported = "BPF1023";

    /// <summary>The object file could not be read from disk.</summary>
    public const string ObjectFileUnreadable = "BPF1024";

    /// <summary>A global-data section larger than the reader accepts (16 MiB).</summary>
    public const string GlobalDataTooLarge = "BPF1025";

    /// <summary>The object is malformed in a way no more specific check caught.</summary>
    public const string ObjectMalformed = "BPF1026";

    /// <summary>A program that, with the subprograms it calls, exceeds 1,000,000 instruction slots.</summary>
    public const string ProgramTooLarge = "BPF1027";

    /// <summary>The .BTF header is bad: magic, version, header length, or section bounds.</summary>
    public const string BtfHeaderInvalid = "BPF1030";

    /// <summary>A BTF type record runs past the end of the type section.</summary>
    public const string BtfTypeTruncated = "BPF1031";

    /// <summary>A BTF type of an unknown kind.</summary>
    public const string BtfUnknownKind = "BPF1032";

    /// <summary>A BTF type id that refers past the last type.</summary>
    public const string BtfTypeIdOutOfRange = "BPF1033";

    /// <summary>A BTF name offset outside the BTF string table.</summary>
    public const string BtfBadStringOffset = "BPF1034";

    /// <summary>BTF types that refer to each other in a loop that no pointer breaks.</summary>
    public const string BtfCycle = "BPF1035";

    /// <summary>A BTF type whose size cannot be represented (array of arrays overflowing 32 bits).</summary>
    public const string BtfSizeOverflow = "BPF1036";

    /// <summary>The .BTF.ext header or one of its record sections is bad.</summary>
    public const string BtfExtInvalid = "BPF1037";

    /// <summary>A .BTF.ext record names an instruction outside its section.</summary>
    public const string BtfExtInstructionOutOfRange = "BPF1038";

    /// <summary>A .maps section in an object without BTF, which is needed to decode it.</summary>
    public const string MapsSectionWithoutBtf = "BPF1050";

    /// <summary>A BTF-defined map whose definition cannot be decoded.</summary>
    public const string MapDefinitionInvalid = "BPF1051";

    /// <summary>A legacy `maps` section entry shorter than struct bpf_map_def's first four fields.</summary>
    public const string LegacyMapDefinitionTruncated = "BPF1052";

    /// <summary>Warning: a relocation in a non-code section that the reader does not apply.</summary>
    public const string RelocationIgnored = "BPF1080";

    /// <summary>Warning: the object holds no program.</summary>
    public const string NoPrograms = "BPF1081";

    /// <summary>Warning: a program section whose name libbpf does not know; its type is Unspecified.</summary>
    public const string UnknownSectionName = "BPF1082";

    /// <summary>The path given as an object is a directory.</summary>
    public const string ObjectPathIsDirectory = "BPF1083";

    /// <summary>Warning: the object's e_machine is EM_NONE (old LLVM), read as EM_BPF as libbpf does.</summary>
    public const string ElfMachineNone = "BPF1084";

    /// <summary>A legacy map of maps whose inner_map_idx names no other plain legacy map of the object.</summary>
    public const string LegacyInnerMapInvalid = "BPF1085";

    /// <summary>Warning: a map of maps without an inner map layout; lookups in it cannot be verified.</summary>
    public const string MapOfMapsWithoutInnerLayout = "BPF1086";

    /// <summary>A `.values` initialiser of a BTF map that libbpf would refuse: not a program array or map of maps, a slot outside the values or the map, a target that is not a program or another map.</summary>
    public const string MapSlotInitialiserInvalid = "BPF1094";
}
