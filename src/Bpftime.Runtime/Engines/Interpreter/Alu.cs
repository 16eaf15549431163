using System.Runtime.CompilerServices;

namespace Bpftime.Engines.Interpreter;

/// <summary>
/// The arithmetic whose eBPF meaning differs from C#'s: division by zero gives 0, modulo by zero
/// leaves the dividend, INT_MIN / -1 wraps instead of trapping, and atomics on native addresses.
/// </summary>
internal static unsafe class Alu
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Div64(ulong a, ulong b) => b == 0 ? 0 : a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mod64(ulong a, ulong b) => b == 0 ? a : a % b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong SDiv64(ulong a, ulong b) => (long)b switch
    {
        0 => 0,
        -1 => (ulong)-(long)a, // long.MinValue / -1 would trap on x86; wrapping gives long.MinValue.
        _ => (ulong)((long)a / (long)b),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong SMod64(ulong a, ulong b) => (long)b switch
    {
        0 => a,
        -1 => 0,
        _ => (ulong)((long)a % (long)b),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Div32(uint a, uint b) => b == 0 ? 0 : a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mod32(uint a, uint b) => b == 0 ? a : a % b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong SDiv32(uint a, uint b) => (int)b switch
    {
        0 => 0,
        -1 => (uint)-(int)a,
        _ => (uint)((int)a / (int)b),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong SMod32(uint a, uint b) => (int)b switch
    {
        0 => a,
        -1 => 0,
        _ => (uint)((int)a % (int)b),
    };

    /// <summary>A 32-bit atomic; fetched values land zero-extended in src (r0 for cmpxchg).</summary>
    public static void Atomic32(AtomicKind kind, uint* location, ref ulong src, ref ulong r0)
    {
        ref var target = ref *location;
        var operand = (uint)src;
        switch (kind)
        {
            case AtomicKind.Add: Interlocked.Add(ref Unsafe.As<uint, int>(ref target), (int)operand); break;
            case AtomicKind.Or: Interlocked.Or(ref target, operand); break;
            case AtomicKind.And: Interlocked.And(ref target, operand); break;
            case AtomicKind.Xor: Xor32(ref target, operand); break;
            case AtomicKind.FetchAdd: src = (uint)(Interlocked.Add(ref Unsafe.As<uint, int>(ref target), (int)operand) - (int)operand); break;
            case AtomicKind.FetchOr: src = Interlocked.Or(ref target, operand); break;
            case AtomicKind.FetchAnd: src = Interlocked.And(ref target, operand); break;
            case AtomicKind.FetchXor: src = Xor32(ref target, operand); break;
            case AtomicKind.Exchange: src = Interlocked.Exchange(ref target, operand); break;
            case AtomicKind.CompareExchange: r0 = Interlocked.CompareExchange(ref target, operand, (uint)r0); break;
        }
    }

    /// <summary>A 64-bit atomic; fetched values land in src (r0 for cmpxchg).</summary>
    public static void Atomic64(AtomicKind kind, ulong* location, ref ulong src, ref ulong r0)
    {
        ref var target = ref *location;
        var operand = src;
        switch (kind)
        {
            case AtomicKind.Add: Interlocked.Add(ref Unsafe.As<ulong, long>(ref target), (long)operand); break;
            case AtomicKind.Or: Interlocked.Or(ref target, operand); break;
            case AtomicKind.And: Interlocked.And(ref target, operand); break;
            case AtomicKind.Xor: Xor64(ref target, operand); break;
            case AtomicKind.FetchAdd: src = (ulong)(Interlocked.Add(ref Unsafe.As<ulong, long>(ref target), (long)operand) - (long)operand); break;
            case AtomicKind.FetchOr: src = Interlocked.Or(ref target, operand); break;
            case AtomicKind.FetchAnd: src = Interlocked.And(ref target, operand); break;
            case AtomicKind.FetchXor: src = Xor64(ref target, operand); break;
            case AtomicKind.Exchange: src = Interlocked.Exchange(ref target, operand); break;
            case AtomicKind.CompareExchange: r0 = Interlocked.CompareExchange(ref target, operand, r0); break;
        }
    }

    // Interlocked has no exclusive or: a compare-and-swap loop gives the same atomicity.
    private static uint Xor32(ref uint target, uint operand)
    {
        var old = Volatile.Read(ref target);
        while (true)
        {
            var seen = Interlocked.CompareExchange(ref target, old ^ operand, old);
            if (seen == old)
            {
                return old;
            }
            old = seen;
        }
    }

    private static ulong Xor64(ref ulong target, ulong operand)
    {
        var old = Volatile.Read(ref target);
        while (true)
        {
            var seen = Interlocked.CompareExchange(ref target, old ^ operand, old);
            if (seen == old)
            {
                return old;
            }
            old = seen;
        }
    }
}
