using Bpftime.Diagnostics;
using Bpftime.Helpers;
using Bpftime.Objects;
using Bpftime.Verification;
using static Bpftime.Diagnostics.DiagnosticCodes;

namespace Bpftime.Tests.Verification;

/// <summary>
/// Unsafe programs, each refused with a known code at a known instruction. Maps (see
/// <see cref="VerifierKit.Maps"/>): 0 array (key 4, value 48), 1 hash (key 8, value 16), 2 ring
/// buffer, 3 program array, 4 .rodata (16 bytes, read-only), 5 queue (value 8), 6 array (key 4,
/// value 16) with a struct bpf_spin_lock at offset 0. The context is 64
/// bytes of raw memory unless the case says otherwise.
/// </summary>
internal static class UnsafeProgramCatalogue
{
    public sealed record Case(string Name, string Source, string Code, int Instruction)
    {
        public ProgramType Type { get; init; } = ProgramType.Unspecified;

        public VerifierOptions Options { get; init; } = new() { ContextSize = 64 };
    }

    /// <summary>Looks up array map entry 0 (insns 0-5), leaving map_value_or_null in r0.</summary>
    private const string Lookup = """
        stw [%r10-4], 0
        mov %r2, %r10
        add %r2, -4
        ldmap %r1, 0
        call 1
        """;

    /// <summary>Saves the context in r6, looks up array entry 0 and null-checks it (insns 0-7); the body starts at 8; "out" must be defined.</summary>
    private const string CheckedLookup = """
        mov %r6, %r1
        stw [%r10-4], 0
        mov %r2, %r10
        add %r2, -4
        ldmap %r1, 0
        call 1
        jeq %r0, 0, out
        """;

    /// <summary>As <see cref="CheckedLookup"/>, in the array whose value holds a spin lock at offset 0.</summary>
    private const string CheckedLockLookup = """
        mov %r6, %r1
        stw [%r10-4], 0
        mov %r2, %r10
        add %r2, -4
        ldmap %r1, 6
        call 1
        jeq %r0, 0, out
        """;

    private const string Out = """
        out:
        mov %r0, 0
        exit
        """;

    /// <summary>Reserves an 8-byte ring-buffer record (insns 0-4), leaving ringbuf_record_or_null in r0.</summary>
    private const string Reserve = """
        ldmap %r1, 2
        mov %r2, 8
        mov %r3, 0
        call 131
        """;

    private const string XdpCheck14 = """
        ldxw %r2, [%r1+0]
        ldxw %r3, [%r1+4]
        mov %r4, %r2
        add %r4, 14
        jgt %r4, %r3, drop
        """;

    private static readonly VerifierOptions SmallBudget = new() { ContextSize = 64, MaxProcessedInstructions = 100_000 };

    public static IReadOnlyList<Case> All { get; } = Build();

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var c in All)
        {
            data.Add(c.Name);
        }
        return data;
    }

    public static Case Find(string name) => All.Single(c => c.Name == name);

    private static List<Case> Build()
    {
        var xdp = ProgramType.Xdp;
        var list = new List<Case>
        {
            // Uninitialised registers.
            new("uninit-r0-at-exit", "exit", VerifierUninitializedRegister, 0),
            new("uninit-mov-source", "mov %r0, %r3\nexit", VerifierUninitializedRegister, 0),
            new("uninit-alu-destination", "add %r4, 1\nmov %r0, 0\nexit", VerifierUninitializedRegister, 0),
            new("uninit-load-address", "ldxdw %r0, [%r5+0]\nexit", VerifierUninitializedRegister, 0),
            new("uninit-compare-operand", "jeq %r6, 0, +1\nmov %r0, 1\nmov %r0, 0\nexit", VerifierUninitializedRegister, 0),
            new("r1-clobbered-by-helper", "call 5\nmov %r0, %r1\nexit", VerifierUninitializedRegister, 1),
            new("uninit-on-one-path", "ldxb %r2, [%r1+0]\njeq %r2, 0, +1\nmov %r3, 1\nmov %r0, %r3\nexit", VerifierUninitializedRegister, 3),
            new("uninit-helper-argument", "ldmap %r2, 3\ncall 12\nmov %r0, 0\nexit", VerifierUninitializedRegister, 2),
            new("uninit-store-value", "stxdw [%r10-8], %r7\nmov %r0, 0\nexit", VerifierUninitializedRegister, 0),
            new("r1-clobbered-by-local-call", "mov %r1, 1\ncall local fn\nmov %r0, %r1\nexit\nfn:\nmov %r0, 0\nexit", VerifierUninitializedRegister, 2),
            new("uninit-r0-in-callback", "mov %r1, 2\nldfunc %r2, cb\nmov %r3, 0\nmov %r4, 0\ncall 181\nmov %r0, 0\nexit\ncb:\nexit", VerifierUninitializedRegister, 8),

            // Uninitialised stack.
            new("uninit-stack-read", "ldxdw %r0, [%r10-8]\nexit", VerifierUninitializedStack, 0),
            new("half-initialised-stack-read", "stw [%r10-8], 1\nldxdw %r0, [%r10-8]\nexit", VerifierUninitializedStack, 1),
            new("uninit-map-key", "mov %r2, %r10\nadd %r2, -4\nldmap %r1, 0\ncall 1\nmov %r0, 0\nexit", VerifierUninitializedStack, 4),
            new("variable-offset-over-uninit-bytes", """
                stdw [%r10-8], 0
                ldxb %r2, [%r1+0]
                and %r2, 15
                mov %r3, %r10
                add %r3, -16
                add %r3, %r2
                ldxb %r0, [%r3+0]
                exit
                """, VerifierUninitializedStack, 6),
            new("uninit-map-value-for-update", """
                stdw [%r10-8], 0
                mov %r2, %r10
                add %r2, -8
                mov %r3, %r10
                add %r3, -24
                mov %r4, 0
                ldmap %r1, 1
                call 2
                exit
                """, VerifierUninitializedStack, 8),

            // Stack bounds.
            new("stack-below-frame", "stdw [%r10-520], 0\nmov %r0, 0\nexit", VerifierStackOutOfBounds, 0),
            new("stack-at-frame-pointer", "stdw [%r10+0], 1\nmov %r0, 0\nexit", VerifierStackOutOfBounds, 0),
            new("stack-straddles-frame-pointer", "stdw [%r10-4], 0\nmov %r0, 0\nexit", VerifierStackOutOfBounds, 0),
            new("stack-variable-offset-above", """
                ldxb %r2, [%r1+0]
                mov %r3, %r10
                add %r3, -8
                add %r3, %r2
                stb [%r3+0], 1
                mov %r0, 0
                exit
                """, VerifierStackOutOfBounds, 4),
            new("stack-pointer-moved-too-far", "mov %r2, %r10\nadd %r2, -600\nstb [%r2+0], 1\nmov %r0, 0\nexit", VerifierStackOutOfBounds, 2),

            // Context.
            new("context-past-end", "ldxdw %r0, [%r1+60]\nexit", VerifierInvalidContextAccess, 0),
            new("context-negative-offset", "ldxw %r0, [%r1-4]\nexit", VerifierInvalidContextAccess, 0),
            new("context-size-undeclared", "ldxb %r0, [%r1+0]\nexit", VerifierInvalidContextAccess, 0) { Options = new VerifierOptions() },
            // A raw-memory context may be indexed by a bounded value (a loop over the buffer), but not by any value.
            new("context-variable-offset", "ldxdw %r2, [%r1+0]\nrsh %r2, 1\nadd %r1, %r2\nldxb %r0, [%r1+0]\nexit", VerifierInvalidContextAccess, 2),
            new("context-variable-offset-past-end", "ldxb %r2, [%r1+0]\nand %r2, 63\nadd %r1, %r2\nldxdw %r0, [%r1+0]\nexit", VerifierInvalidContextAccess, 3),
            new("struct-context-variable-offset", "ldxb %r2, [%r1+12]\nand %r2, 3\nadd %r1, %r2\nldxb %r0, [%r1+0]\nexit", VerifierInvalidContextAccess, 2) { Type = xdp },
            new("xdp-context-write", "stw [%r1+0], 0\nmov %r0, 2\nexit", VerifierReadOnlyWrite, 0) { Type = xdp },
            new("xdp-context-past-end", "ldxw %r0, [%r1+24]\nexit", VerifierInvalidContextAccess, 0) { Type = xdp },
            new("xdp-two-fields-at-once", "ldxdw %r2, [%r1+0]\nmov %r0, 2\nexit", VerifierInvalidContextAccess, 0) { Type = xdp },
            new("xdp-half-packet-pointer", "ldxh %r2, [%r1+0]\nmov %r0, 2\nexit", VerifierMisalignedAccess, 0) { Type = xdp },
            new("struct-context-read-only-field", "stdw [%r1+8], 1\nmov %r0, 0\nexit", VerifierReadOnlyWrite, 0)
            {
                Options = new VerifierOptions { Context = ContextLayout.Struct("event", 16, new ContextField("a", 0, 8, Writable: true), new ContextField("b", 8, 8)) },
            },
            new("struct-context-gap", "ldxw %r0, [%r1+4]\nexit", VerifierInvalidContextAccess, 0)
            {
                Options = new VerifierOptions { Context = ContextLayout.Struct("event", 16, new ContextField("a", 0, 4), new ContextField("b", 8, 8)) },
            },

            // Map values.
            new("map-value-past-end", Lookup + "\njeq %r0, 0, out\nldxdw %r0, [%r0+48]\nexit\n" + Out, VerifierMapValueOutOfBounds, 7),
            new("map-value-negative-offset", Lookup + "\njeq %r0, 0, out\nldxdw %r0, [%r0-8]\nexit\n" + Out, VerifierMapValueOutOfBounds, 7),
            new("map-value-byte-index", CheckedLookup + "\nldxb %r2, [%r6+0]\nadd %r0, %r2\nldxb %r0, [%r0+0]\nexit\n" + Out, VerifierMapValueOutOfBounds, 10),
            new("map-value-mask-too-wide", CheckedLookup + "\nldxb %r2, [%r6+0]\nand %r2, 63\nadd %r0, %r2\nldxdw %r0, [%r0+0]\nexit\n" + Out, VerifierMapValueOutOfBounds, 11),
            new("map-value-off-by-one", CheckedLookup + "\nldxb %r2, [%r6+0]\njgt %r2, 48, out\nadd %r0, %r2\nldxb %r0, [%r0+0]\nexit\n" + Out, VerifierMapValueOutOfBounds, 11),
            new("map-value-signed-check-only", CheckedLookup + "\nldxdw %r2, [%r6+0]\njsgt %r2, 40, out\nadd %r0, %r2\nldxb %r0, [%r0+0]\nexit\n" + Out, VerifierUnboundedPointerArithmetic, 10),
            new("map-value-32-bit-check-64-bit-use", CheckedLookup + "\nldxdw %r2, [%r6+0]\njgt32 %r2, 40, out\nadd %r0, %r2\nldxb %r0, [%r0+0]\nexit\n" + Out, VerifierUnboundedPointerArithmetic, 10),
            new("map-value-write-past-end", CheckedLookup + "\nstdw [%r0+44], 1\nmov %r0, 0\nexit\n" + Out, VerifierMapValueOutOfBounds, 8),
            new("map-value-checked-wrong-register", CheckedLookup + "\nldxb %r2, [%r6+0]\nldxb %r3, [%r6+1]\njgt %r3, 40, out\nadd %r0, %r2\nldxdw %r0, [%r0+0]\nexit\n" + Out, VerifierMapValueOutOfBounds, 12),
            new("map-value-loop-overruns", CheckedLookup + "\nmov %r2, 0\nloop:\nmov %r3, %r0\nadd %r3, %r2\nstb [%r3+0], 0\nadd %r2, 1\njle %r2, 48, loop\nmov %r0, 0\nexit\n" + Out, VerifierMapValueOutOfBounds, 11),
            new("map-value-sign-extension-trick", CheckedLookup + "\nldxb %r2, [%r6+0]\nlsh %r2, 56\narsh %r2, 56\nadd %r0, %r2\nldxb %r0, [%r0+0]\nexit\n" + Out, VerifierMapValueOutOfBounds, 12),

            // Packets.
            new("packet-unchecked", "ldxw %r2, [%r1+0]\nldxb %r0, [%r2+0]\nexit", VerifierPacketOutOfBounds, 1) { Type = xdp },
            new("packet-check-too-short", XdpCheck14 + "\nldxh %r0, [%r2+13]\nexit\ndrop:\nmov %r0, 1\nexit", VerifierPacketOutOfBounds, 5) { Type = xdp },
            new("packet-read-on-failed-check", XdpCheck14 + "\nmov %r0, 2\nexit\ndrop:\nldxb %r0, [%r2+0]\nexit", VerifierPacketOutOfBounds, 7) { Type = xdp },
            new("packet-before-start", XdpCheck14 + "\nldxb %r0, [%r2-1]\nexit\ndrop:\nmov %r0, 1\nexit", VerifierPacketOutOfBounds, 5) { Type = xdp },
            new("packet-variable-offset-unchecked", XdpCheck14 + "\nldxb %r5, [%r2+0]\nadd %r2, %r5\nldxb %r0, [%r2+0]\nexit\ndrop:\nmov %r0, 1\nexit", VerifierPacketOutOfBounds, 7) { Type = xdp },
            new("packet-pointer-after-adjust-head", """
                mov %r6, %r1
                ldxw %r2, [%r1+0]
                ldxw %r3, [%r1+4]
                mov %r4, %r2
                add %r4, 8
                jgt %r4, %r3, drop
                mov %r7, %r2
                mov %r2, 4
                mov %r1, %r6
                call 44
                ldxb %r0, [%r7+0]
                exit
                drop:
                mov %r0, 1
                exit
                """, VerifierInvalidMemoryAccess, 10) { Type = xdp },
            new("packet-end-dereference", "ldxw %r3, [%r1+4]\nldxb %r0, [%r3+0]\nexit", VerifierInvalidMemoryAccess, 1) { Type = xdp },
            new("packet-end-arithmetic", "ldxw %r3, [%r1+4]\nadd %r3, 1\nmov %r0, 2\nexit", VerifierProhibitedPointerArithmetic, 1) { Type = xdp },
            new("packet-meta-checked-against-data-plus-offset", """
                ldxw %r2, [%r1+8]
                ldxw %r3, [%r1+0]
                mov %r4, %r2
                add %r4, 64
                mov %r5, %r3
                add %r5, 64
                jgt %r4, %r5, drop
                ldxdw %r0, [%r2+56]
                exit
                drop:
                mov %r0, 1
                exit
                """, VerifierPacketOutOfBounds, 7) { Type = xdp },
            new("packet-meta-checked-against-data-plus-offset-reversed", """
                ldxw %r2, [%r1+8]
                ldxw %r3, [%r1+0]
                mov %r4, %r2
                add %r4, 16
                mov %r5, %r3
                add %r5, 8
                jlt %r5, %r4, drop
                ldxdw %r0, [%r2+8]
                exit
                drop:
                mov %r0, 1
                exit
                """, VerifierPacketOutOfBounds, 7) { Type = xdp },
            new("packet-meta-unchecked", "ldxw %r2, [%r1+8]\nldxb %r0, [%r2+0]\nexit", VerifierPacketOutOfBounds, 1) { Type = xdp },

            // Maybe-null pointers.
            new("map-value-store-without-null-check", Lookup + "\nstdw [%r0+0], 1\nmov %r0, 0\nexit", VerifierPossibleNullDereference, 6),
            new("map-value-arithmetic-without-null-check", Lookup + "\nadd %r0, 8\nmov %r0, 0\nexit", VerifierProhibitedPointerArithmetic, 6),
            new("map-value-used-in-null-branch", Lookup + "\njne %r0, 0, ok\nldxdw %r0, [%r0+0]\nexit\nok:\nmov %r0, 0\nexit", VerifierInvalidMemoryAccess, 7),
            new("map-value-checked-against-one", Lookup + "\njeq %r0, 1, out\nldxdw %r0, [%r0+0]\nexit\n" + Out, VerifierPossibleNullDereference, 7),
            new("ring-buffer-record-without-null-check", Reserve + "\nstdw [%r0+0], 1\nmov %r0, 0\nexit", VerifierPossibleNullDereference, 5),
            new("ring-buffer-submit-without-null-check", Reserve + "\nmov %r1, %r0\nmov %r2, 0\ncall 132\nmov %r0, 0\nexit", VerifierPossibleNullDereference, 7),
            new("maybe-null-as-map-key", Lookup + "\nmov %r2, %r0\nldmap %r1, 0\ncall 1\nmov %r0, 0\nexit", VerifierPossibleNullDereference, 9),

            // Not memory.
            new("scalar-dereference", "mov %r2, 100\nldxdw %r0, [%r2+0]\nexit", VerifierInvalidMemoryAccess, 1),
            new("map-pointer-dereference", "ldmap %r2, 0\nldxdw %r0, [%r2+0]\nexit", VerifierInvalidMemoryAccess, 2),
            new("function-address-dereference", "ldfunc %r2, f\nldxb %r0, [%r2+0]\nexit\nf:\nmov %r0, 0\nexit", VerifierInvalidMemoryAccess, 2),
            new("pointer-cut-by-32-bit-move", "mov32 %r2, %r10\nldxb %r0, [%r2-1]\nexit", VerifierPointerLeak, 0),

            // Pointer arithmetic.
            new("pointer-multiplied", "mov %r2, %r10\nmul %r2, 2\nmov %r0, 0\nexit", VerifierProhibitedPointerArithmetic, 1),
            new("pointer-plus-pointer", "mov %r2, %r10\nadd %r2, %r1\nmov %r0, 0\nexit", VerifierProhibitedPointerArithmetic, 1),
            new("pointer-32-bit-add", "mov %r2, %r10\nadd32 %r2, 8\nmov %r0, 0\nexit", VerifierProhibitedPointerArithmetic, 1),
            new("map-pointer-arithmetic", "ldmap %r1, 0\nadd %r1, 8\nmov %r0, 0\nexit", VerifierProhibitedPointerArithmetic, 2),
            new("pointer-byte-swapped", "mov %r2, %r10\nbe64 %r2\nmov %r0, 0\nexit", VerifierProhibitedPointerArithmetic, 1),
            new("pointer-xored", "mov %r0, %r1\nxor %r0, 1\nexit", VerifierProhibitedPointerArithmetic, 1),
            new("unbounded-index-on-stack", "ldxdw %r2, [%r1+0]\nmov %r3, %r10\nadd %r3, %r2\nmov %r0, 0\nexit", VerifierUnboundedPointerArithmetic, 2),
            new("division-keeps-it-unbounded", "ldxdw %r2, [%r1+0]\ndiv %r2, 2\nmov %r3, %r10\nadd %r3, %r2\nmov %r0, 0\nexit", VerifierUnboundedPointerArithmetic, 3),
            new("modulo-by-unknown", "ldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\nmod %r2, %r3\nmov %r4, %r10\nadd %r4, %r2\nmov %r0, 0\nexit", VerifierUnboundedPointerArithmetic, 4),
            new("shift-keeps-it-unbounded", "ldxdw %r2, [%r1+0]\nrsh %r2, 8\nmov %r3, %r10\nadd %r3, %r2\nmov %r0, 0\nexit", VerifierUnboundedPointerArithmetic, 3),
            new("multiplication-overflows-bounds", "ldxb %r2, [%r1+0]\nmul %r2, 0x10000000\nmov %r3, %r10\nadd %r3, %r2\nmov %r0, 0\nexit", VerifierUnboundedPointerArithmetic, 3),
            new("signed-division-by-unknown", "ldxb %r2, [%r1+0]\nldxb %r3, [%r1+1]\nsdiv %r2, %r3\nmov %r4, %r10\nadd %r4, %r2\nmov %r0, 0\nexit", VerifierUnboundedPointerArithmetic, 4),
            new("negation-of-unknown", "ldxb %r2, [%r1+0]\nneg %r2\nmov %r3, %r10\nadd %r3, %r2\nmov %r0, 0\nexit", VerifierUnboundedPointerArithmetic, 3),
            new("truncation-to-32-bits", "ldxdw %r2, [%r1+0]\nmov32 %r2, %r2\nmov %r3, %r10\nadd %r3, %r2\nmov %r0, 0\nexit", VerifierUnboundedPointerArithmetic, 3),

            // Pointer leaks.
            new("stack-pointer-into-map", CheckedLookup + "\nstxdw [%r0+0], %r10\nmov %r0, 0\nexit\n" + Out, VerifierPointerLeak, 8),
            new("context-pointer-into-context", "stxdw [%r1+0], %r1\nmov %r0, 0\nexit", VerifierPointerLeak, 0),
            new("pointer-into-ring-buffer-record", Reserve + "\njeq %r0, 0, out\nstxdw [%r0+0], %r10\nmov %r1, %r0\nmov %r2, 0\ncall 132\n" + Out, VerifierPointerLeak, 6),
            new("pointer-into-packet", "ldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\nmov %r4, %r2\nadd %r4, 8\njgt %r4, %r3, drop\nstxdw [%r2+0], %r1\ndrop:\nmov %r0, 1\nexit", VerifierPointerLeak, 5) { Type = xdp },
            new("pointer-through-atomic-add", "stdw [%r10-8], 0\nlock add [%r10-8], %r10\nmov %r0, 0\nexit", VerifierPointerLeak, 1),
            new("spilled-pointer-as-map-value", """
                stdw [%r10-8], 0
                stxdw [%r10-16], %r10
                stdw [%r10-24], 0
                mov %r2, %r10
                add %r2, -8
                mov %r3, %r10
                add %r3, -24
                mov %r4, 0
                ldmap %r1, 1
                call 2
                mov %r0, 0
                exit
                """, VerifierPointerLeak, 10),
            new("spilled-pointer-as-map-key", """
                stxdw [%r10-8], %r1
                stdw [%r10-24], 0
                stdw [%r10-16], 0
                mov %r2, %r10
                add %r2, -8
                mov %r3, %r10
                add %r3, -24
                mov %r4, 0
                ldmap %r1, 1
                call 2
                mov %r0, 0
                exit
                """, VerifierPointerLeak, 10),
            new("spilled-pointer-into-ring-buffer-output", "stxdw [%r10-8], %r1\nmov %r2, %r10\nadd %r2, -8\nldmap %r1, 2\nmov %r3, 8\nmov %r4, 0\ncall 130\nmov %r0, 0\nexit", VerifierPointerLeak, 7),
            new("spilled-pointer-copied-by-probe-read", CheckedLookup + "\nstxdw [%r10-16], %r6\nmov %r1, %r0\nmov %r2, 8\nmov %r3, %r10\nadd %r3, -16\ncall 4\nmov %r0, 0\nexit\n" + Out, VerifierPointerLeak, 13),
            new("uninitialised-stack-copied-by-probe-read", CheckedLookup + "\nmov %r1, %r0\nmov %r2, 8\nmov %r3, %r10\nadd %r3, -32\ncall 4\nmov %r0, 0\nexit\n" + Out, VerifierUninitializedStack, 12),
            new("pointer-cut-to-32-bits-and-stored", CheckedLookup + "\nmov32 %r2, %r10\nstxw [%r0+0], %r2\nmov %r0, 0\nexit\n" + Out, VerifierPointerLeak, 8),
            // .rodata (map 4) is "hello %d\0abcdef\0": %d would print the address.
            new("pointer-printed-by-snprintf-as-a-number", "stxdw [%r10-8], %r10\nmov %r1, %r10\nadd %r1, -32\nmov %r2, 16\nldmapval %r3, 4, 0\nmov %r4, %r10\nadd %r4, -8\nmov %r5, 8\ncall 165\nexit", VerifierPointerLeak, 9),
            new("stack-pointer-returned", "mov %r0, %r10\nexit", VerifierPointerReturned, 1),
            new("map-value-returned", Lookup + "\njeq %r0, 0, +1\nexit\nmov %r0, 0\nexit", VerifierPointerReturned, 7),
            new("context-returned", "mov %r0, %r1\nexit", VerifierPointerReturned, 1),

            // Read-only memory.
            new("rodata-store", "ldmapval %r2, 4, 0\nstw [%r2+0], 1\nmov %r0, 0\nexit", VerifierReadOnlyWrite, 2),
            new("rodata-atomic", "ldmapval %r2, 4, 8\nmov %r3, 1\nlock add [%r2+0], %r3\nmov %r0, 0\nexit", VerifierReadOnlyWrite, 3),
            new("rodata-as-snprintf-buffer", "ldmapval %r1, 4, 0\nmov %r2, 8\nldmapval %r3, 4, 0\nmov %r4, 0\nmov %r5, 0\ncall 165\nexit", VerifierReadOnlyWrite, 7),
            new("rodata-as-probe-read-destination", "ldmapval %r1, 4, 0\nmov %r2, 8\nmov %r3, %r10\ncall 4\nmov %r0, 0\nexit", VerifierReadOnlyWrite, 4),
            new("rodata-as-pop-destination", "ldmapval %r2, 4, 8\nldmap %r1, 5\ncall 88\nmov %r0, 0\nexit", VerifierReadOnlyWrite, 4),
            new("rodata-updated-by-helper", """
                stw [%r10-4], 0
                stdw [%r10-24], 0
                stdw [%r10-16], 0
                mov %r2, %r10
                add %r2, -4
                mov %r3, %r10
                add %r3, -24
                mov %r4, 0
                ldmap %r1, 4
                call 2
                mov %r0, 0
                exit
                """, VerifierReadOnlyWrite, 10),
            new("rodata-deleted-by-helper", "stw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nldmap %r1, 4\ncall 3\nmov %r0, 0\nexit", VerifierReadOnlyWrite, 5),
            new("frame-pointer-written", "mov %r10, 0\nmov %r0, 0\nexit", WriteToFramePointer, 0),
            new("frame-pointer-moved", "add %r10, -8\nmov %r0, 0\nexit", WriteToFramePointer, 0),

            // Loops.
            new("jump-to-self", "mov %r0, 0\nja -1\nexit", VerifierInfiniteLoop, 1),
            new("loop-condition-never-changes", "mov %r0, 0\nldxb %r1, [%r1+0]\nloop:\njlt %r1, 10, loop\nexit", VerifierInfiniteLoop, 2),
            new("two-block-cycle", "mov %r0, 0\na:\nja b\nexit\nb:\nja a", VerifierInfiniteLoop, 1),
            // Memory-safe loops that may run for ages: refused when the host requires proven termination
            // (without it they are accepted unproven and run under the execution budget), and, unrolled, at the budget.
            new("loop-bound-from-input", "ldxw %r2, [%r1+0]\nmov %r0, 0\nmov %r3, 0\nloop:\nadd %r3, 1\njlt %r3, %r2, loop\nexit", VerifierTerminationNotProven, 3) { Options = SmallBudget with { RequireTermination = true } },
            new("loop-counter-goes-the-wrong-way", "mov %r0, 0\nmov %r1, 10\nloop:\nadd %r1, 1\njne %r1, 0, loop\nexit", VerifierTerminationNotProven, 2) { Options = SmallBudget with { RequireTermination = true } },
            new("loop-bound-from-input-unrolled", "ldxw %r2, [%r1+0]\nmov %r0, 0\nmov %r3, 0\nloop:\nadd %r3, 1\njlt %r3, %r2, loop\nexit", VerifierTooComplex, 4) { Options = SmallBudget with { LoopUnrollLimit = int.MaxValue } },
            new("loop-counter-goes-the-wrong-way-unrolled", "mov %r0, 0\nmov %r1, 10\nloop:\nadd %r1, 1\njne %r1, 0, loop\nexit", VerifierTooComplex, 2) { Options = SmallBudget with { LoopUnrollLimit = int.MaxValue } },
            new("loop-without-a-way-out", "mov %r0, 0\nloop:\nadd %r0, 1\nja loop\nexit", VerifierInfiniteLoop, 1),

            // References.
            new("ring-buffer-record-never-released", Reserve + "\njeq %r0, 0, out\nmov %r0, 0\nout:\nmov %r0, 0\nexit", VerifierUnreleasedReference, 8),
            new("ring-buffer-record-released-on-one-path", """
                mov %r6, %r1
                ldmap %r1, 2
                mov %r2, 8
                mov %r3, 0
                call 131
                jeq %r0, 0, out
                ldxb %r2, [%r6+0]
                jeq %r2, 0, out
                mov %r1, %r0
                mov %r2, 0
                call 132
                out:
                mov %r0, 0
                exit
                """, VerifierUnreleasedReference, 13),
            new("tail-call-holding-a-record", """
                mov %r6, %r1
                ldmap %r1, 2
                mov %r2, 8
                mov %r3, 0
                call 131
                jeq %r0, 0, out
                mov %r7, %r0
                mov %r1, %r6
                ldmap %r2, 3
                mov %r3, 0
                call 12
                mov %r1, %r7
                mov %r2, 0
                call 133
                out:
                mov %r0, 0
                exit
                """, VerifierTailCallWithReference, 12),
            new("ring-buffer-record-submitted-twice", Reserve + "\njeq %r0, 0, out\nmov %r7, %r0\nmov %r1, %r0\nmov %r2, 0\ncall 132\nmov %r1, %r7\nmov %r2, 0\ncall 132\n" + Out, VerifierReleasedReference, 12),
            new("ring-buffer-record-used-after-submit", Reserve + "\njeq %r0, 0, out\nmov %r7, %r0\nmov %r1, %r0\nmov %r2, 0\ncall 132\nstdw [%r7+0], 1\n" + Out, VerifierReleasedReference, 10),

            new("callback-submits-the-callers-record", """
                ldmap %r1, 2
                mov %r2, 8
                mov %r3, 0
                call 131
                jeq %r0, 0, out
                stxdw [%r10-8], %r0
                mov %r1, 4
                ldfunc %r2, cb
                mov %r3, %r10
                add %r3, -8
                mov %r4, 0
                call 181
                mov %r0, 0
                exit
                out:
                mov %r0, 0
                exit
                cb:
                ldxdw %r1, [%r2+0]
                mov %r2, 0
                call 132
                mov %r0, 0
                exit
                """, VerifierCallbackReleasesOuterReference, 20),
            new("callback-returns-holding-its-record", """
                mov %r1, 4
                ldfunc %r2, cb
                mov %r3, 0
                mov %r4, 0
                call 181
                mov %r0, 0
                exit
                cb:
                ldmap %r1, 2
                mov %r2, 8
                mov %r3, 0
                call 131
                jeq %r0, 0, done
                mov %r0, 0
                exit
                done:
                mov %r0, 0
                exit
                """, VerifierUnreleasedReference, 15),

            // Nested callback loops.
            new("nested-loops-of-the-maximum-count", """
                mov %r1, 0x800000
                ldfunc %r2, outer
                mov %r3, 0
                mov %r4, 0
                call 181
                mov %r0, 0
                exit
                outer:
                mov %r1, 0x800000
                ldfunc %r2, inner
                mov %r3, 0
                mov %r4, 0
                call 181
                mov %r0, 0
                exit
                inner:
                mov %r0, 0
                exit
                """, VerifierNestedCallbacksTooLong, 13),
            new("nested-loop-count-from-input", """
                mov %r1, 1000
                ldfunc %r2, outer
                mov %r3, 0
                mov %r4, 0
                call 181
                mov %r0, 0
                exit
                outer:
                mov %r1, %r1
                lsh %r1, 20
                ldfunc %r2, inner
                mov %r3, 0
                mov %r4, 0
                call 181
                mov %r0, 0
                exit
                inner:
                mov %r0, 0
                exit
                """, VerifierNestedCallbacksTooLong, 14),

            // Helper arguments.
            new("unknown-helper", "call 9999\nexit", VerifierUnknownHelper, 0),
            new("helper-missing-from-host-table", Lookup + "\nmov %r0, 0\nexit", VerifierUnknownHelper, 5) { Options = new VerifierOptions { ContextSize = 64, Helpers = ConformanceHelpers.Create() } },
            new("scalar-as-map", "stw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nmov %r1, 0\ncall 1\nexit", VerifierInvalidHelperArgument, 4),
            new("key-larger-than-stack-left", "stw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nldmap %r1, 1\ncall 1\nmov %r0, 0\nexit", VerifierInvalidHelperSize, 5),
            new("probe-read-size-unbounded", "ldxdw %r2, [%r1+0]\nmov %r3, %r1\nmov %r1, %r10\nadd %r1, -16\ncall 4\nexit", VerifierInvalidHelperSize, 4),
            new("probe-read-size-larger-than-buffer", "mov %r3, %r1\nmov %r1, %r10\nadd %r1, -16\nmov %r2, 32\ncall 4\nexit", VerifierInvalidHelperSize, 4),
            new("comm-size-zero", "mov %r1, %r10\nadd %r1, -16\nmov %r2, 0\ncall 16\nexit", VerifierInvalidHelperSize, 3),
            new("tail-call-through-array", "ldmap %r2, 0\nmov %r3, 0\ncall 12\nmov %r0, 0\nexit", VerifierMapTypeMismatch, 3),
            new("reserve-from-array", "ldmap %r1, 0\nmov %r2, 8\nmov %r3, 0\ncall 131\nmov %r0, 0\nexit", VerifierMapTypeMismatch, 4),
            new("reserve-variable-size", "ldxb %r2, [%r1+0]\nldmap %r1, 2\nmov %r3, 0\ncall 131\nmov %r0, 0\nexit", VerifierInvalidHelperSize, 4),
            new("lookup-in-ring-buffer", "stw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nldmap %r1, 2\ncall 1\nmov %r0, 0\nexit", VerifierMapTypeMismatch, 5),
            new("adjust-head-without-context", "mov %r1, %r10\nmov %r2, 0\ncall 44\nexit", VerifierInvalidHelperArgument, 2) { Type = xdp },
            new("strncmp-with-stack-string", "stdw [%r10-8], 0\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 8\nmov %r3, %r10\nadd %r3, -8\ncall 182\nexit", VerifierInvalidHelperArgument, 6),
            new("pointer-as-scalar-argument", "mov %r1, %r10\nmov %r2, 0\ncall 23\nexit", VerifierInvalidHelperArgument, 2),
            new("loop-callback-not-a-function", "mov %r1, 10\nmov %r2, 0\nmov %r3, 0\nmov %r4, 0\ncall 181\nexit", VerifierInvalidHelperArgument, 4),
            new("callback-returns-five", "mov %r1, 4\nldfunc %r2, cb\nmov %r3, 0\nmov %r4, 0\ncall 181\nmov %r0, 0\nexit\ncb:\nmov %r0, 5\nexit", VerifierInvalidCallback, 9),
            new("push-to-array", "stdw [%r10-8], 0\nmov %r2, %r10\nadd %r2, -8\nldmap %r1, 0\nmov %r3, 0\ncall 87\nexit", VerifierMapTypeMismatch, 6),

            // Spin locks.
            new("exit-holding-spin-lock", CheckedLockLookup + "\nmov %r1, %r0\ncall 93\nmov %r0, 0\nexit\n" + Out, VerifierSpinLockMisuse, 11),
            new("spin-lock-taken-twice", CheckedLockLookup + "\nmov %r7, %r0\nmov %r1, %r0\ncall 93\nmov %r1, %r7\ncall 93\nmov %r0, 0\nexit\n" + Out, VerifierSpinLockMisuse, 12),
            new("helper-call-holding-spin-lock", CheckedLockLookup + "\nmov %r7, %r0\nmov %r1, %r0\ncall 93\ncall 5\nmov %r1, %r7\ncall 94\nmov %r0, 0\nexit\n" + Out, VerifierSpinLockMisuse, 11),
            new("spin-unlock-without-lock", CheckedLockLookup + "\nmov %r1, %r0\ncall 94\nmov %r0, 0\nexit\n" + Out, VerifierSpinLockMisuse, 9),
            new("spin-lock-on-a-map-without-a-btf-lock", CheckedLookup + "\nmov %r7, %r0\nmov %r1, %r0\ncall 93\nmov %r1, %r7\ncall 94\nmov %r0, 0\nexit\n" + Out, VerifierSpinLockMisuse, 10),
            new("spin-lock-beside-the-lock-field", CheckedLockLookup + "\nmov %r7, %r0\nmov %r1, %r0\nadd %r1, 8\ncall 93\nmov %r1, %r7\nadd %r1, 8\ncall 94\nmov %r0, 0\nexit\n" + Out, VerifierSpinLockMisuse, 11),
            new("store-to-the-lock-word", CheckedLockLookup + "\nstw [%r0+0], 1\nmov %r0, 0\nexit\n" + Out, VerifierSpinLockMisuse, 8),
            new("store-overlapping-the-lock-word", CheckedLockLookup + "\nstdw [%r0+0], 0\nmov %r0, 0\nexit\n" + Out, VerifierSpinLockMisuse, 8),
            new("store-to-the-lock-word-while-held", CheckedLockLookup + "\nmov %r7, %r0\nmov %r1, %r0\ncall 93\nstw [%r7+0], 0\nmov %r1, %r7\ncall 94\nmov %r0, 0\nexit\n" + Out, VerifierSpinLockMisuse, 11),
            new("atomic-on-the-lock-word", CheckedLockLookup + "\nmov %r2, 1\nlock add [%r0+0], %r2\nmov %r0, 0\nexit\n" + Out, VerifierSpinLockMisuse, 9),
            new("helper-writes-the-lock-word", CheckedLockLookup + "\nmov %r1, %r0\nmov %r2, 8\nmov %r3, 0\ncall 4\nmov %r0, 0\nexit\n" + Out, VerifierSpinLockMisuse, 11),
            new("unlock-another-element", """
                mov %r6, %r1
                stw [%r10-4], 0
                stw [%r10-8], 1
                mov %r2, %r10
                add %r2, -4
                ldmap %r1, 6
                call 1
                jeq %r0, 0, out
                mov %r7, %r0
                mov %r2, %r10
                add %r2, -8
                ldmap %r1, 6
                call 1
                jeq %r0, 0, out
                mov %r8, %r0
                mov %r1, %r7
                call 93
                mov %r1, %r8
                call 94
                out:
                mov %r0, 0
                exit
                """, VerifierSpinLockMisuse, 20),
            new("function-returns-holding-the-lock", CheckedLockLookup + "\nmov %r7, %r0\nmov %r1, %r0\ncall local take\nmov %r1, %r7\ncall 94\nmov %r0, 0\nexit\n" + Out + "\ntake:\ncall 93\nmov %r0, 0\nexit", VerifierSpinLockMisuse, 19),
            new("loop-callback-takes-the-lock", CheckedLockLookup + """

                stxdw [%r10-16], %r0
                mov %r1, 2
                ldfunc %r2, cb
                mov %r3, %r10
                add %r3, -16
                mov %r4, 0
                call 181
                ldxdw %r1, [%r10-16]
                call 94
                mov %r0, 0
                exit
                """ + "\n" + Out + """

                cb:
                ldxdw %r1, [%r2+0]
                call 93
                mov %r0, 0
                exit
                """, VerifierSpinLockMisuse, 25),
            new("spin-lock-in-read-only-data", "ldmapval %r1, 4, 0\ncall 93\nmov %r0, 0\nexit", VerifierReadOnlyWrite, 2),

            // Calls and stack.
            new("recursion", "call local f\nexit\nf:\ncall local f\nexit", VerifierRecursiveCall, 2),
            new("call-depth-nine", CallChain(8), VerifierCallDepthExceeded, 14),
            new("combined-stack-too-deep", "stdw [%r10-400], 0\ncall local f\nexit\nf:\nstdw [%r10-200], 0\nmov %r0, 0\nexit", VerifierStackDepthExceeded, 1),
            new("jump-into-another-function", "mov %r0, 0\nja inside\ncall local f\nexit\nf:\nmov %r0, 1\ninside:\nexit", VerifierJumpOutOfFunction, 1),
            new("function-falls-into-next", "call local f\nmov %r0, 0\nf:\nmov %r0, 1\nexit", VerifierJumpOutOfFunction, 1),
            new("callee-stack-pointer-returned", "call local f\nmov %r0, 0\nexit\nf:\nmov %r0, %r10\nexit", VerifierDanglingStackPointer, 4),
            new("callee-stack-pointer-kept-by-caller", "mov %r1, %r10\nadd %r1, -8\ncall local f\nmov %r0, 0\nexit\nf:\nmov %r2, %r10\nstxdw [%r1+0], %r2\nmov %r0, 0\nexit", VerifierDanglingStackPointer, 8),

            // Pruning must count stores through pointers into a caller's stack.
            new("callee-stores-unbounded-into-caller-slot", """
                mov %r6, %r1
                stdw [%r10-16], 0
                mov %r1, %r10
                add %r1, -8
                ldxb %r2, [%r6+0]
                call local f
                ldxdw %r1, [%r10-8]
                mov %r2, %r10
                add %r2, -16
                add %r2, %r1
                ldxb %r0, [%r2+0]
                exit
                f:
                mov %r3, %r2
                lsh %r3, 40
                jne %r2, 0, store
                mov %r3, 7
                store:
                stxdw [%r1+0], %r3
                mov %r0, 0
                exit
                """, VerifierUnboundedPointerArithmetic, 9),
            new("callback-stores-unbounded-through-context", """
                stdw [%r10-16], 0
                stdw [%r10-8], 0
                mov %r1, 2
                ldfunc %r2, cb
                mov %r3, %r10
                add %r3, -8
                mov %r4, 0
                call 181
                ldxdw %r1, [%r10-8]
                mov %r2, %r10
                add %r2, -16
                add %r2, %r1
                ldxb %r0, [%r2+0]
                exit
                cb:
                mov %r3, %r1
                lsh %r3, 40
                jne %r1, 0, store
                mov %r3, 7
                store:
                stxdw [%r2+0], %r3
                mov %r0, 0
                exit
                """, VerifierUnboundedPointerArithmetic, 12),

            // Maps and spills.
            new("map-index-out-of-range", "ldmap %r1, 9\nmov %r0, 0\nexit", VerifierInvalidMapReference, 0),
            new("map-value-offset-out-of-range", "ldmapval %r1, 0, 48\nmov %r0, 0\nexit", VerifierInvalidMapReference, 0),
            new("direct-value-of-a-hash-map", "ldmapval %r1, 1, 0\nldxdw %r0, [%r1+0]\nexit", VerifierInvalidMapReference, 0),
            new("direct-value-of-a-ring-buffer", "ldmapval %r1, 2, 0\nmov %r0, 0\nexit", VerifierInvalidMapReference, 0),
            new("pointer-spilled-in-four-bytes", "stxw [%r10-8], %r1\nmov %r0, 0\nexit", VerifierInvalidPointerSpill, 0),
            new("pointer-spilled-misaligned", "stxdw [%r10-12], %r10\nmov %r0, 0\nexit", VerifierInvalidPointerSpill, 0),
            new("half-a-spilled-pointer-read", "stxdw [%r10-8], %r1\nldxw %r0, [%r10-8]\nexit", VerifierInvalidPointerSpill, 1),
            new("atomic-on-context", "mov %r2, 1\nlock add [%r1+0], %r2\nmov %r0, 0\nexit", VerifierInvalidAtomic, 1),
            new("kernel-function-call", "call runtime 7\nmov %r0, 0\nexit", KernelFunctionCallNotSupported, 0),
        };
        return list;
    }

    private static string CallChain(int functions)
    {
        var text = new System.Text.StringBuilder("call local f1\nexit\n");
        for (var i = 1; i <= functions; i++)
        {
            text.Append('f').Append(i).Append(":\n");
            text.Append(i < functions ? $"call local f{i + 1}\nexit\n" : "mov %r0, 0\nexit\n");
        }
        return text.ToString();
    }
}
