using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Maps;
using Bpftime.Tests.Maps;
using static Bpftime.Tests.Engines.X64.Bpf;

namespace Bpftime.Tests.Sandbox;

/// <summary>
/// Checked programs cannot make a thread spin for ever on bpf_spin_lock: a lock word they overwrote,
/// a second lock, an unlock of a lock they do not hold, and a lock kept at exit all end cleanly.
/// </summary>
public sealed unsafe class SpinLockTests
{
    // r6 = &values[0] (the lock word is the value's first 4 bytes).
    private static Instruction[] LockWord => LdImm64(6, 0, src: 2);

    private static Instruction[] Lock => Program(Mov64Reg(1, 6), Call(HelperIds.SpinLock));

    private static Instruction[] Unlock => Program(Mov64Reg(1, 6), Call(HelperIds.SpinUnlock));

    private static (ulong Result, Exception? Error)[] Run(string engine, Instruction[] code, ArrayMap values, int times = 1)
    {
        using var program = TestEngines.Load(engine, code, [values], StandardHelpers.CreateDefault(TraceSink.Discard));
        return SandboxRun.RunRepeatedly(program, times);
    }

    private static void AssertMisuse(Exception? error, string words)
    {
        var fault = Assert.IsType<BpfException>(error);
        Assert.Equal(DiagnosticCodes.SpinLockMisuse, fault.Code);
        Assert.Contains(words, fault.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void ALockWordTheProgramOverwroteFaultsInsteadOfSpinning(string engine)
    {
        using var values = ArrayMap.Create("values", 16, 1);
        var outcome = Run(engine, Program(LockWord, St(MemorySize.Word, 6, 0, 1), Lock, Unlock, Mov64(0, 7), Exit()), values)[0];
        AssertMisuse(outcome.Error, "stayed taken");
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void ASecondLockWhileHoldingOneFaults(string engine)
    {
        using var values = ArrayMap.Create("values", 16, 1);
        var outcome = Run(engine, Program(LockWord, Lock, Lock, Mov64(0, 7), Exit()), values)[0];
        AssertMisuse(outcome.Error, "already holds");
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void UnlockingALockTheProgramDoesNotHoldFaults(string engine)
    {
        using var values = ArrayMap.Create("values", 16, 1);
        var outcome = Run(engine, Program(LockWord, Unlock, Mov64(0, 7), Exit()), values)[0];
        AssertMisuse(outcome.Error, "does not hold");
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void ALockKeptAtExitIsReleasedForTheNextRun(string engine)
    {
        using var values = ArrayMap.Create("values", 16, 1);
        var outcomes = Run(engine, Program(LockWord, Lock, Mov64(0, 7), Exit()), values, times: 3);
        Assert.All(outcomes, o => Assert.Equal((7UL, (Exception?)null), o));
        Assert.Equal(0u, *(uint*)values.Lookup(0));
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void LockThenUnlockStillWorks(string engine)
    {
        using var values = ArrayMap.Create("values", 16, 1);
        var outcomes = Run(engine, Program(LockWord, Lock, St(MemorySize.DoubleWord, 6, 8, 5), Unlock, Mov64(0, 7), Exit()), values, times: 2);
        Assert.All(outcomes, o => Assert.Equal((7UL, (Exception?)null), o));
        Assert.Equal(5L, *(long*)(values.Lookup(0) + 8));
    }
}
