using Bpftime.Engines;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Maps;
using Bpftime.Tests.Maps;

namespace Bpftime.Tests.Sandbox;

/// <summary>Loads hostile programs and runs them on a worker thread, so that a hang fails the test instead of the suite.</summary>
internal static class SandboxRun
{
    /// <summary>Far beyond what any bounded run here needs, even on a loaded machine.</summary>
    public static readonly TimeSpan WallClockGuard = TimeSpan.FromSeconds(120);

    public static IBpfExecutable Load(string engine, Instruction[] code, long? budget = null, bool verified = false, IReadOnlyList<BpfMap>? maps = null)
    {
        var options = budget is { } b ? EngineOptions.Default with { ExecutionBudget = b } : EngineOptions.Default;
        return TestEngines.Get(engine).Load(
            new ProgramImage("hostile", code, StandardHelpers.CreateDefault()) { Maps = maps ?? [], Verified = verified }, options);
    }

    /// <summary>Runs <paramref name="executable"/> once on a worker; the result, or the exception it raised.</summary>
    public static (ulong Result, Exception? Error) Run(IBpfExecutable executable, nint context = 0, ulong length = 0) =>
        RunRepeatedly(executable, 1, context, length)[0];

    /// <summary>
    /// Runs <paramref name="executable"/> <paramref name="times"/> times in a row on one worker thread
    /// (the thread that got control back runs it again), each outcome in order.
    /// </summary>
    public static (ulong Result, Exception? Error)[] RunRepeatedly(IBpfExecutable executable, int times, nint context = 0, ulong length = 0)
    {
        var outcomes = new (ulong, Exception?)[times];
        var worker = new Thread(() =>
        {
            for (var i = 0; i < times; i++)
            {
                try
                {
                    outcomes[i] = (executable.Execute(context, length), null);
                }
                catch (Exception e)
                {
                    outcomes[i] = (0, e);
                }
            }
        }, 16 * 1024 * 1024)
        { IsBackground = true, Name = "sandbox run" };
        worker.Start();
        if (!worker.Join(WallClockGuard))
        {
            Assert.Fail($"the run did not finish within {WallClockGuard.TotalSeconds} s: the program was not stopped");
        }
        return outcomes;
    }
}
