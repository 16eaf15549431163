namespace Bpftime.Tests;

/// <summary>
/// Names and the C# identifiers the build must make of them, the same for the accessor class (named
/// by the MSBuild task) and its members (named by the tool), so both test projects check these rows.
/// </summary>
internal static class PascalCaseCases
{
    public static TheoryData<string, string> Rows { get; } = new()
    {
        { "filter", "Filter" },
        { "net.filter", "NetFilter" },
        { "my-probe_v2", "MyProbeV2" },
        { "packets_seen", "PacketsSeen" },
        { "_private", "Private" },
        { "2fast", "_2fast" },
        { "4_k", "_4K" },
        { ".bss", "Bss" },
        { ".rodata.str1.1", "RodataStr11" },
        { "class", "Class" },
        { "int", "Int" },
        { "a-b-c", "ABC" },
        { "---", "_" },
    };
}
