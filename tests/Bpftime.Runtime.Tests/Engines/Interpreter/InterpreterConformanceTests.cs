using Bpftime.Engines;
using Bpftime.Engines.Interpreter;
using Bpftime.Tests.Conformance;

namespace Bpftime.Runtime.Tests.Engines.Interpreter;

/// <summary>Every vector of the public conformance suite, on the interpreter with run-time memory checks on.</summary>
public sealed class InterpreterConformanceTests
{
    [SkippableTheory]
    [MemberData(nameof(ConformanceCases.Files), MemberType = typeof(ConformanceCases))]
    public void Vector(string file) =>
        ConformanceRunner.Check(InterpreterEngine.Instance, EngineOptions.Default, file, verified: false);

    /// <summary>The same vectors without the checks, as a verified program would run.</summary>
    [SkippableTheory]
    [MemberData(nameof(ConformanceCases.Files), MemberType = typeof(ConformanceCases))]
    public void VectorTrusted(string file) =>
        ConformanceRunner.Check(InterpreterEngine.Instance, EngineOptions.Default, file, verified: true);
}
