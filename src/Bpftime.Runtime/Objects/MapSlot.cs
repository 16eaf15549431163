namespace Bpftime.Objects;

/// <summary>
/// A slot of a program array or a map of maps that the object fills at load (libbpf's
/// <c>.values = { [Index] = &amp;target }</c>): <see cref="Target"/> names a program of the object
/// (program arrays) or another map of it (maps of maps).
/// </summary>
public sealed record MapSlot(uint Index, string Target)
{
    /// <summary>
    /// Why the slot cannot be filled (a subprogram named as a program array's value), or null. Like libbpf,
    /// only loading the object fails on it: reading and verifying the object's programs do not need the slot.
    /// </summary>
    public string? Refusal { get; init; }
}
