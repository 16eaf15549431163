namespace Bpftime.Verification;

/// <summary>
/// A pointer into read-only data reached a helper without a prototype, which may write it: the bytes
/// of .rodata are then not known constants, and the program is verified again without folding them.
/// </summary>
internal sealed class ReadOnlyDataEscapes : Exception
{
    public ReadOnlyDataEscapes()
        : base("read-only data reaches a helper that may write it")
    {
    }
}
