using System.Runtime.InteropServices;
using Bpftime.Execution;
using Bpftime.Objects;

namespace Bpftime.Maps;

/// <summary>
/// BPF_MAP_TYPE_HASH, PERCPU_HASH, LRU_HASH and LRU_PERCPU_HASH. Every element is allocated up front
/// (as the kernel's preallocated hash maps are) in one unmanaged block that never moves, so a value
/// address a program got from a lookup stays valid (and 8-byte aligned, for atomics) until the element
/// is deleted. Chains, the free list and the recency list are index arrays guarded by one lock (with
/// a word in native memory that compiled code can try: see <see cref="InlineUpdateStorage"/>);
/// values are replaced under it, but read without it, so programs use atomics for shared counters.
/// Everything an insertion or a deletion touches (chains, hashes, keys, values, the free list's head
/// and the count in the block's header, for LRU maps the recency list's links after the values and its
/// hot and cold ends in the header, an element's hash of
/// <see cref="InlineLookup.FreeHash"/> marking it free) lies in the block too, so compiled code holding
/// the lock word inserts and deletes on the very structures these methods use.
/// Lookups take no lock: structural changes bump a version (odd while in progress), and a lookup that
/// saw the version move retries, then falls back to the lock. What such a lookup reads (version,
/// buckets, chains, hashes, keys, the LRU referenced marks) lies in the block at the offsets of
/// <see cref="InlineLookup"/>, so compiled code can do the same lookup without entering the runtime.
/// A full plain hash refuses new keys with -E2BIG; a full LRU hash evicts its least recently used element,
/// approximated as the kernel does: a lookup only marks its element referenced, and eviction gives
/// referenced elements at the cold end a second chance (moving them to the hot end) before it evicts.
/// </summary>
public sealed unsafe class HashMap : BpfMap, IPerCpuMap
{
    private const int None = -1;

    // The map's lock is two: managed threads queue on _lock (fair, blocking), and its holder then takes
    // the lock word (0 free, 1 held), which compiled code replacing values of existing keys only tries
    // (see InlineUpdateStorage) and holds for a few instructions, so the holder of _lock spins on it at
    // most that long. The word is native memory that is never freed (4 bytes per map): a thread waiting
    // for it while the map is disposed never touches freed memory.
    private readonly Lock _lock = new();
    private readonly int* _lockWord = (int*)NativeMemory.AllocZeroed(sizeof(int));
    private readonly bool _lru;
    private readonly int _slots;
    private readonly ulong _keyStride;
    private readonly ulong _elementBytes;
    private readonly int _bucketCount;
    private byte* _block;
    private int* _buckets;
    private int* _next;
    private int* _hashes;
    private byte* _referenced;
    private byte* _keys;
    private byte* _values;
    private int* _lruLinks;
    private int? _spinLockOffset;

    public HashMap(MapSpec spec)
        : base(MapChecks.OfType(spec, MapType.Hash, MapType.PerCpuHash, MapType.LruHash, MapType.LruPerCpuHash))
    {
        MapChecks.Require(spec, spec.KeySize is > 0 and <= 512, $"needs a key of 1 to 512 bytes (has {spec.KeySize})");
        MapChecks.Require(spec, spec.ValueSize > 0 && spec.ValueSize <= 1 << 20, $"needs a value of 1 byte to 1 MiB (has {spec.ValueSize})");
        MapChecks.Require(spec, spec.MaxEntries is > 0 and <= 1 << 24, $"needs 1 to {1 << 24} entries (has {spec.MaxEntries})");
        _lru = spec.Type is MapType.LruHash or MapType.LruPerCpuHash;
        IsPerCpu = spec.Type is MapType.PerCpuHash or MapType.LruPerCpuHash;
        _slots = IsPerCpu ? PerCpu.SlotCount : 1;
        _keyStride = MapChecks.Stride(spec.KeySize);
        SlotStride = MapChecks.Stride(spec.ValueSize);
        _elementBytes = MapChecks.Product(spec, SlotStride, (ulong)_slots);
        var count = (int)spec.MaxEntries;
        var valueBytes = MapChecks.Product(spec, _elementBytes, (ulong)count);
        var keyBytes = MapChecks.Product(spec, _keyStride, (ulong)count);
        MapChecks.RequireSize(spec, valueBytes);
        MapChecks.RequireSize(spec, keyBytes);

        Layout = new InlineLookup(KindOf(spec.Type), spec.KeySize, spec.ValueSize, spec.MaxEntries);
        _bucketCount = Layout.BucketCount;
        var blockBytes = Layout.ValuesOffset + valueBytes + (_lru ? (ulong)InlineLookup.LruLinkBytes * (ulong)count : 0);
        _block = (byte*)NativeMemory.AlignedAlloc((nuint)blockBytes, 64);
        NativeMemory.Clear(_block, (nuint)Layout.ValuesOffset);
        _buckets = (int*)(_block + InlineLookup.BucketsOffset);
        _next = (int*)(_block + Layout.NextOffset);
        _hashes = (int*)(_block + Layout.HashesOffset);
        _referenced = _block + Layout.ReferencedOffset;
        _keys = _block + Layout.KeysOffset;
        _values = _block + Layout.ValuesOffset;
        new Span<int>(_buckets, _bucketCount).Fill(None);
        new Span<int>(_hashes, count).Fill(InlineLookup.FreeHash);
        for (var i = 0; i < count; i++)
        {
            _next[i] = i + 1 < count ? i + 1 : None;
        }
        Free = 0;
        NativeMemory.Clear(_values, (nuint)valueBytes);
        if (_lru)
        {
            _lruLinks = (int*)(_block + Layout.LruLinksOffset((ulong)_slots));
            LruHead = None;
            LruTail = None;
        }
    }

    /// <summary>Where the lock-free lookup's data lies in <see cref="StorageAddress"/>'s block.</summary>
    public InlineLookup Layout { get; }

    /// <summary>The map's one block: version word, buckets, chains, hashes, referenced marks, keys, values, LRU recency links (see <see cref="InlineLookup"/>).</summary>
    public nint StorageAddress
    {
        get
        {
            _ = Values;
            return (nint)_block;
        }
    }

    private static InlineLookupKind KindOf(MapType type) => type switch
    {
        MapType.PerCpuHash => InlineLookupKind.PerCpuHash,
        MapType.LruHash => InlineLookupKind.LruHash,
        MapType.LruPerCpuHash => InlineLookupKind.LruPerCpuHash,
        _ => InlineLookupKind.Hash,
    };

    /// <summary>The version word: odd while the chains change (the first word of the block).</summary>
    private ref int Version => ref *(int*)_block;

    /// <summary>The first free element, linked through <c>_next</c> (None: full); changed under the lock.</summary>
    private ref int Free => ref *(int*)(_block + InlineLookup.HashFreeOffset);

    /// <summary>How many keys the map holds; changed under the lock.</summary>
    private ref int Held => ref *(int*)(_block + InlineLookup.HashCountOffset);

    /// <summary>LRU: the most recently used element (None: empty); changed under the lock.</summary>
    private ref int LruHead => ref *(int*)(_block + InlineLookup.LruHeadOffset);

    /// <summary>LRU: the least recently used element, the next to evict (None: empty); changed under the lock.</summary>
    private ref int LruTail => ref *(int*)(_block + InlineLookup.LruTailOffset);

    /// <summary>LRU: the element used just before <paramref name="element"/> (None at the hot end).</summary>
    private ref int LruPrev(int element) => ref _lruLinks[2 * element];

    /// <summary>LRU: the element used just after <paramref name="element"/> (None at the cold end).</summary>
    private ref int LruNext(int element) => ref _lruLinks[(2 * element) + 1];

    /// <summary>Where the value's bpf_spin_lock is (from BTF), or null: needed for BPF_F_LOCK updates.</summary>
    public int? SpinLockOffset
    {
        get => _spinLockOffset;
        set
        {
            _spinLockOffset = value is null || (value >= 0 && value + BpfSpinLock.Size <= Spec.ValueSize) ? value
                : throw new ArgumentOutOfRangeException(nameof(value), value, $"the lock must lie within the {Spec.ValueSize}-byte value");
            RefreshInlineUpdate();
        }
    }

    /// <summary>
    /// Compiled code may replace the value of an existing key itself, under the map's lock (which it only
    /// tries: when the lock is held it calls the helper), for HASH and PERCPU_HASH maps whose values hold
    /// no bpf_spin_lock: the address of the lock word, or 0. LRU maps too: the recency list the code
    /// moves an element to the hot end of lies in the block, at <see cref="InlineLookup.LruLinksOffset"/>.
    /// </summary>
    protected override nint InlineUpdateStorage =>
        _spinLockOffset is null && _block != null ? (nint)_lockWord : 0;

    private LockScope Locked()
    {
        _lock.Enter();
        if (Interlocked.CompareExchange(ref *_lockWord, 1, 0) != 0)
        {
            var spin = default(SpinWait);
            do
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
            while (Volatile.Read(ref *_lockWord) != 0 || Interlocked.CompareExchange(ref *_lockWord, 1, 0) != 0);
        }
        return new LockScope(this);
    }

    /// <summary>Holds the map's lock (both parts) until disposed (the end of a <c>using</c>).</summary>
    private readonly struct LockScope(HashMap map) : IDisposable
    {
        public void Dispose()
        {
            Volatile.Write(ref *map._lockWord, 0);
            map._lock.Exit();
        }
    }

    /// <summary>True for the per-CPU kinds: each value has <see cref="SlotCount"/> copies.</summary>
    public bool IsPerCpu { get; }

    public int SlotCount => _slots;

    public ulong SlotStride { get; }

    /// <summary>How many keys the map holds now.</summary>
    public int Count
    {
        get
        {
            // Under the lock: the count lives in the block, which disposal frees.
            using (Locked())
            {
                return _block == null ? 0 : Held;
            }
        }
    }

    public override nint Lookup(ReadOnlySpan<byte> key) => LookupSlot(key, IsPerCpu ? PerCpu.CurrentSlot : 0);

    public nint LookupSlot(ReadOnlySpan<byte> key, int slot)
    {
        MapChecks.Key(this, key);
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, _slots);
        var hash = Hash(key);
        for (var attempt = 0; attempt < 4; attempt++)
        {
            var values = Values;
            var version = Volatile.Read(ref Version);
            if ((version & 1) == 0)
            {
                var found = Find(key, hash, maxSteps: (int)Spec.MaxEntries);
                if (Volatile.Read(ref Version) == version)
                {
                    if (found == None)
                    {
                        return 0;
                    }
                    if (_lru)
                    {
                        _referenced[found] = 1;
                    }
                    return (nint)(values + ((ulong)found * _elementBytes) + ((ulong)slot * SlotStride));
                }
            }
            Thread.SpinWait(1 << attempt);
        }
        using (Locked())
        {
            var values = Values;
            var element = Find(key, hash);
            if (element == None)
            {
                return 0;
            }
            if (_lru)
            {
                Touch(element);
            }
            return (nint)(values + ((ulong)element * _elementBytes) + ((ulong)slot * SlotStride));
        }
    }

    /// <summary>
    /// Inserts or replaces. A value of <see cref="BpfMap.ValueSize"/> bytes is one copy: for per-CPU
    /// maps it goes to the calling processor's slot (a program's update; a new key's other slots are
    /// zero). A value of <see cref="SlotCount"/> x <see cref="SlotStride"/> bytes gives every slot, as
    /// user space does for per-CPU maps.
    /// </summary>
    public override int Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags)
    {
        MapChecks.Key(this, key);
        var allSlots = IsPerCpu && (ulong)value.Length == _elementBytes && value.Length != Spec.ValueSize;
        if (!allSlots && value.Length != Spec.ValueSize)
        {
            throw MapChecks.WrongSize(this, "value", value.Length, Spec.ValueSize);
        }
        var locked = (flags & MapUpdateFlags.Lock) != 0;
        flags &= ~MapUpdateFlags.Lock;
        if (flags > MapUpdateFlags.Exist || (locked && (SpinLockOffset is null || IsPerCpu)))
        {
            // BPF_F_LOCK needs a bpf_spin_lock in the value (found through the object's BTF); per-CPU values have none.
            return -Errno.EINVAL;
        }
        var hash = Hash(key);
        var slot = IsPerCpu && !allSlots ? PerCpu.CurrentSlot : 0;
        using (Locked())
        {
            var values = Values;
            var element = Find(key, hash);
            if (element != None)
            {
                if (flags == MapUpdateFlags.NoExist)
                {
                    return -Errno.EEXIST;
                }
                if (_lru)
                {
                    Touch(element);
                }
            }
            else
            {
                if (flags == MapUpdateFlags.Exist)
                {
                    return -Errno.ENOENT;
                }
                BeginChange();
                try
                {
                    element = Allocate();
                    if (element == None)
                    {
                        return -Errno.E2BIG;
                    }
                    key.CopyTo(new Span<byte>(_keys + ((ulong)element * _keyStride), key.Length));
                    NativeMemory.Clear(values + ((ulong)element * _elementBytes), (nuint)_elementBytes);
                    _hashes[element] = hash;
                    var bucket = hash & (_bucketCount - 1);
                    _next[element] = _buckets[bucket];
                    _buckets[bucket] = element;
                    Held++;
                    if (_lru)
                    {
                        LinkFront(element);
                    }
                }
                finally
                {
                    EndChange();
                }
            }
            var target = values + ((ulong)element * _elementBytes);
            if (allSlots)
            {
                value.CopyTo(new Span<byte>(target, value.Length));
            }
            else if (SpinLockOffset is { } lockOffset)
            {
                // As the kernel's copy_map_value: the lock itself is never overwritten.
                if (locked)
                {
                    BpfSpinLock.CopyLocked(value, target, lockOffset);
                }
                else
                {
                    value[..lockOffset].CopyTo(new Span<byte>(target, lockOffset));
                    value[(lockOffset + BpfSpinLock.Size)..].CopyTo(new Span<byte>(target + lockOffset + BpfSpinLock.Size, value.Length - lockOffset - BpfSpinLock.Size));
                }
            }
            else
            {
                value.CopyTo(new Span<byte>(target + ((ulong)slot * SlotStride), value.Length));
            }
            return 0;
        }
    }

    public override int Delete(ReadOnlySpan<byte> key)
    {
        MapChecks.Key(this, key);
        var hash = Hash(key);
        using (Locked())
        {
            _ = Values;
            var bucket = hash & (_bucketCount - 1);
            var previous = None;
            for (var element = _buckets[bucket]; element != None; previous = element, element = _next[element])
            {
                if (_hashes[element] == hash && KeyEquals(element, key))
                {
                    BeginChange();
                    Unlink(bucket, previous, element);
                    EndChange();
                    return 0;
                }
            }
            return -Errno.ENOENT;
        }
    }

    public override int GetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey)
    {
        if (nextKey.Length != Spec.KeySize)
        {
            throw MapChecks.WrongSize(this, "next key", nextKey.Length, Spec.KeySize);
        }
        using (Locked())
        {
            _ = Values;
            var bucket = 0;
            var element = None;
            if (key.Length == Spec.KeySize)
            {
                var hash = Hash(key);
                var current = Find(key, hash);
                if (current != None)
                {
                    element = _next[current];
                    bucket = (hash & (_bucketCount - 1)) + 1;
                }
            }
            else if (!key.IsEmpty)
            {
                throw MapChecks.WrongSize(this, "key", key.Length, Spec.KeySize);
            }
            while (element == None && bucket < _bucketCount)
            {
                element = _buckets[bucket++];
            }
            if (element == None)
            {
                return -Errno.ENOENT;
            }
            new ReadOnlySpan<byte>(_keys + ((ulong)element * _keyStride), (int)Spec.KeySize).CopyTo(nextKey);
            return 0;
        }
    }

    public override long ForEach(MapEntryVisitor visitor)
    {
        ArgumentNullException.ThrowIfNull(visitor);
        int[] elements;
        using (Locked())
        {
            _ = Values;
            elements = new int[Held];
            var n = 0;
            for (var bucket = 0; bucket < _bucketCount && n < elements.Length; bucket++)
            {
                for (var element = _buckets[bucket]; element != None && n < elements.Length; element = _next[element])
                {
                    elements[n++] = element;
                }
            }
        }
        var slot = IsPerCpu ? PerCpu.CurrentSlot : 0;
        long visited = 0;
        foreach (var element in elements)
        {
            // The visitor may have deleted elements it has not reached yet.
            var values = Values;
            if (Volatile.Read(ref _hashes[element]) == InlineLookup.FreeHash)
            {
                continue;
            }
            visited++;
            if (!visitor((nint)(_keys + ((ulong)element * _keyStride)), (nint)(values + ((ulong)element * _elementBytes) + ((ulong)slot * SlotStride))))
            {
                break;
            }
        }
        return visited;
    }

    // Built once: run-time checks of unverified code ask for them on every out-of-line check.
    private MemoryRegion[]? _regions;

    public override bool HasFixedValueRegions => true;

    public override IEnumerable<MemoryRegion> ValueRegions =>
        IsDisposed || _values == null ? []
        : _regions ??= [new MemoryRegion((nint)_values, _elementBytes * Spec.MaxEntries, true), new MemoryRegion((nint)_keys, _keyStride * Spec.MaxEntries, false)];

    protected override void Dispose(bool disposing)
    {
        RetireStorage();
        using (Locked())
        {
            if (_block != null)
            {
                NativeMemory.AlignedFree(_block);
                _block = null;
                _values = null;
                _keys = null;
                _buckets = null;
                _next = null;
                _hashes = null;
                _referenced = null;
                _lruLinks = null;
            }
        }
        base.Dispose(disposing);
    }

    private byte* Values
    {
        get
        {
            ObjectDisposedException.ThrowIf(_values == null, this);
            return _values;
        }
    }

    private static int Hash(ReadOnlySpan<byte> key)
    {
        // Common small keys take a multiplicative hash; others the runtime's per-process seeded one.
        ulong mixed;
        if (key.Length == 4)
        {
            mixed = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(key);
        }
        else if (key.Length == 8)
        {
            mixed = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(key);
        }
        else
        {
            var hash = new HashCode();
            hash.AddBytes(key);
            return hash.ToHashCode() & int.MaxValue;
        }
        return (int)((mixed * InlineLookup.HashMultiplier) >> InlineLookup.HashShift);
    }

    /// <summary>The element holding the key, or None; a walk longer than <paramref name="maxSteps"/> (possible only while a writer changes the chains) gives None.</summary>
    private int Find(ReadOnlySpan<byte> key, int hash, int maxSteps = int.MaxValue)
    {
        var steps = 0;
        for (var element = _buckets[hash & (_bucketCount - 1)]; element != None && steps++ <= maxSteps; element = _next[element])
        {
            if (_hashes[element] == hash && KeyEquals(element, key))
            {
                return element;
            }
        }
        return None;
    }

    /// <summary>Marks the start of a change to the chains (the version turns odd); lock-free lookups then retry.</summary>
    private void BeginChange() => Interlocked.Increment(ref Version);

    private void EndChange() => Interlocked.Increment(ref Version);

    private bool KeyEquals(int element, ReadOnlySpan<byte> key) =>
        new ReadOnlySpan<byte>(_keys + ((ulong)element * _keyStride), key.Length).SequenceEqual(key);

    private int Allocate()
    {
        if (Free != None)
        {
            var element = Free;
            Free = _next[element];
            return element;
        }
        if (!_lru || LruTail == None)
        {
            return None;
        }
        // Evict the least recently used element and reuse its storage; referenced ones get a second chance.
        var victim = LruTail;
        for (var chances = 0; _referenced[victim] != 0 && chances < Held; chances++)
        {
            _referenced[victim] = 0;
            UnlinkRecency(victim);
            LinkFront(victim);
            victim = LruTail;
        }
        var bucket = _hashes[victim] & (_bucketCount - 1);
        var previous = None;
        for (var element = _buckets[bucket]; element != victim; element = _next[element])
        {
            previous = element;
        }
        Unlink(bucket, previous, victim);
        var reused = Free;
        Free = _next[reused];
        return reused;
    }

    private void Unlink(int bucket, int previous, int element)
    {
        if (previous == None)
        {
            _buckets[bucket] = _next[element];
        }
        else
        {
            _next[previous] = _next[element];
        }
        Volatile.Write(ref _hashes[element], InlineLookup.FreeHash);
        _next[element] = Free;
        Free = element;
        Held--;
        if (_lru)
        {
            UnlinkRecency(element);
        }
    }

    /// <summary>Marks a use under the lock: the element moves to the hot end.</summary>
    private void Touch(int element)
    {
        _referenced[element] = 0;
        if (LruHead != element)
        {
            UnlinkRecency(element);
            LinkFront(element);
        }
    }

    private void LinkFront(int element)
    {
        _referenced[element] = 0;
        LruPrev(element) = None;
        LruNext(element) = LruHead;
        if (LruHead != None)
        {
            LruPrev(LruHead) = element;
        }
        LruHead = element;
        if (LruTail == None)
        {
            LruTail = element;
        }
    }

    private void UnlinkRecency(int element)
    {
        var previous = LruPrev(element);
        var next = LruNext(element);
        if (previous != None)
        {
            LruNext(previous) = next;
        }
        else
        {
            LruHead = next;
        }
        if (next != None)
        {
            LruPrev(next) = previous;
        }
        else
        {
            LruTail = previous;
        }
    }
}
