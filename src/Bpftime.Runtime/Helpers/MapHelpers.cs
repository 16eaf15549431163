using System.Runtime.InteropServices;
using Bpftime.Engines;
using Bpftime.Execution;
using Bpftime.Maps;

namespace Bpftime.Helpers;

/// <summary>
/// The map helpers (Linux ids 1-3, 87-89, 164). The map argument is a <see cref="BpfMap.Handle"/>;
/// keys and values are read from the addresses the program passes, with the map's sizes.
/// </summary>
public static unsafe class MapHelpers
{
    public static HelperFunction LookupElem { get; } = new(HelperIds.MapLookupElem,
        static (map, key, _, _, _) => Lookup(map, key), &LookupEntry);

    public static HelperFunction UpdateElem { get; } = new(HelperIds.MapUpdateElem,
        static (map, key, value, flags, _) => Update(map, key, value, flags), &UpdateEntry);

    public static HelperFunction DeleteElem { get; } = new(HelperIds.MapDeleteElem,
        static (map, key, _, _, _) => Delete(map, key), &DeleteEntry);

    public static HelperFunction PushElem { get; } = new(HelperIds.MapPushElem,
        static (map, value, flags, _, _) => Push(map, value, flags));

    public static HelperFunction PopElem { get; } = new(HelperIds.MapPopElem,
        static (map, value, _, _, _) => Take(map, value, pop: true));

    public static HelperFunction PeekElem { get; } = new(HelperIds.MapPeekElem,
        static (map, value, _, _, _) => Take(map, value, pop: false));

    /// <summary>
    /// bpf_for_each_map_elem(map, callback, ctx, flags): calls <c>long callback(map, key*, value*, ctx)</c>
    /// for each entry until it returns 1; returns how many entries were visited.
    /// </summary>
    public static HelperFunction ForEachElem { get; } = new(HelperIds.ForEachMapElem,
        static (map, callback, context, flags, _) => ForEach(map, callback, context, flags));

    public static IEnumerable<HelperFunction> All =>
        [LookupElem, UpdateElem, DeleteElem, PushElem, PopElem, PeekElem, ForEachElem];

    // The entries native code calls: the bodies below catch every exception themselves.
    [UnmanagedCallersOnly]
    private static ulong LookupEntry(ulong map, ulong key, ulong r3, ulong r4, ulong r5) => Lookup(map, key);

    [UnmanagedCallersOnly]
    private static ulong UpdateEntry(ulong map, ulong key, ulong value, ulong flags, ulong r5) => Update(map, key, value, flags);

    [UnmanagedCallersOnly]
    private static ulong DeleteEntry(ulong map, ulong key, ulong r3, ulong r4, ulong r5) => Delete(map, key);

    // Lookup, update and delete read the running program's record once: each read of a thread-static
    // costs about as much as the map operation itself.
    private static ulong Lookup(ulong handle, ulong key)
    {
        try
        {
            var run = ActiveRuns.Current;
            var map = HelperArguments.Map(handle, "map_lookup_elem", run);
            var checking = run is { ChecksMemory: true };
            if (map is null || (key == 0 && !checking))
            {
                return 0;
            }
            return (ulong)map.Lookup(Read(checking, key, map.KeySize, "map_lookup_elem", "2 (key)"));
        }
        catch (Exception error)
        {
            return HelperFault.Record(error, 0);
        }
    }

    private static ulong Update(ulong handle, ulong key, ulong value, ulong flags)
    {
        try
        {
            var run = ActiveRuns.Current;
            var map = HelperArguments.Map(handle, "map_update_elem", run);
            var checking = run is { ChecksMemory: true };
            // Programs never write a map of maps' slots (Linux offers them only lookups): a number they
            // stored could otherwise be taken for a map.
            if (map is null || map.HoldsMaps || ((value == 0 || (key == 0 && map.KeySize != 0)) && !checking))
            {
                return HelperFault.Errno(Errno.EINVAL);
            }
            return (ulong)(long)map.Update(
                Read(checking, key, map.KeySize, "map_update_elem", "2 (key)"),
                Read(checking, value, map.ValueSize, "map_update_elem", "3 (value)"),
                flags);
        }
        catch (Exception error)
        {
            return HelperFault.Record(error, HelperFault.Errno(Errno.EINVAL));
        }
    }

    private static ulong Delete(ulong handle, ulong key)
    {
        try
        {
            var run = ActiveRuns.Current;
            var map = HelperArguments.Map(handle, "map_delete_elem", run);
            var checking = run is { ChecksMemory: true };
            if (map is null || map.HoldsMaps || (key == 0 && map.KeySize != 0 && !checking))
            {
                return HelperFault.Errno(Errno.EINVAL);
            }
            return (ulong)(long)map.Delete(Read(checking, key, map.KeySize, "map_delete_elem", "2 (key)"));
        }
        catch (Exception error)
        {
            return HelperFault.Record(error, HelperFault.Errno(Errno.EINVAL));
        }
    }

    /// <summary>
    /// A key or value argument: checked runs go through <see cref="HelperMemory.Readable"/>; verified
    /// code and the host are trusted with their pointers, as <see cref="HelperMemory.Readable"/> trusts them.
    /// </summary>
    private static ReadOnlySpan<byte> Read(bool checking, ulong address, uint size, string helper, string argument) =>
        checking || size > int.MaxValue
            ? HelperMemory.Readable(address, size, helper, argument)
            : new ReadOnlySpan<byte>((void*)address, (int)size);

    private static ulong Push(ulong handle, ulong value, ulong flags)
    {
        try
        {
            var map = HelperArguments.Map(handle, "map_push_elem");
            if (map is null || (value == 0 && !HelperMemory.Checking))
            {
                return HelperFault.Errno(Errno.EINVAL);
            }
            return (ulong)(long)map.Push(HelperMemory.Readable(value, map.ValueSize, "map_push_elem", "2 (value)"), flags);
        }
        catch (Exception error)
        {
            return HelperFault.Record(error, HelperFault.Errno(Errno.EINVAL));
        }
    }

    private static ulong Take(ulong handle, ulong value, bool pop)
    {
        try
        {
            var name = pop ? "map_pop_elem" : "map_peek_elem";
            var map = HelperArguments.Map(handle, name);
            if (map is null || (value == 0 && !HelperMemory.Checking))
            {
                return HelperFault.Errno(Errno.EINVAL);
            }
            var target = HelperMemory.Writable(value, map.ValueSize, name, "2 (value)");
            return (ulong)(long)(pop ? map.Pop(target) : map.Peek(target));
        }
        catch (Exception error)
        {
            return HelperFault.Record(error, HelperFault.Errno(Errno.EINVAL));
        }
    }

    private static ulong ForEach(ulong handle, ulong callback, ulong context, ulong flags)
    {
        try
        {
            var map = HelperArguments.Map(handle, "for_each_map_elem");
            if (map is null || callback == 0 || flags != 0)
            {
                return HelperFault.Errno(Errno.EINVAL);
            }
            return (ulong)map.ForEach((key, value) =>
                ProgramCallback.Invoke(callback, handle, (ulong)key, (ulong)value, context) == 0 && !ProgramCallback.HasPendingFault);
        }
        catch (Exception error)
        {
            return HelperFault.Record(error, HelperFault.Errno(Errno.EINVAL));
        }
    }
}
