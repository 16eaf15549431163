namespace Bpftime.Objects;

/// <summary>
/// A slot of a program array or a map of maps that the object fills at load (libbpf's
/// <c>.values = { [Index] = &amp;target }</c>): <see cref="Target"/> names a program of the object
/// (program arrays) or another map of it (maps of maps).
/// </summary>
public sealed record MapSlot(uint Index, string Target);
