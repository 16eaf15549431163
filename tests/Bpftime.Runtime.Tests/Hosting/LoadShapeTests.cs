using Bpftime.Diagnostics;
using Bpftime.Engines.Aot;
using Bpftime.Execution;
using Bpftime.Hosting;
using Bpftime.Isa;
using Bpftime.Objects;

namespace Bpftime.Tests.Hosting;

/// <summary>
/// The shapes a load keeps to touch fewer types: list properties of records left unset until set
/// (read as the shared empty array), the programs kept in arrays with the named collection made on
/// first use, and run records that drop their maps when a run ends. None may change what a caller sees.
/// </summary>
public class LoadShapeTests
{
    // One instruction list for all: records compare lists by reference.
    private static readonly Instruction[] Exit = [new Instruction(Opcodes.Exit, 0, 0, 0, 0)];

    private static BpfProgramInfo Program() => new("p", "socket", ProgramType.SocketFilter, Exit);

    [Fact]
    public void AProgramLeftAtItsDefaultListsEqualsOneSetToEmptyLists()
    {
        var unset = Program();
        var set = Program() with { Subprograms = [], LineInfo = [], FuncInfo = [], CoreRelocations = [] };

        Assert.Equal(unset, set);
        Assert.Equal(set, unset);
        Assert.Equal(unset.GetHashCode(), set.GetHashCode());
        Assert.Same(Array.Empty<BpfLineInfo>(), unset.LineInfo);
        Assert.Same(Array.Empty<BpfFuncInfo>(), unset.FuncInfo);
        Assert.Same(Array.Empty<BpfCoreRelocation>(), unset.CoreRelocations);
        Assert.Empty(unset.Subprograms);
        Assert.Same(Array.Empty<BpfLineInfo>(), set.LineInfo);
    }

    [Fact]
    public void AProgramWithLinesDiffersFromOneWithoutAndWithCopiesThem()
    {
        var lines = new[] { new BpfLineInfo(0, "a.c", "return 0;", 3, 5) };
        var withLines = Program() with { LineInfo = lines };

        Assert.NotEqual(Program(), withLines);
        Assert.Same(lines, withLines.LineInfo);
        var renamed = withLines with { Name = "q" };
        Assert.Same(lines, renamed.LineInfo);
        Assert.Equal(withLines, renamed with { Name = "p" });
        Assert.Equal(lines[0], withLines.LineAt(0));
        Assert.Null(Program().LineAt(0));
        // Back to none: equal again to a program that never had any.
        Assert.Equal(Program(), withLines with { LineInfo = [] });
    }

    [Fact]
    public void AnEmptyListOfItsOwnIsKeptAsGiven()
    {
        // Only the shared empty array stands for the default; another empty list is the caller's and is handed back.
        var own = new List<BpfFuncInfo>();
        var program = Program() with { FuncInfo = own };
        Assert.Same(own, program.FuncInfo);
        Assert.NotEqual(Program(), program);
    }

    [Fact]
    public void AMapSpecMadeFromMetadataWithoutSlotsEqualsOneWithEmptySlots()
    {
        var map = new AotMap { Name = ".bss", Type = (uint)MapType.Array, KeySize = 4, ValueSize = 16, MaxEntries = 1, IsGlobalData = true };
        var spec = map.ToMapSpec();

        Assert.Same(Array.Empty<MapSlot>(), spec.InitialSlots);
        Assert.Equal(spec, spec with { InitialSlots = [] });
        Assert.Equal(new MapSpec(".bss", MapType.Array, 4, 16, 1) { IsGlobalData = true, Section = ".bss" }, spec);
        Assert.Equal(spec, (map with { Slots = [] }).ToMapSpec());

        var slots = new[] { new MapSlot(0, "handler") };
        var withSlots = (map with { Slots = slots }).ToMapSpec();
        Assert.Same(slots, withSlots.InitialSlots);
        Assert.NotEqual(spec, withSlots);
        Assert.Equal(spec, withSlots with { InitialSlots = [] });
    }

    [Fact]
    public void MetadataLeftAtItsDefaultListsEqualsMetadataSetToEmptyLists()
    {
        var program = new AotProgram { Name = "p", Symbol = "bpf_main" };
        Assert.Equal(program, program with { Helpers = [], Maps = [] });
        Assert.Empty(program.Helpers);
        Assert.Same(Array.Empty<int>(), program.Maps);
        Assert.Empty(program.HelperArray);
        Assert.NotEqual(program, program with { Maps = [0] });

        var metadata = new AotMetadata { Triple = "x86_64-unknown-linux-gnu", Programs = [program] };
        Assert.Equal(metadata, metadata with { Maps = [] });
        Assert.Same(Array.Empty<AotMap>(), metadata.Maps);
        // The serialized form writes the default lists as it did.
        Assert.Equal(metadata, AotMetadata.FromJson(metadata.ToJsonBytes()) with { Programs = metadata.Programs });
        Assert.Contains("\"maps\":[]", metadata.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void AnObjectFileLeftWithoutWarningsEqualsOneSetToNone()
    {
        var file = new BpfObjectFile(null, ObjectKind.RawBytecode, [Program()], [new MapSpec(".bss", MapType.Array, 4, 16, 1)]);
        Assert.Equal(file, file with { Warnings = [] });
        Assert.Same(Array.Empty<BpfDiagnostic>(), file.Warnings);
        var warned = file with { Warnings = [new BpfDiagnostic("BPF0000", "w", DiagnosticSeverity.Warning)] };
        Assert.NotEqual(file, warned);
        Assert.Single(warned.Warnings);
    }

    [Fact]
    public void GetProgramFindsWhatTheCollectionFindsAndRefusesTheSameWay()
    {
        // Raw bytecode is one program named "program".
        var code = InstructionDecoder.Encode(new InstructionBuilder().Alu(AluOperation.Mov, 0, 7).Exit().Build());
        using var loaded = BpfObject.Load(code, BpfLoadOptions.Default with { Engine = "interpreter", ReadEnvironment = false }, "shape");

        var found = loaded.GetProgram("program");
        Assert.Same(loaded.Programs["program"], found);
        Assert.Same(found, loaded.GetProgram("program"));
        Assert.Same(loaded.Programs, loaded.Programs);
        Assert.Equal(7UL, found.Execute(0, 0));

        var missing = Assert.Throws<BpfException>(() => loaded.GetProgram("PROGRAM"));
        var byCollection = Assert.Throws<BpfException>(() => loaded.Programs["PROGRAM"]);
        Assert.Equal(DiagnosticCodes.NameNotFound, missing.Diagnostic.Code);
        Assert.Equal(byCollection.Diagnostic, missing.Diagnostic);
        Assert.Contains("no program named 'PROGRAM'; the object has: program", missing.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => loaded.GetProgram(null!));
        Assert.Equal("shape: 1 program(s) on interpreter, 0 map(s)", loaded.ToString());
    }

    [Fact]
    public void ARunRecordNamesNoMapsOnceItsRunEnds()
    {
        var maps = new IMapMemory[1];
        var run = ActiveRuns.Enter(new object(), checksMemory: true, 0, 0, maps, "p", null);
        try
        {
            Assert.Same(maps, run.Maps);
        }
        finally
        {
            ActiveRuns.Leave(run);
        }
        Assert.Empty(run.Maps);
        Assert.Null(run.Owner);
    }
}
