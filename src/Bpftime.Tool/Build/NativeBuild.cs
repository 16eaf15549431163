using System.Security.Cryptography;
using Bpftime.Compiler.Aot;
using Bpftime.Diagnostics;
using Bpftime.Engines.Aot;
using Bpftime.Hosting;
using Bpftime.Linking.Native;
using Bpftime.Maps;
using Bpftime.Objects;

namespace Bpftime.Tool.Build;

/// <summary>
/// Compiles an object ahead of time for the item's target with LLVM, then proves the result is
/// usable: for the machine that builds, by linking it with the runtime's own linker against real
/// maps and the helper set (exactly what the app will do); for another target, by reading back its
/// metadata and comparing it with the object.
/// </summary>
internal static class NativeBuild
{
    /// <param name="verifiedPrograms">Programs the build's verifier proved safe; with MemoryChecks=auto only these compile without run-time checks.</param>
    /// <param name="unboundedPrograms">Verified programs whose termination was not proven: their native code counts the execution budget.</param>
    public static byte[] Compile(BuildItem item, BpfObjectFile file, IReadOnlyList<BpfProgramInfo> programs, HelperLookup helpers, byte[] source,
        IReadOnlySet<string>? verifiedPrograms = null, IReadOnlySet<string>? unboundedPrograms = null)
    {
        var compiled = AotCompiler.Compile(new AotCompilation
        {
            Programs = [.. programs.Select(p => ProgramContext.For(p, item.ContextSize, item.MemoryWithLength).Record(new AotProgramSource(p.Name, p.ToArray())
            {
                Section = p.Section,
                Verified = item.CompilesUnchecked(verifiedPrograms?.Contains(p.Name) == true),
                // The metadata tells loaders that require verification a proof from the user's trust (MemoryChecks=off).
                Proved = verifiedPrograms?.Contains(p.Name) == true,
                // Unchecked code whose loops may not end still counts the budget (MemoryChecks=off on trust included).
                TerminationProven = unboundedPrograms?.Contains(p.Name) != true,
            }, withSize: true))],
            Maps = file.Maps,
            Helpers = helpers.Table,
            Triple = item.Triple,
            OptimizationLevel = item.OptimizationLevel,
            TargetCpu = item.TargetCpu,
            SourceName = Path.GetFileName(item.Source),
            SourceHash = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(source)),
        });
        if (item.RuntimeIdentifier == HostRuntimeIdentifier())
        {
            LinkCheck(item, file, compiled.Bytes, helpers);
        }
        else
        {
            MetadataCheck(item, file, programs, compiled.Bytes);
        }
        return compiled.Bytes;
    }

    /// <summary>Links the object in this process, as the app's runtime will, and frees it again.</summary>
    private static void LinkCheck(BuildItem item, BpfObjectFile file, byte[] native, HelperLookup helpers)
    {
        var maps = BpfMapFactory.CreateAll(file.Maps, item.Source);
        try
        {
            using var module = AotLinker.Link(native, new AotLinkOptions { Helpers = helpers.Table, Maps = maps, Origin = item.Source });
        }
        finally
        {
            foreach (var map in maps)
            {
                map.Dispose();
            }
        }
    }

    /// <summary>For a foreign target: the metadata must name every program and describe every map as the object does.</summary>
    private static void MetadataCheck(BuildItem item, BpfObjectFile file, IReadOnlyList<BpfProgramInfo> programs, byte[] native)
    {
        var metadata = AotLinker.ReadMetadata(native, item.Source) ?? throw BpfException.Create(DiagnosticCodes.InvalidBuildSetting,
            "the compiled object carries no .bpftime.aot metadata", item.Source);
        foreach (var program in programs)
        {
            if (!metadata.Programs.Any(p => p.Name == program.Name))
            {
                throw BpfException.Create(DiagnosticCodes.InvalidBuildSetting, $"the compiled object lacks program '{program.Name}'", item.Source, program.Name);
            }
        }
        for (var i = 0; i < file.Maps.Count; i++)
        {
            var spec = file.Maps[i];
            var map = i < metadata.Maps.Count ? metadata.Maps[i] : null;
            if (map is null || map.Name != spec.Name || map.Type != (uint)spec.Type || map.KeySize != spec.KeySize
                || map.ValueSize != spec.ValueSize || map.MaxEntries != spec.MaxEntries)
            {
                throw BpfException.Create(DiagnosticCodes.InvalidBuildSetting, $"the compiled object's layout of map '{spec.Name}' differs from the object's", item.Source);
            }
        }
        // The runtime will have to create these maps; refuse now what it could not.
        foreach (var spec in file.Maps)
        {
            using var map = BpfMapFactory.Create(spec, item.Source);
        }
    }

    private static string? HostRuntimeIdentifier() => System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.X64 when OperatingSystem.IsLinux() => "linux-x64",
        System.Runtime.InteropServices.Architecture.Arm64 when OperatingSystem.IsLinux() => "linux-arm64",
        _ => null,
    };
}
