using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Bpftime.Sandbox.Fuzz.Sandbox;

/// <summary>
/// Canary blocks in the host's heaps, which no program is handed: a large and several small blocks of the
/// native heap (the small ones allocated beside each program's maps, so that they sit among map memory),
/// and a pinned array on the managed heap.
/// </summary>
internal sealed unsafe class HeapCanaries : IDisposable
{
    private const int LargeBlock = 64 * 1024;
    private const int SmallBlock = 128;

    private readonly List<(nint Start, int Length)> _native = [];
    private readonly byte[] _managed = GC.AllocateArray<byte>(4096, pinned: true);

    public HeapCanaries()
    {
        Add(LargeBlock);
        Canary.Fill(ManagedStart, _managed.Length);
    }

    private nint ManagedStart => (nint)Unsafe.AsPointer(ref _managed[0]);

    /// <summary>Allocates a few small blocks now (call right after creating a program's maps).</summary>
    public void AddSmallBlocks(int count)
    {
        for (var i = 0; i < count; i++)
        {
            Add(SmallBlock);
        }
    }

    /// <summary>Frees the small blocks (the large one stays for the whole batch).</summary>
    public void ReleaseSmallBlocks()
    {
        for (var i = _native.Count - 1; i >= 1; i--)
        {
            NativeMemory.Free((void*)_native[i].Start);
            _native.RemoveAt(i);
        }
    }

    /// <summary>Where a canary changed and what it holds now, or null. A changed block is filled again.</summary>
    public (string Where, nint Address, ulong Found)? Check()
    {
        foreach (var (start, length) in _native)
        {
            if (Canary.FirstChange(start, length) is { } change)
            {
                Canary.Fill(start, length);
                return ($"native heap block of {length} bytes", change.Address, change.Found);
            }
        }
        if (Canary.FirstChange(ManagedStart, _managed.Length) is { } managed)
        {
            Canary.Fill(ManagedStart, _managed.Length);
            return ("managed heap array", managed.Address, managed.Found);
        }
        return null;
    }

    private void Add(int length)
    {
        var block = (nint)NativeMemory.Alloc((nuint)length);
        Canary.Fill(block, length);
        _native.Add((block, length));
    }

    public void Dispose()
    {
        ReleaseSmallBlocks();
        NativeMemory.Free((void*)_native[0].Start);
        _native.Clear();
    }
}
