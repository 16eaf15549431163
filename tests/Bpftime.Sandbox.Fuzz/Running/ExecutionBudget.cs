using System.Reflection;
using Bpftime.Engines;

namespace Bpftime.Sandbox.Fuzz.Running;

/// <summary>
/// Gives the engines an execution budget when the runtime has one, found by name on <see cref="EngineOptions"/>
/// (any property whose name holds "Budget"), so that the fuzzer needs no change once budgets exist: an
/// endless loop then ends in a fault instead of a hang. Without one, endless loops hang and the parent says so.
/// </summary>
internal static class ExecutionBudget
{
    /// <summary>Instructions (or helper calls) for a count-typed budget: far above what a finite generated program runs.</summary>
    public const long Count = 20_000_000;

    public static readonly TimeSpan Time = TimeSpan.FromSeconds(1);

    public static EngineOptions Apply(EngineOptions options, out string? applied)
    {
        applied = null;
        var copy = new EngineOptions { OptimizationLevel = options.OptimizationLevel, TargetCpu = options.TargetCpu };
        foreach (var property in typeof(EngineOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (!property.Name.Contains("Budget", StringComparison.OrdinalIgnoreCase) || !property.CanWrite)
            {
                continue;
            }
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            object? value = type == typeof(TimeSpan) ? Time
                : type == typeof(long) ? Count
                : type == typeof(ulong) ? (ulong)Count
                : type == typeof(int) ? (int)Count
                : type == typeof(uint) ? (uint)Count
                : null;
            if (value is not null)
            {
                property.SetValue(copy, value);
                applied = $"{property.Name}={value}";
            }
        }
        return copy;
    }
}
