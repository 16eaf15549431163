using Bpftime.Sandbox.Fuzz.Running;
using Xunit.Abstractions;

namespace Bpftime.Sandbox.Fuzz.Tests;

/// <summary>
/// The escape fuzzer: hostile programs on every engine, checked (unverified) and verified (those the verifier
/// accepts), each batch in child processes. Any crash, hang, changed canary, canary bytes in the output or
/// host pointer in r0, a map value or the ring buffer fails the row, with seeds, disassembly and a rerun command.
/// </summary>
public sealed class EscapeFuzzTests(ITestOutputHelper output)
{
    public static TheoryData<string, string> EnginesAndModes
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var engine in FuzzEngines.Names)
            {
                data.Add(engine, "checked");
                data.Add(engine, "verified");
            }
            return data;
        }
    }

    [SkippableTheory]
    [MemberData(nameof(EnginesAndModes))]
    public void HostileProgramsStayInsideTheSandbox(string engine, string mode)
    {
        Skip.IfNot(OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64,
            "the fuzzer's guard pages, /proc/self/maps and the native engines need Linux on x86-64");
        Skip.IfNot(FuzzEngines.Create(engine).IsAvailable(out var reason), $"{engine} is not available here: {reason}");
        var programs = FuzzSettings.ProgramsFor(engine, mode);
        var report = new FuzzBatch
        {
            Engine = engine,
            Mode = mode,
            Seed = FuzzSettings.Seed,
            Count = programs,
            Limit = FuzzSettings.LimitFor(programs),
            KeepGoingAfterHang = FuzzSettings.KeepGoing,
        }.Run();
        output.WriteLine(report.Counts);
        var failures = report.Failures.ToList();
        if (failures.Count > 0)
        {
            output.WriteLine(report.Describe());
        }
        Assert.True(failures.Count == 0, report.Describe(withDisassembly: 1));
        Assert.Equal(programs, report.Programs);
    }
}
