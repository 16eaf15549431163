namespace Bpftime.Engines.Aot;

/// <summary>One RELA entry: patch <see cref="Offset"/> of the target section with <see cref="Type"/>'s formula.</summary>
public readonly record struct ElfRelocation(ulong Offset, X64RelocationType Type, int SymbolIndex, long Addend);
