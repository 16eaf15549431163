namespace Bpftime.Verification;

/// <summary>How a helper uses the memory an argument points at.</summary>
internal enum MemoryUse
{
    /// <summary>Reads it: every byte must be initialised.</summary>
    Read,
    /// <summary>Writes it: every byte must be writable.</summary>
    Write,
    /// <summary>Reads it and writes it back (bpf_fib_lookup's params).</summary>
    ReadWrite,
}

/// <summary>
/// The argument points at memory the helper reads or writes, of the size in the next argument
/// (<paramref name="SizeRegister"/>, when the prototype has one there): the size is a bounded number
/// (non-zero unless <paramref name="ZeroSizeAllowed"/>), and the pointer covers that many bytes. With
/// <paramref name="OrNull"/> it may be 0 with a size of 0. <paramref name="FormatStrings"/>: the
/// argument is bpf_snprintf's data array, whose %s entries may hold pointers.
/// </summary>
internal sealed record MemoryArgument(int Register, string Role, MemoryUse Use, bool HasSize, bool ZeroSizeAllowed, bool OrNull, bool FormatStrings)
    : HelperArgumentAssertion(Register, Role)
{
    public int SizeRegister => Register + 1;
}
