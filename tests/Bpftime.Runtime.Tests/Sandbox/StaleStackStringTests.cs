using Bpftime.Engines;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Tests.Maps;
using static Bpftime.Tests.Engines.X64.Bpf;

namespace Bpftime.Tests.Sandbox;

/// <summary>
/// Verified code passes %s a stack buffer without a NUL: the helper reads on upward through slots of
/// the live frames that the program never wrote. Those must read as zeros, not as what the thread's
/// stack held before the run (host pointers, return addresses, another program's data), on every engine.
/// </summary>
public sealed class StaleStackStringTests
{
    private const long Pattern = 0x4141414141414141;

    public static TheoryData<string> Engines => TestEngines.Names;

    /// <summary>Fills its whole frame, and a local callee's, with 0x41 bytes: the stack a later run on this thread reuses.</summary>
    private static Instruction[] DirtyStack()
    {
        var fill = new List<object> { LdImm64(1, Pattern) };
        for (short offset = -8; offset >= -512; offset -= 8)
        {
            fill.Add(Stx(MemorySize.DoubleWord, 10, 1, offset));
        }
        var frame = Program([.. fill]);
        var callee = Program(frame, Exit());
        return Program(frame, CallLocal(2), Mov64(0, 0), Exit(), callee);
    }

    /// <summary>
    /// "abc" without a NUL at r10-8..r10-6, "%s" at r10-16, its argument at r10-24;
    /// snprintf into r10-88 (64 bytes); returns snprintf's length (with the NUL).
    /// </summary>
    private static Instruction[] FormatUnterminated() => Program(
        St(MemorySize.Byte, 10, -8, 'a'),
        St(MemorySize.Byte, 10, -7, 'b'),
        St(MemorySize.Byte, 10, -6, 'c'),
        St(MemorySize.DoubleWord, 10, -16, 0x7325),
        Mov64Reg(1, 10),
        Alu64(AluOperation.Add, 1, -8),
        Stx(MemorySize.DoubleWord, 10, 1, -24),
        Mov64Reg(1, 10),
        Alu64(AluOperation.Add, 1, -88),
        Mov64(2, 64),
        Mov64Reg(3, 10),
        Alu64(AluOperation.Add, 3, -16),
        Mov64Reg(4, 10),
        Alu64(AluOperation.Add, 4, -24),
        Mov64(5, 8),
        Call(HelperIds.Snprintf),
        Exit());

    [Theory]
    [MemberData(nameof(Engines))]
    public void PercentSOfAnUnterminatedStackStringSeesNoStaleBytes(string engine)
    {
        Assert.Equal(4ul, RunAfterDirtyStack(engine, FormatUnterminated()));
    }

    /// <summary>The same from a local callee: the string runs from its frame on into the caller's unwritten bottom.</summary>
    [Theory]
    [MemberData(nameof(Engines))]
    public void PercentSInALocalCalleeSeesNoStaleBytes(string engine)
    {
        var code = Program(CallLocal(1), Exit(), FormatUnterminated());

        Assert.Equal(4ul, RunAfterDirtyStack(engine, code));
    }

    /// <summary>The same in a bpf_loop callback's frame; the callback hands the length back through its context.</summary>
    [Theory]
    [MemberData(nameof(Engines))]
    public void PercentSInACallbackSeesNoStaleBytes(string engine)
    {
        var format = FormatUnterminated();
        var code = Program(
            St(MemorySize.DoubleWord, 10, -8, 0),       // 0: the length, filled in by the callback
            Mov64(1, 1),                                // 1: one iteration
            LdImm64(2, 7, src: 4),                      // 2-3: the callback at 2 + 1 + 7 = 10
            Mov64Reg(3, 10),                            // 4
            Alu64(AluOperation.Add, 3, -8),             // 5
            Mov64(4, 0),                                // 6
            Call(HelperIds.Loop),                       // 7
            Ldx(MemorySize.DoubleWord, 0, 10, -8),      // 8
            Exit(),                                     // 9
            Mov64Reg(6, 2),                             // 10: the callback
            format[..^1],
            Stx(MemorySize.DoubleWord, 6, 0, 0),
            Mov64(0, 1),
            Exit());

        Assert.Equal(4ul, RunAfterDirtyStack(engine, code));
    }

    /// <summary>Runs the dirtying program, then <paramref name="code"/>, both verified, on one worker thread.</summary>
    private static ulong RunAfterDirtyStack(string engine, Instruction[] code)
    {
        using var dirty = SandboxRun.Load(engine, DirtyStack(), verified: true);
        using var victim = SandboxRun.Load(engine, code, verified: true);
        ulong result = 0;
        Exception? error = null;
        var worker = new Thread(() =>
        {
            try
            {
                dirty.Execute(0, 0);
                result = victim.Execute(0, 0);
            }
            catch (Exception e)
            {
                error = e;
            }
        }, 16 * 1024 * 1024)
        { IsBackground = true, Name = "stale stack" };
        worker.Start();
        Assert.True(worker.Join(SandboxRun.WallClockGuard), "the runs did not finish");
        Assert.Null(error);
        return result;
    }
}
