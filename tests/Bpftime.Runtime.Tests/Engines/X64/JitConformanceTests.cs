using Bpftime.Engines;
using Bpftime.Engines.X64;
using Bpftime.Tests.Conformance;

namespace Bpftime.Tests.Engines.X64;

/// <summary>Every vector of the public conformance suite on the direct JIT, with and without run-time memory checks.</summary>
public sealed class JitConformanceTests
{
    private static readonly X64JitEngine Engine = new();

    [SkippableTheory]
    [MemberData(nameof(ConformanceCases.Files), MemberType = typeof(ConformanceCases))]
    public void Vector(string file) => ConformanceRunner.Check(Engine, EngineOptions.Default, file, verified: false);

    [SkippableTheory]
    [MemberData(nameof(ConformanceCases.Files), MemberType = typeof(ConformanceCases))]
    public void VectorTrusted(string file) => ConformanceRunner.Check(Engine, EngineOptions.Default, file, verified: true);
}
