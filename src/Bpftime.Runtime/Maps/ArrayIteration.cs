using System.Buffers.Binary;

namespace Bpftime.Maps;

/// <summary>Iteration shared by the array kinds, whose keys are the indexes 0..max_entries-1.</summary>
internal static unsafe class ArrayIteration
{
    public static int NextKey(BpfMap map, ReadOnlySpan<byte> key, Span<byte> nextKey)
    {
        if (nextKey.Length != sizeof(uint))
        {
            throw MapChecks.WrongSize(map, "next key", nextKey.Length, sizeof(uint));
        }
        uint next = 0;
        if (!key.IsEmpty)
        {
            MapChecks.Key(map, key);
            var index = BinaryPrimitives.ReadUInt32LittleEndian(key);
            // As the kernel: an index past the end restarts at 0; the last index has no successor.
            next = index >= map.MaxEntries ? 0 : index + 1;
        }
        if (next >= map.MaxEntries)
        {
            return -Errno.ENOENT;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(nextKey, next);
        return 0;
    }

    public static long ForEach(BpfMap map, MapEntryVisitor visitor, IndexKeyTable keys)
    {
        ArgumentNullException.ThrowIfNull(visitor);
        long visited = 0;
        for (uint index = 0; index < map.MaxEntries; index++)
        {
            visited++;
            var key = keys.AddressOf(index);
            if (!visitor(key, map.Lookup(new ReadOnlySpan<byte>((void*)key, sizeof(uint)))))
            {
                break;
            }
        }
        return visited;
    }
}
