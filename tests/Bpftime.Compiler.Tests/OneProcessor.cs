using System.Runtime.InteropServices;

namespace Bpftime.Compiler.Tests;

/// <summary>
/// Keeps the calling thread on the processor it runs on until disposed. Per-CPU maps keep one value per
/// processor, and a program's update lands in the slot of wherever the thread runs: two runs compared
/// slot by slot must not migrate in between.
/// </summary>
internal sealed partial class OneProcessor : IDisposable
{
    // cpu_set_t: 1024 bits.
    private const int MaskWords = 16;
    private readonly ulong[] _previous = new ulong[MaskWords];
    private readonly bool _pinned;

    private OneProcessor()
    {
        var cpu = SchedGetCpu();
        if (cpu < 0 || cpu >= MaskWords * 64 || SchedGetAffinity(0, MaskWords * 8, _previous) != 0)
        {
            return;
        }
        var only = new ulong[MaskWords];
        only[cpu / 64] = 1UL << (cpu % 64);
        _pinned = SchedSetAffinity(0, MaskWords * 8, only) == 0;
    }

    public static OneProcessor Current() => new();

    public void Dispose()
    {
        if (_pinned)
        {
            _ = SchedSetAffinity(0, MaskWords * 8, _previous);
        }
    }

    [LibraryImport("libc", EntryPoint = "sched_getcpu")]
    private static partial int SchedGetCpu();

    [LibraryImport("libc", EntryPoint = "sched_getaffinity")]
    private static partial int SchedGetAffinity(int pid, nuint size, [Out] ulong[] mask);

    [LibraryImport("libc", EntryPoint = "sched_setaffinity")]
    private static partial int SchedSetAffinity(int pid, nuint size, ulong[] mask);
}
