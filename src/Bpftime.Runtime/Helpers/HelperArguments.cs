using Bpftime.Diagnostics;
using Bpftime.Execution;
using Bpftime.Maps;

namespace Bpftime.Helpers;

/// <summary>Turns the map arguments programs pass into maps without trusting them.</summary>
internal static class HelperArguments
{
    /// <summary>
    /// The live map behind <paramref name="handle"/>, or null when it is none (the helper answers as for
    /// a null map). A checked run may name only its own maps, and maps a slot of one of its maps of maps
    /// holds: another value is a fault.
    /// </summary>
    public static BpfMap? Map(ulong handle, string helper) => Map(handle, helper, ActiveRuns.Current);

    /// <summary>
    /// <see cref="Map(ulong, string)"/> for the innermost <paramref name="run"/>, read once by the caller.
    /// The run's own maps are searched first, by handle (a disposed map's handle is 0, which no
    /// argument matches): the common case needs no look-up in the table of live maps.
    /// </summary>
    public static BpfMap? Map(ulong handle, string helper, ActiveRun? run)
    {
        if (run is not null && handle != 0)
        {
            var maps = run.Maps;
            for (var i = 0; i < maps.Count; i++)
            {
                if (maps[i] is BpfMap own && own.Handle == (nint)handle)
                {
                    return own;
                }
            }
        }
        var map = BpfMap.FromHandle((nint)handle);
        if (run is { ChecksMemory: true } && !Owns(run, map))
        {
            throw BpfException.Create(DiagnosticCodes.ForgedMapHandle,
                $"helper {helper}, argument 1: 0x{handle:x} is not the handle of one of the program's {run.Maps.Count} map(s); pass a map the program loaded with ld_imm64",
                run.Origin, run.ProgramName);
        }
        return map;
    }

    private static bool Owns(ActiveRun run, BpfMap? map)
    {
        if (map is null)
        {
            return false;
        }
        var maps = run.Maps;
        for (var i = 0; i < maps.Count; i++)
        {
            if (ReferenceEquals(maps[i], map))
            {
                return true;
            }
        }
        // A map the run reached through one of its maps of maps, while a slot still holds it.
        for (var i = 0; i < maps.Count; i++)
        {
            if (maps[i] is MapOfMaps outer && outer.Holds(map))
            {
                return true;
            }
        }
        return false;
    }
}
