using System.Globalization;

namespace Bpftime.Sandbox.Fuzz.Tests;

/// <summary>
/// How much to fuzz. By default a share of the CI budget (about 90 s for every engine and mode on two
/// cores); <c>BPFTIME_ESCAPE_FUZZ_PROGRAMS</c> sets the programs per engine and mode for longer runs and
/// <c>BPFTIME_ESCAPE_FUZZ_SEED</c> the first seed (program i is generated from seed + i), and
/// <c>BPFTIME_ESCAPE_FUZZ_KEEP_GOING=1</c> goes on past hangs to collect every failure of a long run.
/// </summary>
internal static class FuzzSettings
{
    public const string ProgramsVariable = "BPFTIME_ESCAPE_FUZZ_PROGRAMS";
    public const string SeedVariable = "BPFTIME_ESCAPE_FUZZ_SEED";
    public const string KeepGoingVariable = "BPFTIME_ESCAPE_FUZZ_KEEP_GOING";

    public static bool KeepGoing => Environment.GetEnvironmentVariable(KeepGoingVariable) == "1";

    public static int Seed => Read(SeedVariable) ?? 1;

    /// <summary>Programs for one engine in one mode: the LLVM engines compile each program, so they get fewer.</summary>
    public static int ProgramsFor(string engine, string mode) => Read(ProgramsVariable) ?? (engine, mode) switch
    {
        ("llvm-jit" or "aot", "checked") => 150,
        ("llvm-jit" or "aot", _) => 300,
        _ => 400,
    };

    /// <summary>The wall-clock limit of a batch: generous for the CI share, growing with long runs.</summary>
    public static TimeSpan LimitFor(int programs) => TimeSpan.FromSeconds(60 + programs * 0.2);

    private static int? Read(string variable) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : null;
}
