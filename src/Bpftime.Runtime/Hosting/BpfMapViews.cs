using Bpftime.Maps;

namespace Bpftime.Hosting;

/// <summary>Typed views over a map's unmanaged memory; the view checks the layout once, when it is made.</summary>
public static class BpfMapViews
{
    /// <summary>An ARRAY map (or global data) as values of <typeparamref name="TValue"/>.</summary>
    public static BpfArrayView<TValue> AsArray<TValue>(this BpfMap map)
        where TValue : unmanaged => new(map);

    /// <summary>A HASH, LRU_HASH or LPM_TRIE map as keys to values.</summary>
    public static BpfHashView<TKey, TValue> AsHash<TKey, TValue>(this BpfMap map)
        where TKey : unmanaged
        where TValue : unmanaged => new(map);

    /// <summary>A PERCPU_ARRAY map: every slot's copy of each value.</summary>
    public static BpfPerCpuView<uint, TValue> AsPerCpuArray<TValue>(this BpfMap map)
        where TValue : unmanaged => new(map);

    /// <summary>A PERCPU_HASH or LRU_PERCPU_HASH map: every slot's copy of each value.</summary>
    public static BpfPerCpuView<TKey, TValue> AsPerCpuHash<TKey, TValue>(this BpfMap map)
        where TKey : unmanaged
        where TValue : unmanaged => new(map);

    /// <summary>A QUEUE or STACK map.</summary>
    public static BpfQueueView<TValue> AsQueue<TValue>(this BpfMap map)
        where TValue : unmanaged => new(map);

    /// <summary>A RINGBUF map's reader.</summary>
    public static BpfRingBufferReader AsRingBuffer(this BpfMap map) => new(map);

    /// <summary>A PROG_ARRAY map, to fill with the object's programs for tail calls.</summary>
    public static BpfProgramArrayView AsProgramArray(this BpfMap map) => new(map);

    /// <summary>
    /// An ARRAY_OF_MAPS (<typeparamref name="TKey"/> uint) or HASH_OF_MAPS map whose inner maps are seen
    /// through <paramref name="open"/> (e.g. <c>m =&gt; m.AsArray&lt;Value&gt;()</c>); <paramref name="mapOf"/>
    /// gives back an inner view's map (<c>v =&gt; v.Map</c>) for <see cref="BpfMapOfMapsView{TKey, TInner}.Set"/>.
    /// </summary>
    public static BpfMapOfMapsView<TKey, TInner> AsMapOfMaps<TKey, TInner>(this BpfMap map, Func<BpfMap, TInner> open, Func<TInner, BpfMap> mapOf)
        where TKey : unmanaged
        where TInner : class => new(map, open, mapOf);

    /// <summary>A map of maps whose inner maps are handed out untyped.</summary>
    public static BpfMapOfMapsView<TKey, BpfMap> AsMapOfMaps<TKey>(this BpfMap map)
        where TKey : unmanaged => new(map, static inner => inner, static inner => inner);
}
