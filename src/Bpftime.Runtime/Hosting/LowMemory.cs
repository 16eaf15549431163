using System.Runtime.InteropServices;
using Bpftime.Diagnostics;

namespace Bpftime.Hosting;

/// <summary>
/// Read-write pages below 4 GiB, for memory whose addresses programs read as u32 (the XDP context's
/// data pointers). On x86-64 Linux MAP_32BIT asks for the low 2 GiB; elsewhere, addresses below 4 GiB
/// are tried as hints without replacing existing mappings.
/// </summary>
internal static unsafe partial class LowMemory
{
    private const int ProtReadWrite = 0x1 | 0x2;
    private const int MapPrivateAnonymous = 0x02 | 0x20;
    private const int Map32Bit = 0x40;
    private const int MapFixedNoReplace = 0x100000;

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static partial int Munmap(nint address, nuint length);

    /// <summary>Zeroed pages whose every address fits in 32 bits.</summary>
    public static nint Allocate(nuint length)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw Unavailable("memory below 4 GiB is only requested on Linux");
        }
        if (RuntimeInformation.ProcessArchitecture == Architecture.X64)
        {
            var block = Mmap(0, length, ProtReadWrite, MapPrivateAnonymous | Map32Bit, -1, 0);
            if (block != -1 && Fits(block, length))
            {
                return block;
            }
            if (block != -1)
            {
                Unmap(block, length);
            }
        }
        for (nint hint = 0x1000_0000; hint < 0xF000_0000; hint += 0x0100_0000)
        {
            var block = Mmap(hint, length, ProtReadWrite, MapPrivateAnonymous | MapFixedNoReplace, -1, 0);
            if (block == -1)
            {
                continue;
            }
            if (Fits(block, length))
            {
                return block;
            }
            Unmap(block, length);
        }
        throw Unavailable("no free address range below 4 GiB was found");
    }

    public static void Free(nint block, nuint length) => Unmap(block, length);

    /// <summary>munmap of a block mmap returned fails only when the block is wrong (EINVAL): a bug to report, not a leak to hide.</summary>
    private static void Unmap(nint block, nuint length)
    {
        if (Munmap(block, length) != 0)
        {
            throw new InvalidOperationException($"munmap of {length} bytes at 0x{block:x} failed (errno {Marshal.GetLastPInvokeError()}): the block was not one LowMemory.Allocate returned");
        }
    }

    private static bool Fits(nint block, nuint length) => (ulong)block + length <= uint.MaxValue;

    private static BpfException Unavailable(string why) => new(new BpfDiagnostic(DiagnosticCodes.XdpFrameUnavailable,
        $"an XDP frame needs memory below 4 GiB, so that programs can use the 32-bit data pointers of xdp_md, but {why}"));
}
