using System.Runtime.InteropServices;
using Bpftime.Diagnostics;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Tests.Maps;
using static Bpftime.Tests.Engines.X64.Bpf;
using static Bpftime.Tests.Sandbox.BudgetPrograms;

namespace Bpftime.Tests.Sandbox;

/// <summary>
/// The edges of checked code's fast paths: one compare per access against a bound computed once per
/// run (an off-by-one or a wrap in that bound lets a byte through), checks that an optimiser could
/// hoist out of a loop (a pointer the loop changes must still be caught at the very access), and a
/// budget counter kept in a register (it must be exact across local calls and across helpers that run
/// callbacks, which spend from the same budget).
/// </summary>
public sealed unsafe class CheckedAccessTests
{
    private const int Guard = 64;
    private const byte Fill = 0xc5;

    public static TheoryData<string, int> EnginesAndSizes
    {
        get
        {
            var data = new TheoryData<string, int>();
            foreach (var engine in TestEngines.All)
            {
                foreach (var size in new[] { 1, 2, 4, 8 })
                {
                    data.Add(engine.Name, size);
                }
            }
            return data;
        }
    }

    private static MemorySize SizeOf(int bytes) => bytes switch
    {
        1 => MemorySize.Byte,
        2 => MemorySize.Half,
        4 => MemorySize.Word,
        _ => MemorySize.DoubleWord,
    };

    /// <summary>A context of <paramref name="length"/> bytes between two guard zones, every byte <see cref="Fill"/>.</summary>
    private sealed class GuardedContext : IDisposable
    {
        private readonly int _length;
        private byte* _block;

        public GuardedContext(int length)
        {
            _length = length;
            _block = (byte*)NativeMemory.Alloc((nuint)(length + 2 * Guard));
            All.Fill(Fill);
        }

        public nint Address => (nint)(_block + Guard);

        public Span<byte> Payload => new(_block + Guard, _length);

        private Span<byte> All => new(_block, _length + 2 * Guard);

        public void AssertGuardsIntact()
        {
            Assert.True(new ReadOnlySpan<byte>(_block, Guard).IndexOfAnyExcept(Fill) < 0, "bytes below the context changed");
            Assert.True(new ReadOnlySpan<byte>(_block + Guard + _length, Guard).IndexOfAnyExcept(Fill) < 0, "bytes past the context changed");
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

    private static void AssertFault(Exception? error, string code, int instruction)
    {
        var fault = Assert.IsType<BpfException>(error);
        Assert.Equal(code, fault.Code);
        Assert.Equal(instruction, fault.Diagnostic.InstructionIndex);
    }

    [Theory]
    [MemberData(nameof(EnginesAndSizes))]
    public void EveryAccessSizeReachesTheLastBytesOfTheContextAndNotOneMore(string engine, int size)
    {
        // An odd length, so that no access size divides it.
        const int Length = 13;
        using var context = new GuardedContext(Length);
        var memorySize = SizeOf(size);
        short last = (short)(Length - size);
        using var inside = SandboxRun.Load(engine, Program(
            St(memorySize, 1, last, 0x5a),
            Ldx(memorySize, 0, 1, last),
            Exit()));
        using var readPast = SandboxRun.Load(engine, Program(Ldx(memorySize, 0, 1, (short)(last + 1)), Exit()));
        using var writePast = SandboxRun.Load(engine, Program(St(memorySize, 1, (short)(last + 1), 0x5a), Mov64(0, 0), Exit()));

        Assert.Equal((0x5aUL, null), SandboxRun.Run(inside, context.Address, Length));
        AssertFault(SandboxRun.Run(readPast, context.Address, Length).Error, DiagnosticCodes.ContextAccessOutOfBounds, 0);
        AssertFault(SandboxRun.Run(writePast, context.Address, Length).Error, DiagnosticCodes.ContextAccessOutOfBounds, 0);
        context.AssertGuardsIntact();
    }

    [Theory]
    [MemberData(nameof(EnginesAndSizes))]
    public void AContextShorterThanTheAccessGivesNoByte(string engine, int size)
    {
        // The bound "length - size" must not wrap into a huge limit when the context is shorter than the access.
        using var context = new GuardedContext(Math.Max(1, size - 1));
        using var program = SandboxRun.Load(engine, Program(St(SizeOf(size), 1, 0, 0x5a), Mov64(0, 0), Exit()));

        var error = SandboxRun.Run(program, context.Address, (ulong)(size - 1)).Error;

        Assert.IsType<BpfException>(error);
        context.AssertGuardsIntact();
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void AddressesThatWrapAroundAreRefused(string engine)
    {
        using var context = new GuardedContext(64);
        // Just below the context: address - start wraps to the largest value.
        using var below = SandboxRun.Load(engine, Program(Ldx(MemorySize.Byte, 0, 1, -1), Exit()));
        // The last 8 bytes of the address space: address + size wraps to 0.
        using var top = SandboxRun.Load(engine, Program(LdImm64(1, -8), Ldx(MemorySize.DoubleWord, 0, 1, 4), Exit()));
        // The context's address minus 2^64 - 1 added back: the same as start - 1, reached by an add.
        using var added = SandboxRun.Load(engine, Program(LdImm64(2, -1), Alu64Reg(AluOperation.Add, 1, 2), St(MemorySize.Word, 1, 0, 7), Mov64(0, 0), Exit()));

        AssertFault(SandboxRun.Run(below, context.Address, 64).Error, DiagnosticCodes.ContextAccessOutOfBounds, 0);
        AssertFault(SandboxRun.Run(top, context.Address, 64).Error, DiagnosticCodes.UnknownMemoryAccess, 2);
        AssertFault(SandboxRun.Run(added, context.Address, 64).Error, DiagnosticCodes.ContextAccessOutOfBounds, 3);
        context.AssertGuardsIntact();
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void APointerCutTo32BitsIsCheckedAsTheAddressItBecame(string engine)
    {
        using var context = new GuardedContext(64);
        // w1 += 0 zero-extends: the upper half of the context's address is gone.
        using var program = SandboxRun.Load(engine, Program(Alu32(AluOperation.Add, 1, 0), St(MemorySize.Byte, 1, 0, 7), Mov64(0, 1), Exit()));

        var (result, error) = SandboxRun.Run(program, context.Address, 64);

        if (((ulong)context.Address >> 32) == 0)
        {
            // The cut changed nothing: the store is the context's first byte.
            Assert.Equal((1UL, null), (result, error));
        }
        else
        {
            Assert.IsType<BpfException>(error);
        }
        context.AssertGuardsIntact();
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void ALoopThatWalksOffTheContextStopsAtTheFirstByteOutside(string engine)
    {
        const int Length = 48;
        using var context = new GuardedContext(Length);
        // for (i = 0; i < 64; i++) ctx[i] = 0xaa: the bound of the loop is not the context's.
        using var program = SandboxRun.Load(engine, Program(
            Mov64(2, 0),                                  // 0
            Mov64Reg(3, 1),                               // 1: p = ctx + i
            Alu64Reg(AluOperation.Add, 3, 2),             // 2
            St(MemorySize.Byte, 3, 0, 0xaa),              // 3
            Alu64(AluOperation.Add, 2, 1),                // 4
            Jmp(JumpOperation.Jlt, 2, 64, -5),            // 5
            Mov64(0, 0),                                  // 6
            Exit()));

        AssertFault(SandboxRun.Run(program, context.Address, Length).Error, DiagnosticCodes.ContextAccessOutOfBounds, 3);

        Assert.True(context.Payload.IndexOfAnyExcept((byte)0xaa) < 0, "the loop stopped before the end of the context");
        context.AssertGuardsIntact();
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void APointerTheLoopReadsFromDataIsCheckedOnEveryIteration(string engine)
    {
        const int Length = 64;
        using var context = new GuardedContext(Length);
        // ctx[0..32) are offsets into ctx[32..64); the loop sums ctx[32 + ctx[i]]. Twenty small offsets
        // pass, then one points 8 bytes past the end: the same access, after many that were fine.
        for (var i = 0; i < 32; i++)
        {
            context.Payload[i] = (byte)(i < 20 ? i : 40);
        }
        using var program = SandboxRun.Load(engine, Program(
            Mov64(0, 0),                                  // 0: sum
            Mov64(2, 0),                                  // 1: i
            Mov64Reg(3, 1),                               // 2
            Alu64Reg(AluOperation.Add, 3, 2),             // 3
            Ldx(MemorySize.Byte, 4, 3, 0),                // 4: offset = ctx[i]
            Mov64Reg(5, 1),                               // 5
            Alu64Reg(AluOperation.Add, 5, 4),             // 6
            Ldx(MemorySize.Byte, 4, 5, 32),               // 7: ctx[32 + offset]
            Alu64Reg(AluOperation.Add, 0, 4),             // 8
            Alu64(AluOperation.Add, 2, 1),                // 9
            Jmp(JumpOperation.Jlt, 2, 32, -9),            // 10
            Exit()));

        AssertFault(SandboxRun.Run(program, context.Address, Length).Error, DiagnosticCodes.ContextAccessOutOfBounds, 7);
        context.AssertGuardsIntact();
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void AFramePointerCopiedIntoALoopIsBoundedByTheFrames(string engine)
    {
        // p = r10 - 64; while (p != r10 + 8) { *(u64 *)p = 1; p += 8; }: the last store is just above the frames.
        using var program = SandboxRun.Load(engine, Program(
            Mov64Reg(3, 10),                              // 0
            Alu64(AluOperation.Sub, 3, 64),               // 1
            Mov64Reg(4, 10),                              // 2
            Alu64(AluOperation.Add, 4, 8),                // 3
            St(MemorySize.DoubleWord, 3, 0, 1),           // 4
            Alu64(AluOperation.Add, 3, 8),                // 5
            JmpReg(JumpOperation.Jne, 3, 4, -3),          // 6
            Mov64(0, 0),                                  // 7
            Exit()));

        AssertFault(SandboxRun.Run(program).Error, DiagnosticCodes.StackAccessOutOfBounds, 4);
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void TheBudgetIsExactAcrossLocalCallsThatLoop(string engine)
    {
        // Ten calls of a function that loops five times: 9 backward jumps of the caller, 10 calls and
        // 10 * 4 backward jumps of the callee, 59 units in all.
        var code = Program(
            Mov64(6, 0),                                  // 0
            CallLocal(4),                                 // 1: -> 6
            Alu64(AluOperation.Add, 6, 1),                // 2
            Jmp(JumpOperation.Jlt, 6, 10, -3),            // 3: -> 1
            Mov64Reg(0, 6),                               // 4
            Exit(),                                       // 5
            Mov64(0, 0),                                  // 6: the callee
            Alu64(AluOperation.Add, 0, 1),                // 7
            Jmp(JumpOperation.Jlt, 0, 5, -2),             // 8: -> 7
            Exit());                                      // 9
        using var enough = SandboxRun.Load(engine, code, budget: 59);
        using var tooLittle = SandboxRun.Load(engine, code, budget: 58);

        Assert.Equal((10UL, null), SandboxRun.Run(enough));
        AssertBudgetFault(SandboxRun.Run(tooLittle).Error);
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void TheBudgetIsExactAcrossHelpersThatRunCallbacks(string engine)
    {
        // Four bpf_loop(3) calls from a loop: 3 backward jumps and 12 callbacks, 15 units. A caller that
        // kept its count in a register across the helper would miss what the callbacks spent.
        var code = Program(
            Mov64(6, 0),                                  // 0
            Mov64(1, 3),                                  // 1
            LdImm64(2, 8, src: 4),                        // 2-3: callback at 11
            Mov64(3, 0),                                  // 4
            Mov64(4, 0),                                  // 5
            Call(HelperIds.Loop),                         // 6
            Alu64(AluOperation.Add, 6, 1),                // 7
            Jmp(JumpOperation.Jlt, 6, 4, -8),             // 8: -> 1
            Mov64Reg(0, 6),                               // 9
            Exit(),                                       // 10
            Mov64(0, 0),                                  // 11: the callback: continue
            Exit());                                      // 12
        using var enough = SandboxRun.Load(engine, code, budget: 15);
        using var tooLittle = SandboxRun.Load(engine, code, budget: 14);

        Assert.Equal((4UL, null), SandboxRun.Run(enough));
        AssertBudgetFault(SandboxRun.Run(tooLittle).Error);
    }

    // Loops whose range checks an optimiser may hoist, fold into the loop's bound or drop as proven:
    // each one goes out of bounds at one precise iteration, and must fault at that access with every
    // earlier iteration's stores done and nothing written outside.

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void ALoopBoundedByTheLengthArgumentPlusOneFaultsOnItsLastIterationOnly(string engine)
    {
        const int Length = 40;
        using var context = new GuardedContext(Length);
        // for (i = 0; i <= r2; i++) ctx[i] = 0xaa: r2 is the context's own length, so the loop's bound
        // and the check's limit are the same value, off by one.
        using var program = SandboxRun.Load(engine, Program(
            Mov64(3, 0),                                  // 0
            Mov64Reg(4, 1),                               // 1
            Alu64Reg(AluOperation.Add, 4, 3),             // 2
            St(MemorySize.Byte, 4, 0, 0xaa),              // 3
            Alu64(AluOperation.Add, 3, 1),                // 4
            JmpReg(JumpOperation.Jle, 3, 2, -5),          // 5: -> 1
            Mov64Reg(0, 3),                               // 6
            Exit()));

        AssertFault(SandboxRun.Run(program, context.Address, Length).Error, DiagnosticCodes.ContextAccessOutOfBounds, 3);

        Assert.True(context.Payload.IndexOfAnyExcept((byte)0xaa) < 0, "an iteration before the last was skipped");
        context.AssertGuardsIntact();
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void WordsCopiedUpToALengthThatIsNotAMultipleOfTheStrideFaultOnTheLastWord(string engine)
    {
        // The bench's memcpy shape with a bound one word too long: n = len / 8 + 1 words from p = ctx,
        // 8 bytes at a time, read and written back. The last word starts inside the context and ends past it.
        const int Length = 44;
        using var context = new GuardedContext(Length);
        using var program = SandboxRun.Load(engine, Program(
            Mov64Reg(5, 2),                               // 0
            Alu64(AluOperation.Rsh, 5, 3),                // 1: n = len / 8 + 1 (6: the sixth starts at 40)
            Alu64(AluOperation.Add, 5, 1),                // 2
            Mov64(3, 0),                                  // 3: i
            Ldx(MemorySize.DoubleWord, 4, 1, 0),          // 4: w = *p
            Alu64(AluOperation.Xor, 4, -1),               // 5
            Stx(MemorySize.DoubleWord, 1, 4, 0),          // 6: *p = ~w
            Alu64(AluOperation.Add, 1, 8),                // 7
            Alu64(AluOperation.Add, 3, 1),                // 8
            JmpReg(JumpOperation.Jlt, 3, 5, -6),          // 9: -> 4
            Mov64Reg(0, 3),                               // 10
            Exit()));

        AssertFault(SandboxRun.Run(program, context.Address, Length).Error, DiagnosticCodes.ContextAccessOutOfBounds, 4);

        Assert.True(context.Payload[..40].IndexOfAnyExcept(unchecked((byte)~Fill)) < 0, "a word before the last was not copied");
        Assert.True(context.Payload[40..].IndexOfAnyExcept(Fill) < 0, "the last, partial word was touched");
        context.AssertGuardsIntact();
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void ALoopWhoseBoundGrowsInsideTheLoopIsCheckedAgainstTheContext(string engine)
    {
        const int Length = 48;
        using var context = new GuardedContext(Length);
        // n = 16; for (i = 0; i < n; i++) { ctx[i] = 0xaa; if (i == 10) n = 100; }: the bound seen before
        // the loop keeps every access inside; the one it ends with does not.
        using var program = SandboxRun.Load(engine, Program(
            Mov64(5, 16),                                 // 0: n
            Mov64(3, 0),                                  // 1: i
            Mov64Reg(4, 1),                               // 2
            Alu64Reg(AluOperation.Add, 4, 3),             // 3
            St(MemorySize.Byte, 4, 0, 0xaa),              // 4
            Jmp(JumpOperation.Jne, 3, 10, 1),             // 5
            Mov64(5, 100),                                // 6
            Alu64(AluOperation.Add, 3, 1),                // 7
            JmpReg(JumpOperation.Jlt, 3, 5, -7),          // 8: -> 2
            Mov64Reg(0, 3),                               // 9
            Exit()));

        AssertFault(SandboxRun.Run(program, context.Address, Length).Error, DiagnosticCodes.ContextAccessOutOfBounds, 4);

        Assert.True(context.Payload.IndexOfAnyExcept((byte)0xaa) < 0, "the loop stopped before the end of the context");
        context.AssertGuardsIntact();
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void AnIndexThatCountsDownThroughZeroFaultsWhenItWraps(string engine)
    {
        const int Length = 32;
        using var context = new GuardedContext(Length);
        // for (i = 8; i != -8; i--) ctx[i] = 0xaa: unsigned, i wraps from 0 to 2^64 - 1, one byte below ctx.
        using var program = SandboxRun.Load(engine, Program(
            Mov64(3, 8),                                  // 0
            Mov64Reg(4, 1),                               // 1
            Alu64Reg(AluOperation.Add, 4, 3),             // 2
            St(MemorySize.Byte, 4, 0, 0xaa),              // 3
            Alu64(AluOperation.Sub, 3, 1),                // 4
            Jmp(JumpOperation.Jne, 3, -8, -5),            // 5: -> 1
            Mov64(0, 0),                                  // 6
            Exit()));

        AssertFault(SandboxRun.Run(program, context.Address, Length).Error, DiagnosticCodes.ContextAccessOutOfBounds, 3);

        Assert.True(context.Payload[..9].IndexOfAnyExcept((byte)0xaa) < 0, "an iteration before the wrap was skipped");
        Assert.True(context.Payload[9..].IndexOfAnyExcept(Fill) < 0);
        context.AssertGuardsIntact();
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void A32BitIndexThatWrapsIsCheckedAsTheAddressItMakes(string engine)
    {
        const int Length = 64;
        using var context = new GuardedContext(Length);
        // w3 counts 0xfffffffc, ..., 0xffffffff, 0, 1, ...: zero-extended, the first four offsets are 4 GiB
        // past the context; were the index taken as signed they would be just below it.
        using var program = SandboxRun.Load(engine, Program(
            Mov64(3, 0),                                  // 0
            Alu32(AluOperation.Sub, 3, 4),                // 1: w3 = -4, zero-extended
            Mov64Reg(4, 1),                               // 2
            Alu64Reg(AluOperation.Add, 4, 3),             // 3
            St(MemorySize.Byte, 4, 0, 0xaa),              // 4
            Alu32(AluOperation.Add, 3, 1),                // 5
            Jmp32(JumpOperation.Jne, 3, 8, -5),           // 6: -> 2
            Mov64(0, 0),                                  // 7
            Exit()));

        var error = SandboxRun.Run(program, context.Address, Length).Error;

        var fault = Assert.IsType<BpfException>(error);
        Assert.Equal(4, fault.Diagnostic.InstructionIndex);
        Assert.True(context.Payload.IndexOfAnyExcept(Fill) < 0, "a store landed before the fault");
        context.AssertGuardsIntact();
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void APointerThatStridesOutOfTheContextMidLoopFaultsAtThatStride(string engine)
    {
        const int Length = 64;
        using var context = new GuardedContext(Length);
        // p = ctx; for (i = 0; i < 4; i++) { *(u64 *)p = -1; p += 40; }: the first two stores fit, the third
        // lands 16 bytes past the end (inside the guard zone a sloppy check would allow).
        using var program = SandboxRun.Load(engine, Program(
            Mov64(3, 0),                                  // 0
            Mov64Reg(4, 1),                               // 1
            St(MemorySize.DoubleWord, 4, 0, -1),          // 2
            Alu64(AluOperation.Add, 4, 40),               // 3
            Alu64(AluOperation.Add, 3, 1),                // 4
            Jmp(JumpOperation.Jlt, 3, 4, -4),             // 5: -> 2
            Mov64(0, 0),                                  // 6
            Exit()));

        AssertFault(SandboxRun.Run(program, context.Address, Length).Error, DiagnosticCodes.ContextAccessOutOfBounds, 2);

        Assert.True(context.Payload[..8].IndexOfAnyExcept((byte)0xff) < 0);
        Assert.True(context.Payload[40..48].IndexOfAnyExcept((byte)0xff) < 0);
        context.AssertGuardsIntact();
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void ACalleeGivenTheContextIsBoundedByItAsTheEntryIs(string engine)
    {
        const int Length = 24;
        using var context = new GuardedContext(Length);
        // The entry passes r1 and r2 on; the callee reads ctx[r2 - 1] (fine) then ctx[r2] (one past).
        using var program = SandboxRun.Load(engine, Program(
            CallLocal(1),                                 // 0: -> 2
            Exit(),                                       // 1
            Mov64Reg(3, 1),                               // 2: the callee
            Alu64Reg(AluOperation.Add, 3, 2),             // 3
            Ldx(MemorySize.Byte, 0, 3, -1),               // 4
            Ldx(MemorySize.Byte, 0, 3, 0),                // 5
            Exit()));

        AssertFault(SandboxRun.Run(program, context.Address, Length).Error, DiagnosticCodes.ContextAccessOutOfBounds, 5);
        context.AssertGuardsIntact();
    }
}
