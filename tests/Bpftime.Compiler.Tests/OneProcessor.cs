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

    private OneProcessor(bool last = false)
    {
        var cpu = SchedGetCpu();
        if (last && SchedGetAffinity(0, MaskWords * 8, _previous) == 0)
        {
            cpu = (MaskWords * 64) - 1;
            while (cpu > 0 && (_previous[cpu / 64] & (1UL << (cpu % 64))) == 0)
            {
                cpu--;
            }
        }
        if (cpu < 0 || cpu >= MaskWords * 64 || SchedGetAffinity(0, MaskWords * 8, _previous) != 0)
        {
            return;
        }
        var only = new ulong[MaskWords];
        only[cpu / 64] = 1UL << (cpu % 64);
        _pinned = SchedSetAffinity(0, MaskWords * 8, only) == 0;
    }

    public static OneProcessor Current() => new();

    /// <summary>Moves the calling thread to the highest-numbered processor it may run on (not processor 0 when it may run elsewhere) and keeps it there.</summary>
    public static OneProcessor Last() => new(last: true);

    /// <summary>The processor the calling thread runs on (sched_getcpu).</summary>
    public static int Processor => SchedGetCpu();

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
