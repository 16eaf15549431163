namespace Bpftime.Objects;

/// <summary>Relocation types of the BPF ELF ABI.</summary>
internal static class BpfRelocationType
{
    public const uint None = 0;
    /// <summary>ld_imm64 of a map, global data or function address.</summary>
    public const uint R64_64 = 1;
    public const uint Abs64 = 2;
    public const uint Abs32 = 3;
    /// <summary>Like ABS32 but not applied by dynamic loaders (used in .BTF.ext).</summary>
    public const uint NoDyld32 = 4;
    /// <summary>A call to a BPF function.</summary>
    public const uint R64_32 = 10;
}
