using Bpftime.Compiler.LlvmJit;
using Bpftime.Engines;
using Bpftime.Tests.Conformance;

namespace Bpftime.Compiler.Tests.Conformance;

/// <summary>Every vector of the public conformance suite on the LLVM JIT, unoptimised and at -O3, trusted and checked.</summary>
public sealed class LlvmJitConformanceTests
{
    private static readonly LlvmJitEngine Engine = new();

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
