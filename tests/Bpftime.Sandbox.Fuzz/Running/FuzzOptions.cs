using System.Globalization;

namespace Bpftime.Sandbox.Fuzz.Running;

/// <summary>
/// The child's command line: <c>--engine NAME --mode checked|verified --seed N --start I --count N [--plant write|leak]</c>.
/// Program i of the batch is generated from seed + i. <c>--code FILE</c> runs instead the program in FILE (one
/// instruction a line, as 16 hex digits; see <see cref="ProgramMinimizer"/>) with the context of the seed's program.
/// </summary>
internal sealed record FuzzOptions(string Engine, FuzzMode Mode, int Seed, int Start, int Count, string? Plant)
{
    public string? CodeFile { get; init; }

    public static FuzzOptions Parse(string[] args)
    {
        string engine = "interpreter";
        var mode = FuzzMode.Checked;
        int seed = 1, start = 0, count = 100;
        string? plant = null;
        string? code = null;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var value = args[i + 1];
            switch (args[i])
            {
                case "--engine":
                    engine = value;
                    break;
                case "--mode":
                    mode = Enum.Parse<FuzzMode>(value, ignoreCase: true);
                    break;
                case "--seed":
                    seed = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "--start":
                    start = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "--count":
                    count = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "--plant":
                    plant = value;
                    break;
                case "--code":
                    code = value;
                    break;
                default:
                    throw new ArgumentException($"unknown option '{args[i]}'");
            }
        }
        return new FuzzOptions(engine, mode, seed, start, count, plant) { CodeFile = code };
    }

    public int SeedOf(int index) => unchecked(Seed + index);
}
