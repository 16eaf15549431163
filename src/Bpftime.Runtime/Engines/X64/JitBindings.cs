using Bpftime.Helpers;

namespace Bpftime.Engines.X64;

/// <summary>
/// The native addresses generated code calls: the slow path of memory checks, the guarded entry of
/// each helper, and the C-callable entry of each function a program takes the address of (ld_imm64 src 4).
/// <see cref="FixedRegions"/> are value blocks that stay put while their maps live (array and global
/// data); checked code tests them inline, when the run state says those maps are alive, before
/// calling the slow path.
/// </summary>
internal sealed record JitBindings(nint CheckerEntry, Func<HelperFunction, nint> HelperEntry, Func<int, nint> CallbackEntry)
{
    public IReadOnlyList<Execution.MemoryRegion> FixedRegions { get; init; } = [];
}
