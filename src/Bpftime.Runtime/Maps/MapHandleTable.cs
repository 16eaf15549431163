namespace Bpftime.Maps;

/// <summary>
/// The handles of live maps, which map helpers consult on every call: an open-addressing table whose
/// reads take no lock and writes (a map created or disposed) take one. A value a program passes as
/// a map is only compared with the keys here, never dereferenced, so a forged one (any number) is
/// simply not found. Made of arrays of the runtime's own struct, so it costs an app's start-up no
/// assembly and no run-time compilation of framework generics.
/// </summary>
internal sealed class MapHandleTable
{
    // Handles are addresses of 16-byte blocks that are never freed, so 0 and 1 are never handles and
    // a handle, once removed, never comes back.
    private const nint Empty = 0;
    private const nint Removed = 1;
    private const int InitialCapacity = 16;

    // A monitor rather than a Lock: the first Lock of a process reads its spin settings from the app's configuration (docs/startup.md).
    private readonly object _write = new();
    private Slot[] _slots = new Slot[InitialCapacity];
    private int _used; // live entries and removed markers: both lengthen probes

    private struct Slot
    {
        public nint Handle;
        public BpfMap? Map;
    }

    /// <summary>The live map whose handle this is, or null; safe against concurrent adds and removes.</summary>
    public BpfMap? Find(nint handle)
    {
        if (handle is Empty or Removed)
        {
            return null;
        }
        var slots = Volatile.Read(ref _slots);
        var mask = slots.Length - 1;
        for (var i = Hash(handle) & mask; ; i = (i + 1) & mask)
        {
            var key = Volatile.Read(ref slots[i].Handle);
            if (key == handle)
            {
                // The slot may have been emptied, and even reused, since the key was read: the map's own
                // handle says whether it is still this one (a disposed map's handle is 0).
                var map = Volatile.Read(ref slots[i].Map);
                return map is not null && map.Handle == handle ? map : null;
            }
            if (key == Empty)
            {
                return null;
            }
        }
    }

    public void Add(nint handle, BpfMap map)
    {
        lock (_write)
        {
            if ((_used + 1) * 2 > _slots.Length)
            {
                Rehash();
            }
            var slots = _slots;
            var mask = slots.Length - 1;
            var i = Hash(handle) & mask;
            while (slots[i].Handle is not (Empty or Removed))
            {
                i = (i + 1) & mask;
            }
            if (slots[i].Handle == Empty)
            {
                _used++;
            }
            // The map before the key: a reader that sees the key finds the map.
            Volatile.Write(ref slots[i].Map, map);
            Volatile.Write(ref slots[i].Handle, handle);
        }
    }

    public void Remove(nint handle)
    {
        lock (_write)
        {
            var slots = _slots;
            var mask = slots.Length - 1;
            for (var i = Hash(handle) & mask; slots[i].Handle != Empty; i = (i + 1) & mask)
            {
                if (slots[i].Handle == handle)
                {
                    Volatile.Write(ref slots[i].Handle, Removed);
                    Volatile.Write(ref slots[i].Map, null);
                    return;
                }
            }
        }
    }

    /// <summary>A new array sized for the live entries, without removed markers, published whole (readers of the old one still find what it held).</summary>
    private void Rehash()
    {
        var live = 0;
        foreach (var slot in _slots)
        {
            if (slot.Handle is not (Empty or Removed))
            {
                live++;
            }
        }
        var capacity = InitialCapacity;
        while (capacity < (live + 1) * 4)
        {
            capacity *= 2;
        }
        var slots = new Slot[capacity];
        var mask = capacity - 1;
        foreach (var slot in _slots)
        {
            if (slot.Handle is not (Empty or Removed))
            {
                var i = Hash(slot.Handle) & mask;
                while (slots[i].Handle != Empty)
                {
                    i = (i + 1) & mask;
                }
                slots[i] = slot;
            }
        }
        _used = live;
        Volatile.Write(ref _slots, slots);
    }

    // Blocks are 16-byte aligned heap addresses: drop the low bits and spread the rest (Fibonacci hashing).
    private static int Hash(nint handle) => (int)(((ulong)handle >> 4) * 0x9E3779B97F4A7C15UL >> 32) & int.MaxValue;
}
