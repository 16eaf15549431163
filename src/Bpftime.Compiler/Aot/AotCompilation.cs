using System.Security.Cryptography;
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

    /// <summary>
    /// Value blocks of live array and global-data maps that checked code may test inline, as absolute
    /// addresses. Only for an object linked at once in this process against those very maps (the aot
    /// engine); objects built ahead of time leave it empty and reach map values through the slow path.
    /// </summary>
    public IReadOnlyList<Bpftime.Execution.MemoryRegion> FixedRegions { get; init; } = [];

    /// <summary>"sha256:..." of the eBPF object, recorded for the linker and for rebuild checks.</summary>
    public string? SourceHash { get; init; }

    /// <summary>
    /// Every program of an object read by <see cref="ObjectReader"/>, with its maps, named after the
    /// object and hashed from <paramref name="objectBytes"/> (the file as read) when given. Programs are
    /// compiled with run-time memory checks unless <paramref name="verified"/> says the build proved them safe.
    /// </summary>
    public static AotCompilation FromObject(BpfObjectFile file, HelperTable helpers, ReadOnlySpan<byte> objectBytes = default, bool verified = false) => new()
    {
        Programs = [.. file.Programs.Select(p => new AotProgramSource(p.Name, p.ToArray()) { Section = p.Section, Verified = verified })],
        Maps = file.Maps,
        Helpers = helpers,
        SourceName = file.Path is null ? null : System.IO.Path.GetFileName(file.Path),
        SourceHash = objectBytes.IsEmpty ? null : "sha256:" + Convert.ToHexStringLower(SHA256.HashData(objectBytes)),
    };
}
