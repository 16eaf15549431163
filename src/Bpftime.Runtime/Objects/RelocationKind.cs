namespace Bpftime.Objects;

/// <summary>The kinds of relocation the reader counts in <see cref="BpfObjectFile.RelocationCounts"/>.</summary>
public enum RelocationKind
{
    /// <summary>ld_imm64 of a declared map, rewritten to src 5 (map by index).</summary>
    MapReference,
    /// <summary>ld_imm64 of global data, rewritten to src 6 (map value by index, offset in the second slot).</summary>
    GlobalData,
    /// <summary>A call to a BPF function (R_BPF_64_32, or a local call the compiler resolved).</summary>
    SubprogramCall,
    /// <summary>ld_imm64 of a function address (callbacks), rewritten to src 4.</summary>
    CodeAddress,
    /// <summary>R_BPF_64_ABS64 outside code (debug info, BTF, pointers in data); not applied.</summary>
    Absolute64,
    /// <summary>R_BPF_64_ABS32 outside code; not applied.</summary>
    Absolute32,
    /// <summary>R_BPF_64_NODYLD32 (.BTF.ext instruction offsets); not applied, offsets are section-relative already.</summary>
    NoDynamicLoad32,
    /// <summary>Any other relocation outside code, recorded and ignored.</summary>
    Other,
}
