namespace Bpftime.Elf;

/// <summary>
/// One REL or RELA entry: patch <see cref="Offset"/> of the target section against a symbol. The type's
/// meaning belongs to the machine (BPF or x86-64 relocation types); REL entries have a zero addend.
/// </summary>
public readonly record struct ElfRelocation(ulong Offset, int SymbolIndex, uint Type, long Addend);
