namespace Bpftime.Helpers;

/// <summary>
/// The helpers the public conformance suite's programs call. Its reference runtimes define helper 5
/// as "unwind": it returns its first argument, and a result of 0 ends the program at once with r0 = 0.
/// </summary>
public static class ConformanceHelpers
{
    public const string TableName = "conformance";

    public const int UnwindId = 5;

    public static HelperFunction Unwind { get; } = new(
        UnwindId,
        "unwind",
        HelperPrototype.Of(HelperReturnKind.Integer, HelperArgumentKind.Scalar),
        static (r1, _, _, _, _) => r1,
        stopsProgramOnZero: true);

    /// <summary>A fresh table holding the suite's helpers (callers may add their own to it).</summary>
    public static HelperTable Create() => new(TableName, [Unwind]);
}
