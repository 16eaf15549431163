using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Bpftime.Diagnostics;
using Bpftime.Engines.Aot;

namespace Bpftime.Linking.Native;

/// <summary>
/// The runtime's linker for AOT-compiled programs: takes an x86-64 ELF relocatable object, checks it
/// against the active helper set and the runtime's maps, lays its sections out in one block of
/// executable memory (code pages read-execute, constants read-only, globals read-write), binds
/// helpers, maps and builtins, applies the relocations and hands back an <see cref="AotModule"/>.
/// No LLVM and no system linker are involved. Every refusal is a <see cref="BpfException"/> with a
/// BPF31xx code naming the symbol, program or map at fault.
/// </summary>
public static class AotLinker
{
    /// <summary>Most stack bytes one program frame may use, as for eBPF.</summary>
    public const int MaxStackSize = 512;

    /// <summary>Deepest chain of local calls, as for eBPF.</summary>
    public const int MaxCallDepth = 8;

    /// <summary>Ids the callx dispatcher's table covers; larger ids are reported unknown at run time.</summary>
    public const int MaxDispatchId = 1 << 16;

    /// <summary>Sections that carry nothing a program needs at run time (unwind tables) and are left out.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool IsDroppedSection(string name) => name is ".eh_frame" or ".eh_frame_hdr" or ".gcc_except_table";

    internal const uint SectionTypeUnwind = 0x70000001;
    internal const uint SectionTypeNote = 7;

    /// <summary>Links <paramref name="objectBytes"/>; throws <see cref="BpfException"/> (BPF31xx) when it cannot.</summary>
    public static AotModule Link(ReadOnlySpan<byte> objectBytes, AotLinkOptions options) => Link(objectBytes, null, options);

    /// <summary>Links an object <see cref="Read"/> read (with its metadata), so a load that looked at the metadata first reads the object once.</summary>
    internal static AotModule Link(AotObjectFile file, AotLinkOptions options) => Link([], file, options);

    private static AotModule Link(ReadOnlySpan<byte> objectBytes, AotObjectFile? read, AotLinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Helpers);
        try
        {
            CheckHost(options.Origin);
            var file = read ?? AotObjectFile.Read(objectBytes, options.Origin);
            return new AotLinkJob(file, options).Run();
        }
        catch (BpfException)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A defect of the linker, not of the object: still a BpfException so callers see one error type.
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.LinkInternalFailure,
                $"the AOT linker failed unexpectedly ({e.GetType().Name}: {e.Message})", File: options.Origin), e);
        }
    }

    /// <summary>Reads only the metadata (to create the maps an object expects before linking it); null when it has none.</summary>
    public static AotMetadata? ReadMetadata(ReadOnlySpan<byte> objectBytes, string? origin = null) => Read(objectBytes, origin).LinkMetadata();

    /// <summary>
    /// Reads an object and its metadata (<see cref="AotObjectFile.LinkMetadata"/>) for a later
    /// <see cref="Link(AotObjectFile, AotLinkOptions)"/>; the same refusals as <see cref="ReadMetadata"/>.
    /// </summary>
    internal static AotObjectFile Read(ReadOnlySpan<byte> objectBytes, string? origin)
    {
        try
        {
            var file = AotObjectFile.Read(objectBytes, origin);
            file.LinkMetadata();
            return file;
        }
        catch (BpfException)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.LinkInternalFailure,
                $"reading the AOT metadata failed unexpectedly ({e.GetType().Name}: {e.Message})", File: origin), e);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CheckHost(string? origin)
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            throw WrongHost(origin);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static BpfException WrongHost(string? origin) => BpfException.Create(DiagnosticCodes.NativeObjectTargetMismatch,
        $"this host is {RuntimeInformation.ProcessArchitecture}; the AOT linker links x86_64 code only. Use the interpreter engine here",
        origin);

    /// <summary>The host's architecture name as in a target triple.</summary>
    internal static string HostArchitecture => "x86_64";
}
