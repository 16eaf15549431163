using Bpftime.Compiler.Aot;
using Bpftime.Engines;
using Bpftime.Tests.Conformance;

namespace Bpftime.Compiler.Tests.Conformance;

/// <summary>Every conformance vector compiled to an x86-64 object and linked by the runtime's AOT linker, at O0 and O3, trusted and checked.</summary>
public sealed class AotConformanceTests
{
    private static readonly AotEngine Engine = new();

    [SkippableTheory]
    [MemberData(nameof(ConformanceCases.Files), MemberType = typeof(ConformanceCases))]
    public void VectorO0(string file) => ConformanceRunner.Check(Engine, new EngineOptions { OptimizationLevel = 0 }, file, verified: true);

    [SkippableTheory]
    [MemberData(nameof(ConformanceCases.Files), MemberType = typeof(ConformanceCases))]
    public void VectorO3(string file) => ConformanceRunner.Check(Engine, new EngineOptions { OptimizationLevel = 3 }, file, verified: true);

    [SkippableTheory]
    [MemberData(nameof(ConformanceCases.Files), MemberType = typeof(ConformanceCases))]
    public void VectorCheckedO0(string file) => ConformanceRunner.Check(Engine, new EngineOptions { OptimizationLevel = 0 }, file, verified: false);

    [SkippableTheory]
    [MemberData(nameof(ConformanceCases.Files), MemberType = typeof(ConformanceCases))]
    public void VectorCheckedO3(string file) => ConformanceRunner.Check(Engine, new EngineOptions { OptimizationLevel = 3 }, file, verified: false);
}
