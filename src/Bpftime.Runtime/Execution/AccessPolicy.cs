namespace Bpftime.Execution;

/// <summary>
/// The one rule for what a running program may touch: its context, its live frames, the values of
/// its maps (read-only ones for reading only; ring-buffer records only while reserved), and inside
/// a callback the context and frames of the runs that called it. Every engine's out-of-line check
/// and every helper argument is decided here.
/// </summary>
public static class AccessPolicy
{
    /// <summary>Whether <paramref name="run"/> may read (or write) [address, address + size).</summary>
    public static AccessVerdict Classify(ActiveRun run, ulong address, ulong size, bool write)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (size == 0)
        {
            return AccessVerdict.Allowed;
        }
        var reach = Reach(run, address, write, out var readOnly);
        if (reach >= size)
        {
            return AccessVerdict.Allowed;
        }
        if (readOnly)
        {
            return AccessVerdict.ReadOnly;
        }
        return reach > 0 ? AccessVerdict.PastEnd : AccessVerdict.OutOfBounds;
    }

    /// <summary>
    /// How many bytes from <paramref name="address"/> on lie in one region <paramref name="run"/> may
    /// read (or write); 0 when none. <paramref name="readOnly"/> tells that a read-only region held it.
    /// </summary>
    public static ulong Reach(ActiveRun run, ulong address, bool write, out bool readOnly)
    {
        ArgumentNullException.ThrowIfNull(run);
        readOnly = false;
        var best = Own(run, address);
        best = Math.Max(best, MapReach(run.Maps, address, write, ref readOnly));
        // A callback may use what the runs that called it could (their frames and contexts).
        for (var caller = run.IsCallback ? run.Below : null; caller is not null; caller = caller.IsCallback ? caller.Below : null)
        {
            best = Math.Max(best, Own(caller, address));
        }
        return best;
    }

    /// <summary>The maps' part of <see cref="Classify"/>, for engines that test the context and the stack inline.</summary>
    public static AccessVerdict ClassifyMaps(IReadOnlyList<IMapMemory> maps, ulong address, ulong size, bool write)
    {
        ArgumentNullException.ThrowIfNull(maps);
        var readOnly = false;
        var reach = MapReach(maps, address, write, ref readOnly);
        if (reach >= size)
        {
            return AccessVerdict.Allowed;
        }
        if (readOnly)
        {
            return AccessVerdict.ReadOnly;
        }
        return reach > 0 ? AccessVerdict.PastEnd : AccessVerdict.OutOfBounds;
    }

    /// <summary>Whether a callback's access falls in the frames or the context of a run that called it.</summary>
    public static bool InCallers(ActiveRun? run, ulong address, ulong size)
    {
        for (var caller = run is { IsCallback: true } ? run.Below : null; caller is not null; caller = caller.IsCallback ? caller.Below : null)
        {
            if (Own(caller, address) >= size)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Bytes from the address within the run's own context or live frames.</summary>
    private static ulong Own(ActiveRun run, ulong address)
    {
        var low = run.StackLow;
        var top = run.StackTop;
        if (top != 0 && address >= low && address < top)
        {
            return top - address;
        }
        var start = run.ContextStart;
        var length = run.ContextLength;
        if (length != 0 && address >= start && address - start < length)
        {
            return length - (address - start);
        }
        return 0;
    }

    private static ulong MapReach(IReadOnlyList<IMapMemory> maps, ulong address, bool write, ref bool readOnly)
    {
        ulong best = 0;
        for (var m = 0; m < maps.Count; m++)
        {
            var map = maps[m];
            if (map.IsDisposed)
            {
                continue;
            }
            // Maps hand out one array they keep: indexing it allocates no enumerator on this hot path.
            var regions = map.ValueRegions as MemoryRegion[] ?? [.. map.ValueRegions];
            foreach (var region in regions)
            {
                var start = (ulong)region.Start;
                if (address < start || address - start >= region.Length)
                {
                    continue;
                }
                if (write && !region.Writable)
                {
                    readOnly = true;
                    continue;
                }
                best = Math.Max(best, region.Length - (address - start));
            }
        }
        return best;
    }
}
