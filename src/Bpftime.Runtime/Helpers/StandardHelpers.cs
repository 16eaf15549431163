namespace Bpftime.Helpers;

/// <summary>
/// The runtime's named helper sets. "default" holds every helper the runtime implements; "xdp" is the
/// same set (the packet helpers act only on XDP contexts); "conformance" is the conformance suite's own
/// table. Each call makes a fresh table, so a host may add its own helpers (ids from 1000) to it.
/// </summary>
public static class StandardHelpers
{
    public const string DefaultName = "default";

    public const string XdpName = "xdp";

    /// <summary>The names <see cref="Create(string)"/> answers to.</summary>
    public static IReadOnlyList<string> Names { get; } = [DefaultName, XdpName, ConformanceHelpers.TableName];

    /// <summary>A fresh table of every helper the runtime implements.</summary>
    public static HelperTable CreateDefault() => new(DefaultName, Common());

    /// <summary>A fresh table for XDP programs.</summary>
    public static HelperTable CreateXdp() => new(XdpName, Common());

    /// <summary>The set named <paramref name="name"/>, or null when there is none of that name.</summary>
    public static HelperTable? Create(string name) => name switch
    {
        DefaultName => CreateDefault(),
        XdpName => CreateXdp(),
        ConformanceHelpers.TableName => ConformanceHelpers.Create(),
        _ => null,
    };

    private static IEnumerable<HelperFunction> Common() => MapHelpers.All;
}
