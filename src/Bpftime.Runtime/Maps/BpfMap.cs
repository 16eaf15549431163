using System.Runtime.InteropServices;
using Bpftime.Execution;
using Bpftime.Objects;

namespace Bpftime.Maps;

/// <summary>
/// A map in unmanaged memory. Programs see it through <see cref="Handle"/>, a native address that
/// ld_imm64 (src 1 and 5) loads and helpers turn back into the map with <see cref="FromHandle"/>.
/// Value addresses stay stable for the map's lifetime.
/// </summary>
public abstract class BpfMap : IDisposable, IMapMemory
{
    private GCHandle _self;
    private nint _handle;
    private nint _storageCell;

    protected unsafe BpfMap(MapSpec spec)
    {
        Spec = spec;
        _self = GCHandle.Alloc(this, GCHandleType.Normal);
        // The handle block holds the GCHandle so that native code can pass the map around as a pointer.
        // Written through a pointer: Marshal's writers bring their fault handling's types into every load.
        var block = (nint*)NativeMemory.Alloc(16);
        block[0] = GCHandle.ToIntPtr(_self);
        ((long*)block)[1] = (long)spec.Type;
        _handle = (nint)block;
        s_live.Add(_handle, this);
    }

    // Handles of live maps: a value a program passes as a map is looked up here and never dereferenced,
    // so a forged one (any number) is simply not a map.
    private static readonly MapHandleTable s_live = new();

    // A monitor rather than a Lock, as MapHandleTable's: every load creates maps and binds their cells.
    private static readonly object s_cells = new();

    public MapSpec Spec { get; }

    public string Name => Spec.Name;

    public MapType Type => Spec.Type;

    public nint Handle => _handle;

    public uint KeySize => Spec.KeySize;

    public uint ValueSize => Spec.ValueSize;

    public uint MaxEntries => Spec.MaxEntries;

    public bool IsDisposed => _handle == 0;

    /// <summary>Whether programs may only read the values (.rodata, a read-only spec).</summary>
    public virtual bool IsReadOnlyForPrograms => Spec.IsReadOnlyForPrograms;

    /// <summary>The map behind a handle a program passed to a helper, or null when it is not a live map.</summary>
    public static BpfMap? FromHandle(nint handle)
    {
        return s_live.Find(handle);
    }

    /// <summary>The address of byte <paramref name="offset"/> of the value (ld_imm64 src 2 and 6); only maps with one fixed value block have it.</summary>
    public virtual nint DirectValueAddress(uint offset) =>
        throw new NotSupportedException($"map '{Name}' of type {Type} has no direct value address");

    /// <summary>The value's address for the key, or 0 when absent.</summary>
    public abstract nint Lookup(ReadOnlySpan<byte> key);

    /// <summary>Inserts or replaces; returns 0 or a negative errno as the kernel does.</summary>
    public abstract int Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags);

    /// <summary>Removes; returns 0 or a negative errno as the kernel does.</summary>
    public abstract int Delete(ReadOnlySpan<byte> key);

    /// <summary>
    /// Writes the key that follows <paramref name="key"/> in the map's iteration order into
    /// <paramref name="nextKey"/> (the first key when <paramref name="key"/> is empty or absent);
    /// 0, or -ENOENT after the last key, as BPF_MAP_GET_NEXT_KEY does.
    /// </summary>
    public virtual int GetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey) => -Errno.EINVAL;

    /// <summary>Adds a value to a queue or stack (bpf_map_push_elem); other maps answer -EINVAL.</summary>
    public virtual int Push(ReadOnlySpan<byte> value, ulong flags) => -Errno.EINVAL;

    /// <summary>Takes the next value of a queue or stack (bpf_map_pop_elem); other maps answer -EINVAL.</summary>
    public virtual int Pop(Span<byte> value) => -Errno.EINVAL;

    /// <summary>Reads the next value of a queue or stack without taking it (bpf_map_peek_elem); other maps answer -EINVAL.</summary>
    public virtual int Peek(Span<byte> value) => -Errno.EINVAL;

    /// <summary>
    /// Visits the entries as bpf_for_each_map_elem does: hash and array maps only (others answer
    /// -EINVAL); the visitor may update or delete entries. Returns how many entries were visited.
    /// </summary>
    public virtual long ForEach(MapEntryVisitor visitor) => -Errno.EINVAL;

    /// <summary>
    /// The address of two words: word 0 holds <see cref="InlineLookup.StorageOf"/> while the map lives
    /// and 0 once it is disposed: compiled code that does the map's lookups itself reads the storage
    /// through it, so a lookup after disposal answers NULL as the helper does, instead of touching freed
    /// memory. Word 1 holds <see cref="InlineUpdateStorage"/>, where compiled code doing the map's
    /// updates itself writes values (0: the code calls the helper). The words are allocated on first use
    /// and never freed (code may outlive the map): 16 bytes per map whose accesses were compiled inline.
    /// </summary>
    public unsafe nint StorageCell
    {
        get
        {
            lock (s_cells)
            {
                ObjectDisposedException.ThrowIf(IsDisposed, this);
                if (_storageCell == 0)
                {
                    var cell = (nint*)NativeMemory.Alloc((nuint)(2 * sizeof(nint)));
                    cell[0] = InlineLookup.StorageOf(this);
                    cell[1] = InlineUpdateStorage;
                    _storageCell = (nint)cell;
                }
                return _storageCell;
            }
        }
    }

    /// <summary>
    /// The storage compiled code may update values in without the helper (see
    /// <see cref="InlineLookup.CanInlineUpdate"/>), or 0 when updates must go through the helper.
    /// </summary>
    protected virtual nint InlineUpdateStorage => 0;

    /// <summary>Publishes a changed <see cref="InlineUpdateStorage"/> (a spin lock found after the code was bound).</summary>
    protected unsafe void RefreshInlineUpdate()
    {
        lock (s_cells)
        {
            if (_storageCell != 0 && !IsDisposed)
            {
                Volatile.Write(ref ((nint*)_storageCell)[1], InlineUpdateStorage);
            }
        }
    }

    /// <summary>Called by each map before it frees its storage: compiled lookups and updates see 0 (no map) from then on.</summary>
    protected unsafe void RetireStorage()
    {
        lock (s_cells)
        {
            if (_storageCell != 0)
            {
                Volatile.Write(ref ((nint*)_storageCell)[1], 0);
                Volatile.Write(ref *(nint*)_storageCell, 0);
            }
        }
    }

    /// <summary>Memory that programs may reach through value pointers of this map (for run-time checks of unverified code).</summary>
    public abstract IEnumerable<MemoryRegion> ValueRegions { get; }

    /// <summary>
    /// Whether <see cref="ValueRegions"/> stay where they are for the map's life (values allocated up
    /// front), so checked code may test them inline instead of asking the runtime on each access.
    /// </summary>
    public virtual bool HasFixedValueRegions => false;

    /// <summary>
    /// Whether the values are other maps (<see cref="MapOfMaps"/>): its <see cref="ValueRegions"/> are
    /// those of the maps it holds at the moment, so engines must not keep a copy of them.
    /// </summary>
    public virtual bool HoldsMaps => false;

    protected virtual void Dispose(bool disposing)
    {
        RetireStorage();
        if (_handle != 0)
        {
            s_live.Remove(_handle);
            // The block is cleared but never freed (16 bytes per map): a handle a program still holds
            // (an inner map disposed during a run) can then never become the handle of a later map
            // of another layout.
            Marshal.WriteIntPtr(_handle, 0);
            Marshal.WriteInt64(_handle, 8, 0);
            _handle = 0;
            _self.Free();
        }
    }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }
}
