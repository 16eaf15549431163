namespace Bpftime.Engines.X64;

/// <summary>A position in the code, bound once; jumps to it before binding are patched when the code is finished.</summary>
public readonly record struct X64Label(int Id);
