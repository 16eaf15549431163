using System.Text;
using Bpftime.Compiler.Aot;
using Bpftime.Engines.Aot;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Objects;
using ELFSharp.ELF;
using ELFSharp.ELF.Sections;

namespace Bpftime.Compiler.Tests;

public sealed class AotCompilerTests
{
    private static readonly HelperTable Helpers = new("test", [
        new HelperFunction(1, "bpf_map_lookup_elem", HelperPrototype.Of(HelperReturnKind.MapValueOrNull, HelperArgumentKind.ConstMapPointer, HelperArgumentKind.MapKey),
            (_, _, _, _, _) => 0),
        new HelperFunction(5, "unwind", HelperPrototype.Unchecked, (a, _, _, _, _) => a, stopsProgramOnZero: true),
    ]);

    private static AotCompilation TwoPrograms(string triple) => new()
    {
        Triple = triple,
        Helpers = Helpers,
        SourceName = "two.bpf.o",
        SourceHash = "sha256:00",
        OptimizationLevel = 2,
        Maps =
        [
            new MapSpec("counts", MapType.Hash, 4, 8, 16),
            new MapSpec(".data", MapType.Array, 4, 16, 1) { IsGlobalData = true },
        ],
        Programs =
        [
            new AotProgramSource("lookup", (Instruction[])[
                .. Code.LoadImm64(1, 0, (byte)LoadImm64Source.MapByIndex),
                Code.Mov64Reg(2, 10), Code.Add64(2, -4), Code.Call(1), Code.Exit()]) { Section = "xdp" },
            new AotProgramSource("global-data", (Instruction[])[
                new(Opcodes.LoadImm64, 1, (byte)LoadImm64Source.MapValueByIndex, 0, 1), new(0, 0, 0, 0, 8),
                Code.LoadDw(0, 1, 0), Code.Exit()]) { Section = "tc" },
        ],
    };

    [SkippableTheory]
    [InlineData("x86_64", Machine.AMD64)]
    [InlineData("aarch64", Machine.AArch64)]
    public void EmitsAnElfObjectWithSymbolsAndMetadata(string arch, Machine machine)
    {
        LlvmRequirement.SkipIfMissing();
        var result = AotCompiler.Compile(TwoPrograms(arch));
        using var elf = ELFReader.Load(new MemoryStream(result.Bytes), true);
        Assert.Equal(machine, elf.Machine);
        Assert.Equal(FileType.Relocatable, elf.Type);

        var symbols = elf.GetSection(".symtab") is ISymbolTable table
            ? table.Entries.ToDictionary(e => e.Name, e => e)
            : throw new Xunit.Sdk.XunitException("no .symtab");
        Assert.True(symbols["lookup"].PointedSectionIndex != 0, "lookup must be defined");
        Assert.True(symbols["global_data"].PointedSectionIndex != 0, "global_data must be defined");
        Assert.False(symbols.ContainsKey("bpf_main"), "bpf_main is only for single-program objects");
        Assert.Equal(0, (int)symbols["_bpf_helper_ext_0001"].PointedSectionIndex);
        Assert.Equal(0, (int)symbols["_bpf_map_handle_0"].PointedSectionIndex);
        Assert.Equal(0, (int)symbols["_bpf_map_value_1"].PointedSectionIndex);

        var section = elf.Sections.Single(s => s.Name == AotMetadata.SectionName);
        var metadata = AotMetadata.FromJson(section.GetContents());
        Assert.Equal(AotCompiler.NormalizeTriple(arch), metadata.Triple);
        Assert.Equal("sha256:00", metadata.SourceHash);
        Assert.Equal(2, metadata.Programs.Count);
        var lookup = metadata.Programs[0];
        Assert.Equal("lookup", lookup.Symbol);
        Assert.Equal("xdp", lookup.Section);
        Assert.Equal(512, lookup.StackSize);
        Assert.Equal(1, lookup.CallDepth);
        Assert.Equal([0], lookup.Maps);
        var helper = Assert.Single(lookup.Helpers);
        Assert.Equal(1, helper.Id);
        Assert.Equal("map_value_or_null(map,key)", helper.Signature);
        Assert.Equal([1], metadata.Programs[1].Maps);
        Assert.Equal("global_data", metadata.Programs[1].Symbol);
        Assert.Equal(2, metadata.Maps.Count);
        Assert.True(metadata.Maps[1].IsGlobalData);
        Assert.Equal(16u, metadata.Maps[1].ValueSize);
        Assert.Equal(metadata.ToString(), result.Metadata.ToString());
    }

    [SkippableFact]
    public void ASingleProgramAlsoExportsBpfMain()
    {
        LlvmRequirement.SkipIfMissing();
        var result = AotCompiler.Compile(new AotCompilation
        {
            Triple = "x86_64",
            Helpers = Helpers,
            Programs = [new AotProgramSource("only", (Instruction[])[Code.Mov64(0, 1), Code.Exit()])],
        });
        using var elf = ELFReader.Load(new MemoryStream(result.Bytes), true);
        var table = (ISymbolTable)elf.GetSection(".symtab");
        var names = table.Entries.Where(e => e.PointedSectionIndex != 0).Select(e => e.Name).ToHashSet();
        Assert.Contains("only", names);
        Assert.Contains(AotMetadata.SingleProgramSymbol, names);
        Assert.Contains("\"symbol\":\"only\"", Encoding.UTF8.GetString(elf.Sections.Single(s => s.Name == AotMetadata.SectionName).GetContents()));
    }

    [SkippableFact]
    public void OptimisedIrPromotesRegistersAndKeepsDivisionTotal()
    {
        LlvmRequirement.SkipIfMissing();
        var compilation = new AotCompilation
        {
            Triple = "x86_64",
            Helpers = Helpers,
            OptimizationLevel = 3,
            Programs = [new AotProgramSource("div", (Instruction[])[Code.LoadDw(0, 1, 0), Code.LoadDw(2, 1, 8), Code.Alu64Reg(AluOperation.Div, 0, 2), Code.Exit()])],
        };
        var raw = AotCompiler.EmitIr(compilation, optimize: false);
        Assert.Contains("alloca i64", raw);
        var optimized = AotCompiler.EmitIr(compilation, optimize: true);
        Assert.DoesNotContain("alloca i64", optimized);
        Assert.Contains("udiv", optimized);
        Assert.Contains("select", optimized);
    }

    [SkippableFact]
    public void StackSlotsAddressedThroughR10BecomeRegistersWhenTheFrameDoesNotEscape()
    {
        LlvmRequirement.SkipIfMissing();
        var compilation = new AotCompilation
        {
            Triple = "x86_64",
            Helpers = Helpers,
            // Unchecked code: checked code keeps all frames in one block whose bounds it compares against.
            Programs = [new AotProgramSource("spill", (Instruction[])[Code.StoreDw(10, 1, -8), Code.Add64(1, 1), Code.LoadDw(0, 10, -8), Code.Exit()]) { Verified = true }],
        };
        var optimized = AotCompiler.EmitIr(compilation, optimize: true);
        Assert.DoesNotContain("alloca", optimized);
        Assert.DoesNotContain("store", optimized);
        Assert.Contains("ptrtoint ptr %0 to i64", optimized);
    }

    [SkippableTheory]
    [InlineData("x86_64", "imul")]
    [InlineData("aarch64", "mul")]
    public void EmitsAssemblyForInspection(string triple, string multiply)
    {
        LlvmRequirement.SkipIfMissing();
        var text = AotCompiler.EmitText(new AotCompilation
        {
            Triple = triple,
            Helpers = Helpers,
            Programs = [new AotProgramSource("mul", (Instruction[])[Code.LoadDw(0, 1, 0), Code.LoadDw(2, 1, 8), Code.Alu64Reg(AluOperation.Mul, 0, 2), Code.Exit()])],
        }, optimize: true, assembly: true);
        Assert.Contains("mul:", text);
        Assert.Contains(multiply, text);
        Assert.Contains(AotMetadata.SectionName, text);
    }
}
