using Bpftime.Compiler.Aot;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Linking.Native;
using Bpftime.Tests;
using ELFSharp.ELF;
using ELFSharp.ELF.Sections;

namespace Bpftime.Compiler.Tests;

/// <summary>
/// Where AOT code lands within a cache line decides how its loops meet the processor's fetch
/// windows: every function of an object, and every code section the linker places, starts on a line.
/// </summary>
public sealed class CodePlacementTests
{
    private const ulong Line = 64;

    private static readonly HelperTable NoHelpers = new("placement", []);

    /// <summary>r0 = sum of 0..r2-1, a loop, so that the back end has a loop to lay out.</summary>
    private static Instruction[] SumBelow(int bias) =>
    [
        Code.Mov64(0, bias),
        Code.Mov64(3, 0),
        new(0x3d, 3, 2, 3, 0), // if r3 >= r2 goto exit
        new(0x0f, 0, 3, 0, 0), // r0 += r3
        Code.Add64(3, 1),
        new(0x05, 0, 0, -4, 0), // goto the compare
        Code.Exit(),
    ];

    private static AotCompilation ThreePrograms(string triple, int optimization) => new()
    {
        Triple = triple,
        Helpers = NoHelpers,
        SourceName = "placement.bpf.o",
        SourceHash = "sha256:00",
        OptimizationLevel = optimization,
        Programs =
        [
            new AotProgramSource("first", SumBelow(1)) { Verified = true, TerminationProven = true },
            new AotProgramSource("second", SumBelow(2)) { Verified = true, TerminationProven = true },
            new AotProgramSource("third", SumBelow(3)) { Verified = true, TerminationProven = true },
        ],
    };

    [SkippableTheory]
    [InlineData("x86_64", 0)]
    [InlineData("x86_64", 3)]
    [InlineData("aarch64", 3)]
    public void EveryFunctionOfAnObjectStartsOnACacheLine(string arch, int optimization)
    {
        LlvmRequirement.SkipIfMissing();
        var compiled = AotCompiler.Compile(ThreePrograms(arch, optimization));
        using var elf = ELFReader.Load(new MemoryStream(compiled.Bytes), true);
        var text = elf.Sections.OfType<ProgBitsSection<ulong>>().Single(s => s.Name == ".text");
        Assert.Equal(Line, text.Alignment);
        var functions = ((ISymbolTable)elf.GetSection(".symtab")).Entries.Cast<SymbolEntry<ulong>>()
            .Where(s => s.Type == SymbolType.Function && s.PointedSection == text).ToList();
        Assert.Equal(["first", "second", "third"], functions.Select(f => f.Name).Order(StringComparer.Ordinal));
        Assert.All(functions, f => Assert.True(f.Value % Line == 0, $"{f.Name} lies at .text+0x{f.Value:x}"));
    }

    [SkippableFact]
    public void LinkedProgramsStartOnACacheLineAndRun()
    {
        LlvmRequirement.SkipIfMissing();
        Skip.IfNot(OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64,
            "the runtime's linker places x86-64 code on Linux");
        var compiled = AotCompiler.Compile(ThreePrograms("x86_64", 3));
        using var module = AotLinker.Link(compiled.Bytes, new AotLinkOptions { Helpers = NoHelpers, Origin = "placement" });
        var bias = 1UL;
        foreach (var name in new[] { "first", "second", "third" })
        {
            var entry = (ulong)module.FindSymbol(name)!.Value;
            Assert.True(entry % Line == 0, $"{name} was placed at 0x{entry:x}");
            Assert.Equal(bias + (0 + 1 + 2 + 3 + 4), module.GetProgram(name).Execute(0, 5));
            bias++;
        }
    }

    [SkippableFact]
    public void CodeOfAnObjectAlignedToSixteenBytesIsPlacedOnACacheLine()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64,
            "the runtime's linker places x86-64 code on Linux");
        // Objects compiled before functions were aligned to lines (and C objects) ask for 16 bytes only.
        var bytes = File.ReadAllBytes(Path.Combine(TestPaths.DataDirectory, "aot", "loops.o"));
        using (var elf = ELFReader.Load(new MemoryStream(bytes), true))
        {
            Assert.Equal(16UL, elf.Sections.OfType<ProgBitsSection<ulong>>().Single(s => s.Name == ".text").Alignment);
        }
        using var module = AotLinker.Link(bytes, new AotLinkOptions { Helpers = NoHelpers, Origin = "loops.o" });
        var entry = (ulong)module.FindSymbol("bpf_main")!.Value;
        // bpf_main is the first function of .text: its address is where the section starts.
        Assert.True(entry % Line == 0, $".text was placed at 0x{entry:x}");
    }
}
