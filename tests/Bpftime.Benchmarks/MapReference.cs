using System.Runtime.CompilerServices;

namespace Bpftime.Benchmarks;

/// <summary>
/// Two managed loops timed among the map cells, to tell what state the processor was in while they ran.
/// The map kernels are throughput-bound (independent iterations that overlap), so they slow down, by up
/// to 2x, whenever the physical core they run on is also busy with other work (on a virtual machine,
/// another guest's on the core's other hardware thread: invisible from inside), while a chain of
/// dependent multiplies keeps the same time at the same clock. <see cref="Throughput"/> moves with the
/// map cells, <see cref="Latency"/> only with the clock.
/// </summary>
internal static class MapReference
{
    /// <summary>Four independent add-xor chains per iteration: limited by how many instructions the core issues for this thread.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ulong Throughput(ulong iterations)
    {
        ulong a = 1, b = 2, c = 3, d = 4;
        for (ulong i = 0; i < iterations; i++)
        {
            a += i ^ b;
            b += i ^ c;
            c += i ^ d;
            d += i ^ a;
        }
        return a + b + c + d;
    }

    /// <summary>One multiply and add per iteration, each on the previous result: limited by their latency, that is by the clock.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ulong Latency(ulong iterations)
    {
        ulong x = 12345;
        for (ulong i = 0; i < iterations; i++)
        {
            x = (x * 0x9E3779B97F4A7C15UL) + i;
        }
        return x;
    }
}
