using Bpftime.Maps;

namespace Bpftime.Helpers;

/// <summary>
/// bpf_probe_read and its user, kernel and string forms (Linux ids 4, 45, 112-115). There is no kernel
/// here: every form reads this process's memory, without faulting: an unreadable source gives -EFAULT
/// and a zeroed destination, as the kernel does. Because they read the host's memory, only the
/// "tracing" helper set holds them; the other sets hold <see cref="TracingOnly"/> stand-ins. The
/// destination is the program's: in a checked run it must be memory the program may write.
/// </summary>
public static unsafe class ProbeReadHelpers
{
    public static HelperFunction ProbeRead { get; } = Copy(HelperIds.ProbeRead);

    public static HelperFunction ProbeReadUser { get; } = Copy(HelperIds.ProbeReadUser);

    public static HelperFunction ProbeReadKernel { get; } = Copy(HelperIds.ProbeReadKernel);

    public static HelperFunction ProbeReadStr { get; } = CopyString(HelperIds.ProbeReadStr);

    public static HelperFunction ProbeReadUserStr { get; } = CopyString(HelperIds.ProbeReadUserStr);

    public static HelperFunction ProbeReadKernelStr { get; } = CopyString(HelperIds.ProbeReadKernelStr);

    public static IEnumerable<HelperFunction> All => [ProbeRead, ProbeReadUser, ProbeReadKernel, ProbeReadStr, ProbeReadUserStr, ProbeReadKernelStr];

    private static HelperFunction Copy(int id)
    {
        var name = HelperCatalogue.Find(id)!.Name;
        return new(id, (destination, size, source, _, _) => Read(destination, size, source, name));
    }

    private static HelperFunction CopyString(int id)
    {
        var name = HelperCatalogue.Find(id)!.Name;
        return new(id, (destination, size, source, _, _) => ReadString(destination, size, source, name));
    }

    /// <summary>
    /// A stand-in for a helper that reads host memory, for sets other than "tracing": the prototype is
    /// the real one (so objects still link), the verifier refuses calls to it, and a checked call faults with
    /// BPF4238 naming the set.
    /// </summary>
    public static HelperFunction TracingOnly(HelperFunction helper)
    {
        ArgumentNullException.ThrowIfNull(helper);
        var name = helper.Name;
        return new HelperFunction(helper.Id, name, helper.Prototype, (_, _, _, _, _) =>
        {
            var run = Execution.ActiveRuns.Current;
            throw Diagnostics.BpfException.Create(Diagnostics.DiagnosticCodes.HelperNeedsTracingSet,
                $"helper {name} (#{helper.Id}) reads the host's memory, so only the \"tracing\" helper set provides it; load the program with that set (BpfHelperSet=tracing)",
                run?.Origin, run?.ProgramName);
        })
        { ProvidedOnlyBy = StandardHelpers.TracingName };
    }

    /// <summary>0, or -EFAULT with the destination zeroed.</summary>
    public static ulong Read(ulong destination, ulong size, ulong source) => Read(destination, size, source, "probe_read");

    private static ulong Read(ulong destination, ulong size, ulong source, string helper)
    {
        if (size == 0)
        {
            return 0;
        }
        if ((destination == 0 || size > int.MaxValue) && !Execution.HelperMemory.Checking)
        {
            return HelperFault.Errno(Errno.EFAULT);
        }
        Execution.HelperMemory.RequireWritable(destination, size, helper, "1 (dst)");
        if (NativeSystem.TryCopy((nint)source, (nint)destination, (nuint)size))
        {
            return 0;
        }
        new Span<byte>((void*)destination, (int)size).Clear();
        return HelperFault.Errno(Errno.EFAULT);
    }

    /// <summary>
    /// Copies a NUL-terminated string of at most size - 1 characters and its NUL; the length copied
    /// with the NUL, or -EFAULT (destination: an empty string) when the source is unreadable.
    /// </summary>
    public static ulong ReadString(ulong destination, ulong size, ulong source) => ReadString(destination, size, source, "probe_read_str");

    private static ulong ReadString(ulong destination, ulong size, ulong source, string helper)
    {
        if (size == 0)
        {
            return 0;
        }
        if ((destination == 0 || size > int.MaxValue) && !Execution.HelperMemory.Checking)
        {
            return HelperFault.Errno(Errno.EFAULT);
        }
        Execution.HelperMemory.RequireWritable(destination, size, helper, "1 (dst)");
        return CopyStringInto(destination, size, source);
    }

    /// <summary>The string copy itself, into a destination the caller vouches for (the printf formatter's own buffer).</summary>
    internal static ulong CopyStringInto(ulong destination, ulong size, ulong source)
    {
        var target = (byte*)destination;
        // Read in small chunks that never cross a page boundary, so a string ending before an unmapped page still copies.
        ulong copied = 0;
        while (copied < size - 1)
        {
            var address = source + copied;
            var toPageEnd = 4096 - (address & 4095);
            var chunk = Math.Min(Math.Min(toPageEnd, 64), size - 1 - copied);
            if (!NativeSystem.TryCopy((nint)address, (nint)(target + copied), (nuint)chunk))
            {
                *target = 0;
                return HelperFault.Errno(Errno.EFAULT);
            }
            var part = new ReadOnlySpan<byte>(target + copied, (int)chunk);
            var nul = part.IndexOf((byte)0);
            if (nul >= 0)
            {
                return copied + (ulong)nul + 1;
            }
            copied += chunk;
        }
        target[copied] = 0;
        return copied + 1;
    }
}
