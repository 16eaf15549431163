using System.Runtime.InteropServices;

namespace Bpftime.Tests.Sandbox;

/// <summary>
/// Host memory a hostile program aims at: a payload between two guard zones, all filled with a known
/// byte, so a test can tell that not one byte of it (nor around it) changed.
/// </summary>
internal sealed unsafe class HostBuffer : IDisposable
{
    private const int Guard = 64;
    private const byte Fill = 0xc5;
    private readonly int _length;
    private byte* _block;

    public HostBuffer(int length = 64)
    {
        _length = length;
        _block = (byte*)NativeMemory.Alloc((nuint)(length + 2 * Guard));
        new Span<byte>(_block, length + 2 * Guard).Fill(Fill);
    }

    /// <summary>The payload's first byte: the address a hostile program passes.</summary>
    public long Address => (long)(_block + Guard);

    /// <summary>Writes a NUL-terminated string at the payload (for %s and string arguments).</summary>
    public void WriteString(string text)
    {
        var bytes = System.Text.Encoding.ASCII.GetBytes(text + "\0");
        bytes.CopyTo(new Span<byte>(_block + Guard, _length));
        Snapshot = new Span<byte>(_block, _length + 2 * Guard).ToArray();
    }

    private byte[]? Snapshot { get; set; }

    /// <summary>Every byte of the guards and the payload is as the test left it.</summary>
    public void AssertIntact()
    {
        var now = new ReadOnlySpan<byte>(_block, _length + 2 * Guard);
        if (Snapshot is { } expected)
        {
            Assert.True(now.SequenceEqual(expected), "host memory around the buffer a program was pointed at changed");
        }
        else
        {
            Assert.True(now.IndexOfAnyExcept(Fill) < 0, "host memory a program was pointed at changed");
        }
    }

    public void Dispose()
    {
        if (_block != null)
        {
            NativeMemory.Free(_block);
            _block = null;
        }
    }
}
