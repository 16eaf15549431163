using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Bpftime.Helpers;

/// <summary>The few libc calls the helpers need on Linux (clocks, ids, safe reads of this process's memory).</summary>
internal static unsafe partial class NativeSystem
{
    public const int ClockMonotonic = 1;
    public const int ClockMonotonicCoarse = 6;
    public const int ClockBoottime = 7;

    private static readonly bool s_isLinux = OperatingSystem.IsLinux();
    private static int s_processVmReadvWorks = -1;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVector
    {
        public nint Base;
        public nuint Length;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, TimeSpec* time);

    [LibraryImport("libc", EntryPoint = "process_vm_readv", SetLastError = true)]
    private static partial nint ProcessVmReadv(int pid, IoVector* local, nuint localCount, IoVector* remote, nuint remoteCount, nuint flags);

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetTid();

    [LibraryImport("libc", EntryPoint = "getuid")]
    private static partial uint GetUid();

    [LibraryImport("libc", EntryPoint = "getgid")]
    private static partial uint GetGid();

    /// <summary>Nanoseconds on <paramref name="clock"/>; the monotonic Stopwatch where clock_gettime is missing.</summary>
    public static ulong Nanoseconds(int clock)
    {
        if (s_isLinux)
        {
            TimeSpec time;
            if (ClockGetTime(clock, &time) == 0)
            {
                return (ulong)((time.Seconds * 1_000_000_000L) + time.Nanoseconds);
            }
        }
        return (ulong)(Stopwatch.GetTimestamp() * (1_000_000_000.0 / Stopwatch.Frequency));
    }

    [ThreadStatic]
    private static int t_threadId;

    /// <summary>The kernel's id of the calling thread (its "pid" in bpf terms).</summary>
    public static int ThreadId
    {
        get
        {
            if (t_threadId == 0)
            {
                try
                {
                    t_threadId = s_isLinux ? GetTid() : Environment.CurrentManagedThreadId;
                }
                catch (EntryPointNotFoundException)
                {
                    t_threadId = Environment.CurrentManagedThreadId;
                }
            }
            return t_threadId;
        }
    }

    public static (uint Uid, uint Gid) UserAndGroup => s_isLinux ? (GetUid(), GetGid()) : (0, 0);

    /// <summary>
    /// Copies <paramref name="length"/> bytes from <paramref name="source"/> without faulting: true when
    /// every byte was readable. Uses process_vm_readv on this process, which reports unmapped memory
    /// as an error instead of a signal.
    /// </summary>
    public static bool TryCopy(nint source, nint destination, nuint length)
    {
        if (length == 0)
        {
            return true;
        }
        if (source == 0 || source + (nint)length < source)
        {
            return false;
        }
        if (s_isLinux && s_processVmReadvWorks != 0)
        {
            var local = new IoVector { Base = destination, Length = length };
            var remote = new IoVector { Base = source, Length = length };
            var copied = ProcessVmReadv(Environment.ProcessId, &local, 1, &remote, 1, 0);
            if (copied == (nint)length)
            {
                s_processVmReadvWorks = 1;
                return true;
            }
            var error = Marshal.GetLastSystemError();
            if (copied >= 0 || error == 14 /* EFAULT */)
            {
                return false;
            }
            if (error is 1 /* EPERM */ or 38 /* ENOSYS */)
            {
                s_processVmReadvWorks = 0;
            }
        }
        return false;
    }
}
