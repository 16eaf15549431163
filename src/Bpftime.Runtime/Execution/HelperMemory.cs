using System.Runtime.CompilerServices;

namespace Bpftime.Execution;

/// <summary>
/// How helper bodies take the memory a program passes them. For a checked run (unverified code) every
/// pointer-and-size argument must lie in memory the program may use (<see cref="AccessPolicy"/>),
/// else the helper faults with the shared report naming the helper and the argument. For verified
/// code the verifier typed these arguments, so only what it cannot type is checked: writes into
/// read-only map values. With no run on the thread a host called the helper itself and is trusted.
/// </summary>
public static unsafe class HelperMemory
{
    /// <summary>[address, address + size) to read.</summary>
    public static ReadOnlySpan<byte> Readable(ulong address, ulong size, string helper, string argument)
    {
        var run = ActiveRuns.Current;
        if (run is { ChecksMemory: true })
        {
            Require(run, address, size, write: false, helper, argument);
        }
        return new ReadOnlySpan<byte>((void*)address, Length(run, address, size, helper, argument));
    }

    /// <summary>[address, address + size) to write.</summary>
    public static Span<byte> Writable(ulong address, ulong size, string helper, string argument)
    {
        var run = ActiveRuns.Current;
        if (run is { ChecksMemory: true })
        {
            Require(run, address, size, write: true, helper, argument);
        }
        else if (run is not null && size != 0 && InReadOnlyMap(run, address, size))
        {
            // The verifier does not tell .rodata from other map values in helper arguments.
            throw MemoryFaults.Create(run, AccessVerdict.ReadOnly, address, size, write: true, What(helper, argument));
        }
        return new Span<byte>((void*)address, Length(run, address, size, helper, argument));
    }

    /// <summary>Refuses a write of [address, address + size) that the running program may not make (a lock word, a record header).</summary>
    public static void RequireWritable(ulong address, ulong size, string helper, string argument) =>
        _ = Writable(address, size, helper, argument);

    /// <summary>
    /// A NUL-terminated string of at most <paramref name="max"/> bytes with its NUL. In a checked run it
    /// must end inside memory the program may read; a string with no NUL within max is refused.
    /// </summary>
    public static ReadOnlySpan<byte> CString(ulong address, int max, string helper, string argument)
    {
        var run = ActiveRuns.Current;
        var limit = (ulong)max;
        if (run is { ChecksMemory: true })
        {
            limit = Math.Min(limit, AccessPolicy.Reach(run, address, write: false, out _));
            if (limit == 0)
            {
                throw MemoryFaults.Create(run, AccessVerdict.OutOfBounds, address, 1, write: false, What(helper, argument));
            }
        }
        return Terminated(run, address, limit, max, helper, argument);
    }

    /// <summary>
    /// The bytes of a string up to its NUL (included) or <paramref name="max"/> bytes, whichever comes
    /// first. In a checked run they must lie in memory the program may read.
    /// </summary>
    public static ReadOnlySpan<byte> StringPrefix(ulong address, int max, string helper, string argument)
    {
        var run = ActiveRuns.Current;
        var limit = (ulong)max;
        var reach = run is { ChecksMemory: true } ? AccessPolicy.Reach(run, address, write: false, out _) : limit;
        if (address == 0 || (reach == 0 && max > 0))
        {
            throw MemoryFaults.Create(run, AccessVerdict.OutOfBounds, address, 1, write: false, What(helper, argument));
        }
        var text = new ReadOnlySpan<byte>((void*)address, (int)Math.Min(Math.Min(limit, reach), int.MaxValue));
        var nul = text.IndexOf((byte)0);
        if (nul >= 0)
        {
            return text[..(nul + 1)];
        }
        if (reach < limit)
        {
            throw MemoryFaults.Create(run, AccessVerdict.PastEnd, address, limit, write: false, What(helper, argument));
        }
        return text;
    }

    /// <summary>
    /// A string a program passes for <c>%s</c> in the default helper sets: it must lie in memory the
    /// running program owns (context, frames, map values, .rodata), checked for verified code too,
    /// since the verifier cannot type a format's arguments. Null when no program runs (a host call).
    /// </summary>
    public static string? OwnedString(ulong address, int max, string helper, string argument)
    {
        var run = ActiveRuns.Current;
        if (run is null)
        {
            return null;
        }
        var limit = Math.Min((ulong)max, AccessPolicy.Reach(run, address, write: false, out _));
        if (limit == 0)
        {
            throw MemoryFaults.Create(run, AccessVerdict.OutOfBounds, address, 1, write: false,
                What(helper, argument) + " (%s reads only memory the program owns; the \"tracing\" helper set reads any address)");
        }
        var text = new ReadOnlySpan<byte>((void*)address, (int)limit);
        var nul = text.IndexOf((byte)0);
        return System.Text.Encoding.Latin1.GetString(nul >= 0 ? text[..nul] : text);
    }

    /// <summary>Whether a program runs checked on this thread (its helper arguments are untyped).</summary>
    public static bool Checking => ActiveRuns.Current is { ChecksMemory: true };

    /// <summary>The shared fault for a helper argument that names memory the program may not use.</summary>
    public static Diagnostics.BpfException Fault(AccessVerdict verdict, ulong address, ulong size, bool write, string helper, string argument) =>
        MemoryFaults.Create(ActiveRuns.Current, verdict, address, size, write, What(helper, argument));

    private static ReadOnlySpan<byte> Terminated(ActiveRun? run, ulong address, ulong limit, int max, string helper, string argument)
    {
        if (address == 0)
        {
            throw MemoryFaults.Create(run, AccessVerdict.OutOfBounds, address, 1, write: false, What(helper, argument));
        }
        var text = new ReadOnlySpan<byte>((void*)address, (int)Math.Min(limit, int.MaxValue));
        var nul = text.IndexOf((byte)0);
        if (nul < 0)
        {
            throw Diagnostics.BpfException.Create(limit < (ulong)max ? Diagnostics.DiagnosticCodes.MapValueAccessOutOfBounds : Diagnostics.DiagnosticCodes.HelperStringUnterminated,
                $"{What(helper, argument)}: the string at 0x{address:x} has no NUL within {limit} byte(s){(limit < (ulong)max ? " of memory the program may read" : "")}; terminate it",
                run?.Origin, run?.ProgramName);
        }
        return text[..(nul + 1)];
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Require(ActiveRun run, ulong address, ulong size, bool write, string helper, string argument)
    {
        var verdict = AccessPolicy.Classify(run, address, size, write);
        if (verdict != AccessVerdict.Allowed)
        {
            throw MemoryFaults.Create(run, verdict, address, size, write, What(helper, argument));
        }
    }

    private static int Length(ActiveRun? run, ulong address, ulong size, string helper, string argument)
    {
        if (size > int.MaxValue)
        {
            throw MemoryFaults.Create(run, AccessVerdict.OutOfBounds, address, size, write: false, What(helper, argument) + " (size too large)");
        }
        return (int)size;
    }

    private static bool InReadOnlyMap(ActiveRun run, ulong address, ulong size)
    {
        var maps = run.Maps;
        for (var m = 0; m < maps.Count; m++)
        {
            var map = maps[m];
            if (map.IsDisposed || !map.IsReadOnlyForPrograms)
            {
                continue;
            }
            foreach (var region in map.ValueRegions)
            {
                var start = (ulong)region.Start;
                if (address < start + region.Length && address + size > start)
                {
                    return true;
                }
            }
        }
        return false;
    }

    private static string What(string helper, string argument) => $"helper {helper}, argument {argument}";
}
