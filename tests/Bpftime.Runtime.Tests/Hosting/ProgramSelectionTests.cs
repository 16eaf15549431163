using Bpftime.Diagnostics;
using Bpftime.Hosting;

namespace Bpftime.Tests.Hosting;

/// <summary>BpfLoadOptions.Programs: only the named programs load, on bytecode as on native code.</summary>
public sealed class ProgramSelectionTests
{
    private static readonly string Subprograms = Path.Combine(TestPaths.DataDirectory, "obj", "subprogs.bpf.o");

    [Fact]
    public void OnlyTheNamedProgramsLoad()
    {
        using var loaded = BpfObject.Load(Subprograms, new BpfLoadOptions { Programs = ["first"], ReadEnvironment = false, Engine = "interpreter" });

        Assert.Equal(["first"], loaded.Programs.Keys);
        var input = BitConverter.GetBytes(5UL);
        // first(5) = 35, per subprogs.bpf.c.
        Assert.Equal(35UL, loaded.Programs["first"].Run(input));
    }

    [Fact]
    public void AllProgramsLoadWhenNoneAreNamed()
    {
        using var loaded = BpfObject.Load(Subprograms, new BpfLoadOptions { ReadEnvironment = false, Engine = "interpreter" });

        Assert.Contains("first", loaded.Programs.Keys);
        Assert.Contains("second", loaded.Programs.Keys);
    }

    [Fact]
    public void AnUnknownNameListsTheProgramsThereAre()
    {
        var error = Assert.Throws<BpfException>(() => BpfObject.Load(Subprograms, new BpfLoadOptions { Programs = ["nope"], ReadEnvironment = false }));

        Assert.Equal(DiagnosticCodes.NameNotFound, error.Code);
        Assert.Contains("nope", error.Message, StringComparison.Ordinal);
        Assert.Contains("first", error.Message, StringComparison.Ordinal);
    }
}
