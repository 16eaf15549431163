using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Bpftime.Execution;
using Bpftime.Objects;

namespace Bpftime.Maps;

/// <summary>
/// BPF_MAP_TYPE_LPM_TRIE: longest-prefix match over keys of the kernel's form <c>{ u32 prefixlen;
/// u8 data[]; }</c> (data in network order, most significant bit first). Entries live in a binary trie
/// of managed nodes; their values sit in one preallocated unmanaged block, so value addresses stay put.
/// A lookup's prefixlen bounds how many bits of its data are matched; updates and deletes name exact
/// prefixes. Updates with a prefixlen longer than the data fail with -EINVAL, a full trie with -ENOSPC.
/// </summary>
public sealed unsafe class LpmTrieMap : BpfMap
{
    private readonly Lock _lock = new();
    private readonly Node _root = new();
    private readonly int _dataBytes;
    private readonly ulong _valueStride;
    private readonly ulong _keyStride;
    private readonly Stack<int> _freeSlots = new();
    private byte* _values;
    private byte* _keys;
    private int _count;

    public LpmTrieMap(MapSpec spec)
        : base(MapChecks.OfType(spec, MapType.LpmTrie))
    {
        MapChecks.Require(spec, spec.KeySize is > 4 and <= 4 + 256, $"needs a key of a u32 prefix length and 1 to 256 data bytes (key size {spec.KeySize})");
        MapChecks.Require(spec, spec.ValueSize is > 0 and <= 1 << 20, $"needs a value of 1 byte to 1 MiB (has {spec.ValueSize})");
        MapChecks.Require(spec, spec.MaxEntries is > 0 and <= 1 << 24, $"needs 1 to {1 << 24} entries (has {spec.MaxEntries})");
        _dataBytes = (int)spec.KeySize - 4;
        _valueStride = MapChecks.Stride(spec.ValueSize);
        _keyStride = MapChecks.Stride(spec.KeySize);
        var valueBytes = MapChecks.Product(spec, _valueStride, spec.MaxEntries);
        var keyBytes = MapChecks.Product(spec, _keyStride, spec.MaxEntries);
        MapChecks.RequireSize(spec, valueBytes);
        MapChecks.RequireSize(spec, keyBytes);
        _values = (byte*)NativeMemory.AlignedAlloc((nuint)valueBytes, 8);
        _keys = (byte*)NativeMemory.AlignedAlloc((nuint)keyBytes, 8);
        NativeMemory.Clear(_values, (nuint)valueBytes);
        NativeMemory.Clear(_keys, (nuint)keyBytes);
        for (var slot = (int)spec.MaxEntries - 1; slot >= 0; slot--)
        {
            _freeSlots.Push(slot);
        }
    }

    /// <summary>The longest prefix a key can have: 8 bits per data byte.</summary>
    public int MaxPrefixLength => _dataBytes * 8;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>The value of the longest stored prefix that matches the first prefixlen bits of the key's data, or 0.</summary>
    public override nint Lookup(ReadOnlySpan<byte> key)
    {
        var length = Split(key, out var data);
        length = Math.Min(length, (uint)MaxPrefixLength);
        lock (_lock)
        {
            var values = Values;
            var node = _root;
            var best = node.Slot;
            for (var bit = 0; bit < length && node is not null; bit++)
            {
                node = Bit(data, bit) ? node.One : node.Zero;
                if (node is not null && node.Slot >= 0)
                {
                    best = node.Slot;
                }
            }
            return best >= 0 ? (nint)(values + ((ulong)best * _valueStride)) : 0;
        }
    }

    public override int Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags)
    {
        var length = Split(key, out var data);
        if (value.Length != Spec.ValueSize)
        {
            throw MapChecks.WrongSize(this, "value", value.Length, Spec.ValueSize);
        }
        if (flags > MapUpdateFlags.Exist || length > MaxPrefixLength)
        {
            return -Errno.EINVAL;
        }
        lock (_lock)
        {
            var values = Values;
            var node = _root;
            for (var bit = 0; bit < length; bit++)
            {
                if (Bit(data, bit))
                {
                    node = node.One ??= new Node { Parent = node };
                }
                else
                {
                    node = node.Zero ??= new Node { Parent = node };
                }
            }
            if (node.Slot >= 0)
            {
                if (flags == MapUpdateFlags.NoExist)
                {
                    return -Errno.EEXIST;
                }
            }
            else
            {
                if (flags == MapUpdateFlags.Exist)
                {
                    Prune(node);
                    return -Errno.ENOENT;
                }
                if (_freeSlots.Count == 0)
                {
                    Prune(node);
                    return -Errno.ENOSPC;
                }
                node.Slot = _freeSlots.Pop();
                _count++;
                var stored = new Span<byte>(_keys + ((ulong)node.Slot * _keyStride), (int)Spec.KeySize);
                stored.Clear();
                BinaryPrimitives.WriteUInt32LittleEndian(stored, length);
                CopyPrefix(data, stored[4..], (int)length);
            }
            value.CopyTo(new Span<byte>(values + ((ulong)node.Slot * _valueStride), value.Length));
            return 0;
        }
    }

    public override int Delete(ReadOnlySpan<byte> key)
    {
        var length = Split(key, out var data);
        if (length > MaxPrefixLength)
        {
            return -Errno.EINVAL;
        }
        lock (_lock)
        {
            _ = Values;
            var node = Exact(data, length);
            if (node is null || node.Slot < 0)
            {
                return -Errno.ENOENT;
            }
            _freeSlots.Push(node.Slot);
            node.Slot = -1;
            _count--;
            Prune(node);
            return 0;
        }
    }

    /// <summary>Walks the stored prefixes in order (shorter before longer, zero bits before one bits).</summary>
    public override int GetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey)
    {
        if (nextKey.Length != Spec.KeySize)
        {
            throw MapChecks.WrongSize(this, "next key", nextKey.Length, Spec.KeySize);
        }
        lock (_lock)
        {
            _ = Values;
            var ordered = new List<int>(_count);
            Collect(_root, ordered);
            var index = 0;
            if (!key.IsEmpty)
            {
                var length = Split(key, out var data);
                var current = length <= MaxPrefixLength ? Exact(data, length) : null;
                if (current is not null && current.Slot >= 0)
                {
                    index = ordered.IndexOf(current.Slot) + 1;
                }
            }
            if (index >= ordered.Count)
            {
                return -Errno.ENOENT;
            }
            new ReadOnlySpan<byte>(_keys + ((ulong)ordered[index] * _keyStride), (int)Spec.KeySize).CopyTo(nextKey);
            return 0;
        }
    }

    public override IEnumerable<MemoryRegion> ValueRegions =>
        IsDisposed || _values == null ? [] : [new MemoryRegion((nint)_values, _valueStride * Spec.MaxEntries, true)];

    protected override void Dispose(bool disposing)
    {
        lock (_lock)
        {
            if (_values != null)
            {
                NativeMemory.AlignedFree(_values);
                NativeMemory.AlignedFree(_keys);
                _values = null;
                _keys = null;
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

    private uint Split(ReadOnlySpan<byte> key, out ReadOnlySpan<byte> data)
    {
        MapChecks.Key(this, key);
        data = key[4..];
        return BinaryPrimitives.ReadUInt32LittleEndian(key);
    }

    private static bool Bit(ReadOnlySpan<byte> data, int bit) => (data[bit >> 3] & (0x80 >> (bit & 7))) != 0;

    private static void CopyPrefix(ReadOnlySpan<byte> data, Span<byte> target, int bits)
    {
        var whole = bits / 8;
        data[..whole].CopyTo(target);
        if (bits % 8 != 0)
        {
            target[whole] = (byte)(data[whole] & (0xff << (8 - (bits % 8))));
        }
    }

    private Node? Exact(ReadOnlySpan<byte> data, uint length)
    {
        Node? node = _root;
        for (var bit = 0; bit < length && node is not null; bit++)
        {
            node = Bit(data, bit) ? node.One : node.Zero;
        }
        return node;
    }

    /// <summary>Removes empty nodes from <paramref name="node"/> up towards the root.</summary>
    private void Prune(Node node)
    {
        while (node != _root && node.Slot < 0 && node.Zero is null && node.One is null)
        {
            var parent = node.Parent!;
            if (parent.Zero == node)
            {
                parent.Zero = null;
            }
            else
            {
                parent.One = null;
            }
            node = parent;
        }
    }

    private static void Collect(Node node, List<int> ordered)
    {
        // Breadth first: shorter prefixes come before longer ones.
        var queue = new Queue<Node>();
        queue.Enqueue(node);
        while (queue.TryDequeue(out var current))
        {
            if (current.Slot >= 0)
            {
                ordered.Add(current.Slot);
            }
            if (current.Zero is not null)
            {
                queue.Enqueue(current.Zero);
            }
            if (current.One is not null)
            {
                queue.Enqueue(current.One);
            }
        }
    }

    private sealed class Node
    {
        public Node? Zero;
        public Node? One;
        public Node? Parent;
        public int Slot = -1;
    }
}
