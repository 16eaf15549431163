using Bpftime.Compiler.Llvm;
using Bpftime.Helpers;
using Bpftime.Objects;

namespace Bpftime.Compiler.Aot;

/// <summary>Everything one AOT object is compiled from: programs, the maps they share, helpers and target.</summary>
public sealed record AotCompilation
{
    public required IReadOnlyList<AotProgramSource> Programs { get; init; }

    /// <summary>Maps (and global-data regions) by the index ld_imm64 carries.</summary>
    public IReadOnlyList<MapSpec> Maps { get; init; } = [];

    public required HelperTable Helpers { get; init; }

    /// <summary>LLVM triple or a short name (x86_64, x64, aarch64, arm64); defaults to this machine.</summary>
    public string Triple { get; init; } = LlvmTargets.HostTriple;

    public int OptimizationLevel { get; init; } = 3;

    /// <summary>"generic", "native" (host only) or an LLVM CPU name.</summary>
    public string TargetCpu { get; init; } = "generic";

    public string? SourceName { get; init; }

    /// <summary>"sha256:..." of the eBPF object, recorded for the linker and for rebuild checks.</summary>
    public string? SourceHash { get; init; }
}
