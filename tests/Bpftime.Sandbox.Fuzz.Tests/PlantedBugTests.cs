using System.Globalization;
using Bpftime.Sandbox.Fuzz.Generation;
using Bpftime.Sandbox.Fuzz.Sandbox;
using Xunit.Abstractions;

namespace Bpftime.Sandbox.Fuzz.Tests;

/// <summary>
/// The fuzzer finds a hole when there is one: with a planted host helper that writes through its pointer
/// unchecked, or one that hands out a host address, a small batch must report that very bug.
/// </summary>
public sealed class PlantedBugTests(ITestOutputHelper output)
{
    private const int Programs = 60;

    [SkippableFact]
    public void AnUncheckedWriteInAHelperIsReportedAsAChangedCanary()
    {
        SkipUnlessLinuxX64();
        var report = Run(PlantedBug.Write);
        // The planted helper writes the marker the generator passes it; a canary holding it is that write.
        var marker = "0x" + HostileProgramGenerator.PlantedMarker.ToString("x", CultureInfo.InvariantCulture);
        var planted = report.Canaries.Where(c => c.Detail.Contains(marker, StringComparison.Ordinal)).ToList();
        output.WriteLine($"canary changes holding the planted marker: {planted.Count}");
        Assert.NotEmpty(planted);
    }

    [SkippableFact]
    public void AHelperThatReturnsAHostAddressIsReportedAsALeak()
    {
        SkipUnlessLinuxX64();
        var report = Run(PlantedBug.Leak);
        Assert.NotEmpty(report.SecretAddresses);
        var secrets = report.SecretAddresses.Select(a => "=0x" + a.ToString("x", CultureInfo.InvariantCulture) + " ").ToList();
        var planted = report.Leaks.Where(l => secrets.Any(s => l.Detail.Contains(s, StringComparison.Ordinal))).ToList();
        output.WriteLine($"leaks of the planted address: {planted.Count} of {report.Leaks.Count}");
        Assert.NotEmpty(planted);
    }

    private FuzzReport Run(string plant)
    {
        var report = new FuzzBatch
        {
            Engine = "interpreter",
            Mode = "checked",
            Seed = FuzzSettings.Seed,
            Count = Programs,
            Plant = plant,
            Limit = FuzzSettings.LimitFor(Programs),
        }.Run();
        output.WriteLine(report.Counts);
        return report;
    }

    private static void SkipUnlessLinuxX64() =>
        Skip.IfNot(OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64,
            "the fuzzer's guard pages and /proc/self/maps need Linux on x86-64");
}
