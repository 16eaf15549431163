namespace Bpftime.Execution;

/// <summary>What <see cref="AccessPolicy"/> decided about an access.</summary>
public enum AccessVerdict
{
    Allowed,

    /// <summary>A write into memory the program may only read (.rodata, BPF_F_RDONLY_PROG).</summary>
    ReadOnly,

    /// <summary>Starts inside a region the program may use but runs past its end.</summary>
    PastEnd,

    /// <summary>Names no memory the program may use.</summary>
    OutOfBounds,
}
