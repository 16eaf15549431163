using System.Text;
using Bpftime.Maps;

namespace Bpftime.Helpers;

/// <summary>
/// Who is running (Linux ids 14, 15, 16), answered for the host process: the tgid is the process id,
/// the pid the calling thread's id, and comm the process's name.
/// </summary>
public static unsafe class ProcessHelpers
{
    private const int CommLength = 16;

    private static readonly Lazy<byte[]> s_comm = new(ReadComm);

    public static HelperFunction GetCurrentPidTgid { get; } = new(HelperIds.GetCurrentPidTgid,
        static (_, _, _, _, _) => ((ulong)(uint)Environment.ProcessId << 32) | (uint)NativeSystem.ThreadId);

    public static HelperFunction GetCurrentUidGid { get; } = new(HelperIds.GetCurrentUidGid,
        static (_, _, _, _, _) =>
        {
            var (uid, gid) = NativeSystem.UserAndGroup;
            return ((ulong)gid << 32) | uid;
        });

    /// <summary>Writes the NUL-terminated process name, truncated to the buffer; 0, or -EINVAL for a null buffer.</summary>
    public static HelperFunction GetCurrentComm { get; } = new(HelperIds.GetCurrentComm,
        static (buffer, size, _, _, _) =>
        {
            if ((buffer == 0 && !Execution.HelperMemory.Checking) || size == 0)
            {
                return HelperFault.Errno(Errno.EINVAL);
            }
            var target = Execution.HelperMemory.Writable(buffer, size, "get_current_comm", "1 (buf)");
            target.Clear();
            var comm = s_comm.Value;
            comm.AsSpan(0, Math.Min(comm.Length, target.Length - 1)).CopyTo(target);
            return 0;
        });

    public static IEnumerable<HelperFunction> All => [GetCurrentPidTgid, GetCurrentUidGid, GetCurrentComm];

    private static byte[] ReadComm()
    {
        string name;
        try
        {
            name = File.Exists("/proc/self/comm") ? File.ReadAllText("/proc/self/comm").TrimEnd('\n') : Environment.ProcessPath is { } path ? Path.GetFileName(path) : "dotnet";
        }
        catch (IOException)
        {
            name = "dotnet";
        }
        var bytes = Encoding.UTF8.GetBytes(name);
        return bytes.Length > CommLength - 1 ? bytes[..(CommLength - 1)] : bytes;
    }
}
