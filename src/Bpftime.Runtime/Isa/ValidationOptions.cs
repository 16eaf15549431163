namespace Bpftime.Isa;

/// <summary>What <see cref="ProgramValidator"/> accepts beyond the structural rules that always hold.</summary>
public sealed record ValidationOptions
{
    public static ValidationOptions Default { get; } = new();

    /// <summary>The longest program accepted, in slots (Linux's limit for privileged programs).</summary>
    public int MaxInstructions { get; init; } = 1_000_000;

    /// <summary>The newest instruction set version accepted.</summary>
    public IsaVersion IsaVersion { get; init; } = IsaVersion.V4;

    /// <summary>Accept callx (0x8d, call through a register), which RFC 9669 leaves out of its conformance groups.</summary>
    public bool AllowCallx { get; init; }

    /// <summary>Accept calls to kernel functions by BTF id (call with src 2).</summary>
    public bool AllowKernelFunctionCalls { get; init; }

    /// <summary>The largest helper id a call may name; Linux's ids are far below the default.</summary>
    public int MaxHelperId { get; init; } = 0xffff;
}
