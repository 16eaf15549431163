namespace Bpftime.Verification;

/// <summary>A range of context bytes a program may read, and write when <see cref="Writable"/>.</summary>
public sealed record ContextField(string Name, int Offset, int Size, bool Writable = false, ContextFieldKind Kind = ContextFieldKind.Scalar)
{
    public int End => Offset + Size;

    /// <summary>
    /// Under Linux's access rules: the field is an array (cb[5], ip6 addresses, sock_ops reply) whose
    /// elements may be written one by one, at any aligned width inside it, instead of only whole.
    /// </summary>
    public bool PartialWrites { get; init; }
}
