using System.Runtime.InteropServices;
using Bpftime.Maps;

namespace Bpftime.Hosting;

/// <summary>A QUEUE or STACK map seen as values of <typeparamref name="TValue"/>.</summary>
public sealed class BpfQueueView<TValue>
    where TValue : unmanaged
{
    private readonly QueueMap _map;

    internal BpfQueueView(BpfMap map)
    {
        _map = MapViewChecks.Kind<QueueMap>(map, "AsQueue");
        MapViewChecks.Size<TValue>(map, "value", map.ValueSize);
    }

    public BpfMap Map => _map;

    public int Count => _map.Count;

    /// <summary>0, -E2BIG when full (BPF_EXIST drops the oldest instead).</summary>
    public int Push(in TValue value, ulong flags = MapUpdateFlags.Any) => _map.Push(MemoryMarshal.AsBytes(new ReadOnlySpan<TValue>(in value)), flags);

    public bool TryPop(out TValue value)
    {
        value = default;
        return _map.Pop(MemoryMarshal.AsBytes(new Span<TValue>(ref value))) == 0;
    }

    public bool TryPeek(out TValue value)
    {
        value = default;
        return _map.Peek(MemoryMarshal.AsBytes(new Span<TValue>(ref value))) == 0;
    }
}
