using System.Text;
using Bpftime.Compiler.Aot;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Engines.Aot;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Linking.Native;
using Bpftime.Maps;
using Bpftime.Objects;

namespace Bpftime.Compiler.Tests;

/// <summary>Native objects compiled with run-time memory checks: what the metadata records and how the linker runs them.</summary>
public sealed class AotCheckedObjectTests
{
    private static readonly HelperTable Helpers = new("test", []);

    private static AotCompilation Compilation(bool verified, params Instruction[] code) => new()
    {
        Triple = "x86_64",
        Helpers = Helpers,
        SourceName = "checked.bpf.o",
        Maps = [new MapSpec(".rodata", MapType.Array, 4, 8, 1) { IsGlobalData = true, IsReadOnlyForPrograms = true }],
        Programs = [new AotProgramSource("prog", code) { Verified = verified }],
    };

    private static readonly Instruction[] ReadsPastTheContext = [Code.LoadDw(0, 1, 8), Code.Exit()];

    [SkippableFact]
    public void UnverifiedProgramsAreCompiledCheckedByDefaultAndTheMetadataSaysSo()
    {
        LlvmRequirement.SkipIfMissing();
        var source = new AotProgramSource("prog", ReadsPastTheContext);
        Assert.False(source.Verified);
        var checkedObject = AotCompiler.Compile(Compilation(verified: false, ReadsPastTheContext));
        Assert.True(checkedObject.Metadata.Programs[0].Checked);
        Assert.Contains("\"checked\":true", Encoding.UTF8.GetString(checkedObject.Metadata.ToJsonBytes()));
        var trusted = AotCompiler.Compile(Compilation(verified: true, ReadsPastTheContext));
        Assert.False(trusted.Metadata.Programs[0].Checked);
        var ir = AotCompiler.EmitIr(Compilation(verified: false, ReadsPastTheContext), optimize: true);
        Assert.Contains(AotCheckedAbi.MemoryCheckSymbol, ir);
    }

    [Fact]
    public void MetadataWrittenBeforeTheCheckedFlagReadsAsUnchecked()
    {
        var json = """{"format":1,"triple":"x86_64-unknown-linux-gnu","programs":[{"name":"p","symbol":"bpf_main","stack_size":8}]}""";
        var metadata = AotMetadata.FromJson(Encoding.UTF8.GetBytes(json));
        Assert.False(metadata.Programs[0].Checked);
    }

    [SkippableTheory]
    [InlineData(0)]
    [InlineData(3)]
    public void ACheckedObjectFaultsThroughTheLinkerWithTheInstruction(int level)
    {
        LlvmRequirement.SkipIfMissing();
        Skip.IfNot(new AotEngine().IsAvailable(out var reason), reason);
        using var rodata = ArrayMap.Create(".rodata", 8, 1, readOnlyForPrograms: true);
        BitConverter.TryWriteBytes(rodata.GetValue(0), 11L);
        var options = new AotLinkOptions { Helpers = Helpers, Maps = [rodata], Origin = "checked.bpf.o" };

        var compiled = AotCompiler.Compile(Compilation(verified: false, ReadsPastTheContext) with { OptimizationLevel = level });
        using (var module = AotLinker.Link(compiled.Bytes, options))
        {
            Assert.True(module.IsChecked("prog"));
            var program = module.GetProgram("prog");
            var context = new byte[16];
            BitConverter.TryWriteBytes(context.AsSpan(8), 3L);
            Assert.Equal(3UL, program.Run(context));
            var error = Assert.Throws<BpfException>(() => program.Run(new byte[8]));
            Assert.Equal(DiagnosticCodes.ContextAccessOutOfBounds, error.Code);
            Assert.Equal(0, error.Diagnostic.InstructionIndex);
            Assert.Equal("prog", error.Diagnostic.Program);
            Assert.Equal("checked.bpf.o", error.Diagnostic.File);
        }

        // Reads of the read-only global go through the runtime's slow path; a write to it faults.
        Instruction[] globals =
        [
            new(Opcodes.LoadImm64, 1, (byte)LoadImm64Source.MapValueByIndex, 0, 0), new(0, 0, 0, 0, 0),
            Code.LoadDw(0, 1, 0), Code.StoreDw(1, 0, 0), Code.Exit(),
        ];
        compiled = AotCompiler.Compile(Compilation(verified: false, globals) with { OptimizationLevel = level });
        using (var module = AotLinker.Link(compiled.Bytes, options))
        {
            var error = Assert.Throws<BpfException>(() => module.GetProgram("prog").Run([]));
            Assert.Equal(DiagnosticCodes.WriteToReadOnlyMemory, error.Code);
            Assert.Equal(3, error.Diagnostic.InstructionIndex);
            Assert.Equal(11L, BitConverter.ToInt64(rodata.GetValue(0)));
        }
    }
}
