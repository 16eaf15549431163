namespace Bpftime.Engines.Aot;

/// <summary>
/// How a linked block is split: code pages (read-execute) first, then read-only data (constants,
/// GOT, stub slots), then read-write data (.data, .bss). Sizes are rounded to pages.
/// </summary>
public sealed record AotModuleLayout(nint BaseAddress, ulong CodeSize, ulong ReadOnlySize, ulong ReadWriteSize, int StubCount, int StubbedReferences, int GotEntries)
{
    public ulong TotalSize => CodeSize + ReadOnlySize + ReadWriteSize;
}
