using System.Runtime.InteropServices;

namespace Bpftime.Sandbox.Fuzz.Sandbox;

/// <summary>Page mappings through libc, for guard pages the fuzzer controls (PROT_NONE on either side of a context).</summary>
internal static unsafe partial class NativePages
{
    public const int PageSize = 4096;

    private const int ProtNone = 0;
    private const int ProtReadWrite = 0x1 | 0x2;
    private const int MapPrivateAnonymous = 0x02 | 0x20;
    private const int Map32Bit = 0x40;

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    private static partial int Mprotect(nint address, nuint length, int protection);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static partial int Munmap(nint address, nuint length);

    /// <summary>
    /// <paramref name="pages"/> read-write pages between two PROT_NONE pages, below 2 GiB (XDP contexts hold
    /// 32-bit addresses). Returns the first read-write page.
    /// </summary>
    public static nint AllocateGuarded(int pages)
    {
        var total = (nuint)((pages + 2) * PageSize);
        var block = Mmap(0, total, ProtReadWrite, MapPrivateAnonymous | Map32Bit, -1, 0);
        if (block == -1)
        {
            block = Mmap(0, total, ProtReadWrite, MapPrivateAnonymous, -1, 0);
        }
        if (block == -1)
        {
            throw new InvalidOperationException($"mmap of {total} bytes failed (errno {Marshal.GetLastPInvokeError()})");
        }
        Protect(block, PageSize);
        Protect(block + (nint)((pages + 1) * PageSize), PageSize);
        return block + PageSize;
    }

    public static void FreeGuarded(nint firstPage, int pages)
    {
        if (Munmap(firstPage - PageSize, (nuint)((pages + 2) * PageSize)) != 0)
        {
            throw new InvalidOperationException($"munmap failed (errno {Marshal.GetLastPInvokeError()}): the pages were not allocated by AllocateGuarded");
        }
    }

    private static void Protect(nint page, int length)
    {
        if (Mprotect(page, (nuint)length, ProtNone) != 0)
        {
            throw new InvalidOperationException($"mprotect failed (errno {Marshal.GetLastPInvokeError()})");
        }
    }
}
