namespace Bpftime.Sandbox.Fuzz.Sandbox;

/// <summary>
/// Decides whether a value a program left in r0, a map value or the ring buffer is a host pointer. The rule
/// (docs/fuzzing.md): a value is a host pointer when it lies inside a mapping of the process
/// (/proc/self/maps) and outside every region the run handed the program, widened by a neighbourhood
/// (<see cref="HandedRegions"/>); and, run again with every handed region moved (new context page, new maps,
/// another thread's stack), the value does not move by the distance one of those regions moved. A value
/// computed from a handed pointer moves with it; a host address the program was never given does not.
/// </summary>
internal sealed class HostPointerRule(ProcessMappings mappings)
{
    /// <summary>Lowest address counted: below it lie small integers, never a mapping.</summary>
    public const ulong LowestAddress = 0x10000;

    /// <summary>One past the highest user-space address on x86-64 (47 bits).</summary>
    public const ulong UserSpaceEnd = 1UL << 47;

    /// <summary>
    /// A candidate address: in user space and not a multiple of 4 GiB. Programs write round constants
    /// (a byte 0x7f read back as 0x7f0000000000 from an unaligned offset) that can fall inside the
    /// runtime's large address reservations; no mapping the runtime hands out or leaks is that aligned.
    /// </summary>
    public static bool MayBeAddress(ulong value) => value >= LowestAddress && value < UserSpaceEnd && (uint)value != 0;

    /// <summary>
    /// The mapping a value points into when it is outside the handed regions, else null. Mappings with
    /// no access at all (the runtime's address reservations, guard pages) hold no data a program could
    /// have been shown: only round constants land there (0x7f00000000ff from bytes 0x7f and 0xff).
    /// </summary>
    public ProcessMapping? Suspect(ulong value, HandedRegions handed) =>
        !MayBeAddress(value) || handed.Contains(value) ? null : mappings.Find(value) is { } mapping && !mapping.Permissions.StartsWith("---", StringComparison.Ordinal) ? mapping : null;

    /// <summary>How far the low bytes a program may overwrite can move a handed pointer (two bytes).</summary>
    private const ulong PartialOverwrite = 0x10000;

    /// <summary>
    /// True when the suspect value is explained by the rerun: some rerun output equals it shifted by the
    /// distance a handed region moved, up to its two low bytes.
    /// </summary>
    public static bool MovedWithHandedRegion(ulong value, HandedRegions first, HandedRegions second, IReadOnlySet<ulong> rerunValues)
    {
        foreach (var (name, start) in first.Anchors)
        {
            if (second.Anchors.TryGetValue(name, out var moved) && moved != start)
            {
                var expected = value + (moved - start);
                if (rerunValues.Contains(expected))
                {
                    return true;
                }
                // A handed pointer whose low bytes the program overwrote (a u16 store over a stored map
                // value address) moves with its region in all but those bytes.
                foreach (var rerun in rerunValues)
                {
                    if (rerun - expected + PartialOverwrite < 2 * PartialOverwrite)
                    {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}
