using Bpftime.Engines;
using Bpftime.Engines.Interpreter;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Maps;
using Bpftime.Objects;

namespace Bpftime.Tests.Objects;

/// <summary>
/// Runs linked programs from the committed objects on the interpreter and checks the r0 that each
/// C source states at its top, which shows the linking (subprograms, call offsets, global data
/// indexes) produces programs that compute what the C says.
/// </summary>
public class ObjectRunTests
{
    /// <summary>bpf_map_lookup_elem (helper 1) for the array maps these tests create.</summary>
    private static readonly HelperFunction MapLookup = new(1, "map_lookup_elem",
        HelperPrototype.Unchecked,
        static (map, key, _, _, _) =>
        {
            var target = BpfMap.FromHandle((nint)map)!;
            unsafe
            {
                return (ulong)target.Lookup(new ReadOnlySpan<byte>((void*)(nint)key, (int)target.Spec.KeySize));
            }
        });

    private static ulong[] Run(string objectName, string programName, byte[] input, int times = 1)
    {
        var obj = TestObjects.Read(objectName);
        var program = obj.FindProgram(programName)!;
        // Only array maps exist so far; the hash maps these programs never touch keep their index with a placeholder array.
        var maps = obj.Maps.Select(spec => (BpfMap)(spec.Type == MapType.Array ? new ArrayMap(spec) : ArrayMap.Create(spec.Name, spec.ValueSize, 1))).ToList();
        try
        {
            var image = new ProgramImage(program.Name, program.ToArray(), new HelperTable("lookup", [MapLookup])) { Maps = maps };
            using var executable = InterpreterEngine.Instance.Load(image, EngineOptions.Default);
            return Enumerable.Range(0, times).Select(_ => executable.Run(input)).ToArray();
        }
        finally
        {
            maps.ForEach(m => m.Dispose());
        }
    }

    [Fact]
    public void LoopSumAddsTheBytes() =>
        Assert.Equal([136UL], Run("loop_sum", "sum_bytes", Enumerable.Range(1, 16).Select(i => (byte)i).ToArray()));

    [Fact]
    public void GlobalDataIsReachedThroughTheRegionMaps() =>
        Assert.Equal([1028UL, 1038UL], Run("global_data", "read_globals", [2], times: 2));

    [Fact]
    public void SubprogramsAreCalledFromTwoPrograms()
    {
        var five = BitConverter.GetBytes(5UL);
        Assert.Equal([35UL], Run("subprogs", "first", five));
        Assert.Equal([26UL], Run("subprogs", "second", five));
    }

    [Fact]
    public void TextOnlyMainCallsItsStaticHelper() =>
        Assert.Equal([720UL], Run("text_only", "bpf_main", BitConverter.GetBytes(6U)));

    [Fact]
    public void BtfArrayMapIsReachedThroughItsIndex() =>
        Assert.Equal([1UL, 2UL], Run("maps", "count_calls", [], times: 2));

    [Fact]
    public void LegacyArrayMapIsReachedThroughItsIndex() =>
        Assert.Equal([3UL, 6UL], Run("legacy_maps", "bump", [], times: 2));
}
