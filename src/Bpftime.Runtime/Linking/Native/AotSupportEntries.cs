namespace Bpftime.Linking.Native;

/// <summary>Block offsets of the support routines once emitted.</summary>
internal sealed record AotSupportEntries(
    int Run,
    int Dispatcher,
    int ReturnZero,
    IReadOnlyList<int> CheckedHelpers,
    IReadOnlyList<int> Stubs,
    IReadOnlyDictionary<string, int> Builtins);
