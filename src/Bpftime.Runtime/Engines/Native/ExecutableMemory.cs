using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Bpftime.Diagnostics;

namespace Bpftime.Engines.Native;

/// <summary>
/// Page-aligned memory for generated or linked machine code, kept W^X: it is writable until
/// <see cref="MakeExecutable"/>, then read-execute (or read-only for data) and never writable again.
/// </summary>
public sealed unsafe partial class ExecutableMemory : IDisposable
{
    private const int ProtRead = 0x1;
    private const int ProtWrite = 0x2;
    private const int ProtExec = 0x4;
    private const int MapPrivate = 0x02;
    private const int MapAnonymous = 0x20;

    private nint _address;
    private bool _sealed;

    private ExecutableMemory(nint address, nuint size)
    {
        _address = address;
        Size = size;
    }

    public nint Address
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _address != 0 ? _address : throw new ObjectDisposedException(nameof(ExecutableMemory));
    }

    public nuint Size { get; }

    public bool IsExecutable => _sealed;

    public static nuint PageSize { get; } = (nuint)Environment.SystemPageSize;

    /// <summary>Maps at least <paramref name="size"/> bytes, read-write, zero-filled.</summary>
    public static ExecutableMemory Allocate(nuint size) => Allocate(size, 0);

    /// <summary>
    /// Like <see cref="Allocate(nuint)"/>, but first asks Linux for an address below 2 GiB (MAP_32BIT) so
    /// that 32-bit absolute relocations of non-PIC objects reach it; falls back to any address.
    /// </summary>
    public static ExecutableMemory AllocateBelow2GiB(nuint size)
    {
        if (OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64)
        {
            try
            {
                return Allocate(size, MapBelow2GiB);
            }
            catch (BpfException)
            {
                // The low 2 GiB may be full; code that needs it will then fail to link with a range error.
            }
        }
        return Allocate(size);
    }

    private const int MapBelow2GiB = 0x40;

    private static ExecutableMemory Allocate(nuint size, int extraFlags)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD())
        {
            throw BpfException.Create(DiagnosticCodes.ExecutableMemoryUnavailable,
                "native code needs a POSIX host (mmap/mprotect); use the interpreter engine on this platform");
        }
        var rounded = RoundUp(size == 0 ? 1 : size, PageSize);
        var address = mmap(0, rounded, ProtRead | ProtWrite, MapPrivate | MapAnonymous | extraFlags, -1, 0);
        if (address == -1 || address == 0)
        {
            throw BpfException.Create(DiagnosticCodes.ExecutableMemoryUnavailable,
                $"could not map {rounded} bytes for native code (errno {Marshal.GetLastPInvokeError()})");
        }
        return new ExecutableMemory(address, rounded);
    }

    /// <summary>The whole region, writable until sealed.</summary>
    public Span<byte> Writable
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if (_sealed)
            {
                throw new InvalidOperationException("the code is sealed read-execute and can no longer be written");
            }
            return new Span<byte>((void*)Address, checked((int)Size));
        }
    }

    /// <summary>Makes the whole region read-execute.</summary>
    public void MakeExecutable() => Protect(0, Size, ProtRead | ProtExec);

    /// <summary>Makes part of the region read-only (constant data beside the code).</summary>
    public void MakeReadOnly(nuint offset, nuint length) => Protect(offset, length, ProtRead);

    /// <summary>Makes part of the region read-execute, leaving the rest as it is.</summary>
    public void MakeExecutable(nuint offset, nuint length) => Protect(offset, length, ProtRead | ProtExec);

    /// <summary>After this no part of the region may be written again.</summary>
    public void Seal() => _sealed = true;

    private void Protect(nuint offset, nuint length, int protection)
    {
        if (length == 0)
        {
            return;
        }
        if (offset % PageSize != 0 || offset + length > Size)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), "protection changes must start on a page inside the region");
        }
        if (mprotect(Address + (nint)offset, RoundUp(length, PageSize), protection) != 0)
        {
            throw BpfException.Create(DiagnosticCodes.ExecutableMemoryUnavailable,
                $"could not change the protection of native code (errno {Marshal.GetLastPInvokeError()})");
        }
        if ((protection & ProtWrite) == 0)
        {
            _sealed = true;
        }
    }

    public static nuint RoundUp(nuint value, nuint alignment) => (value + alignment - 1) / alignment * alignment;

    public void Dispose()
    {
        if (_address != 0)
        {
            munmap(_address, Size);
            _address = 0;
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int mprotect(nint address, nuint length, int protection);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int munmap(nint address, nuint length);
}
