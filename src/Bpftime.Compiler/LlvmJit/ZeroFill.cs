using System.Runtime.InteropServices;

namespace Bpftime.Compiler.LlvmJit;

/// <summary>
/// The <c>memset</c> the JIT binds, for checked code's zeroing of each frame as it starts and for runs
/// of equal stores to a frame block, which LLVM may lower to a call (a 512-byte frame is more stores
/// than it inlines): the C library's
/// when the process exports one, else a managed equivalent.
/// </summary>
internal static unsafe class ZeroFill
{
    public static nint Entry { get; } = Find();

    private static nint Find()
    {
        if (NativeLibrary.TryGetExport(NativeLibrary.GetMainProgramHandle(), "memset", out var address) && address != 0)
        {
            return address;
        }
        return (nint)(delegate* unmanaged<nint, int, nuint, nint>)&Fill;
    }

    [UnmanagedCallersOnly]
    private static nint Fill(nint destination, int value, nuint length)
    {
        new Span<byte>((void*)destination, checked((int)length)).Fill((byte)value);
        return destination;
    }
}
