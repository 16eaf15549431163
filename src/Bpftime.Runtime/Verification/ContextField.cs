namespace Bpftime.Verification;

/// <summary>A range of context bytes a program may read, and write when <see cref="Writable"/>.</summary>
public sealed record ContextField(string Name, int Offset, int Size, bool Writable = false, ContextFieldKind Kind = ContextFieldKind.Scalar)
{
    public int End => Offset + Size;
}
