using System.Diagnostics;

namespace Bpftime.Benchmarks;

/// <summary>Median timings: warm up first (so tiered compilation has optimised the hot paths), then time each repetition alone.</summary>
internal static class Timing
{
    /// <summary>
    /// Whether each timing is the fastest of its calls rather than their median (--minimum): on a
    /// loaded machine the fastest call is the one least disturbed by other processes.
    /// </summary>
    public static bool UseMinimum { get; set; }

    /// <summary>What a timing is, for table headings.</summary>
    public static string Statistic => UseMinimum ? "fastest" : "median";

    /// <summary>
    /// The median (or with <see cref="UseMinimum"/> the fastest) of up to <paramref name="repetitions"/> timed calls of <paramref name="action"/>
    /// (at least <paramref name="minimum"/>, fewer than the maximum once <paramref name="budget"/> is
    /// spent); <paramref name="reset"/> runs before each call, outside the timed part.
    /// </summary>
    public static TimeSpan Median(Action action, int repetitions, Action? reset = null, int minimum = 5, TimeSpan? budget = null, int warmUpMilliseconds = 200)
    {
        var warmUp = Stopwatch.StartNew();
        do
        {
            reset?.Invoke();
            action();
        }
        while (warmUp.ElapsedMilliseconds < warmUpMilliseconds);

        var limit = budget ?? TimeSpan.FromSeconds(2);
        var samples = new List<TimeSpan>(repetitions);
        var total = Stopwatch.StartNew();
        var stopwatch = new Stopwatch();
        while (samples.Count < repetitions && (samples.Count < minimum || total.Elapsed < limit))
        {
            reset?.Invoke();
            stopwatch.Restart();
            action();
            stopwatch.Stop();
            samples.Add(stopwatch.Elapsed);
        }
        return UseMinimum ? samples.Min() : Median(samples);
    }

    public static TimeSpan Median(IEnumerable<TimeSpan> samples)
    {
        var sorted = samples.Order().ToList();
        if (sorted.Count == 0)
        {
            throw new ArgumentException("no samples", nameof(samples));
        }
        var middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
