using Bpftime.Engines;
using Bpftime.Engines.Interpreter;
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
    private static ulong Run(string objectName, string programName, byte[] input)
    {
        var obj = TestObjects.Read(objectName);
        var program = obj.FindProgram(programName)!;
        var maps = obj.Maps.Select(spec => (BpfMap)new ArrayMap(spec)).ToList();
        try
        {
            var image = new ProgramImage(program.Name, program.ToArray(), new HelperTable("none")) { Maps = maps };
            using var executable = InterpreterEngine.Instance.Load(image, EngineOptions.Default);
            return executable.Run(input);
        }
        finally
        {
            maps.ForEach(m => m.Dispose());
        }
    }

    [Fact]
    public void LoopSumAddsTheBytes() =>
        Assert.Equal(136UL, Run("loop_sum", "sum_bytes", Enumerable.Range(1, 16).Select(i => (byte)i).ToArray()));

    [Fact]
    public void GlobalDataIsReachedThroughTheRegionMaps() =>
        Assert.Equal(1028UL, Run("global_data", "read_globals", [2]));

    [Fact]
    public void SubprogramsAreCalledFromTwoPrograms()
    {
        var five = BitConverter.GetBytes(5UL);
        Assert.Equal(35UL, Run("subprogs", "first", five));
        Assert.Equal(26UL, Run("subprogs", "second", five));
    }

    [Fact]
    public void TextOnlyMainCallsItsStaticHelper() =>
        Assert.Equal(720UL, Run("text_only", "bpf_main", BitConverter.GetBytes(6U)));
}
