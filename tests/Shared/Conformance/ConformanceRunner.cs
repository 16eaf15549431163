using System.Globalization;
using System.Runtime.InteropServices;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Isa.Conformance;

namespace Bpftime.Tests.Conformance;

/// <summary>
/// Runs one conformance vector on any engine: read the file, assemble, validate the structure (callx
/// allowed, as the suite uses it), build a program image with the suite's helpers, load, run over a
/// copy of the file's memory, and compare r0 with the expected result; or, for a file that expects an
/// error, check that assembling, validating or loading refused the program.
/// </summary>
internal static class ConformanceRunner
{
    /// <summary>
    /// Checks <paramref name="fileName"/> (a name from <see cref="ConformanceCases.Files"/>) on
    /// <paramref name="engine"/>. Skips when the vectors are absent. <paramref name="verified"/> tells the
    /// engine it may drop run-time memory checks (the suite's programs are not run through a verifier).
    /// </summary>
    public static void Check(IBpfEngine engine, EngineOptions options, string fileName, bool verified = false)
    {
        var directory = ConformanceCases.TestsDirectory;
        Skip.If(directory is null || fileName == ConformanceCases.Placeholder, ConformanceCases.SkipReason);
        Skip.IfNot(engine.IsAvailable(out var reason), $"engine {engine.Name} is not available here: {reason}");

        var vector = ConformanceFile.Load(Path.Combine(directory!, fileName));
        if (vector.ExpectedError is not null)
        {
            CheckRefused(engine, options, vector, verified);
            return;
        }
        Assert.True(vector.ExpectedResult.HasValue, $"{fileName} has neither a result nor an error to check");

        using var executable = Load(engine, options, vector, verified);
        var actual = Run(executable, vector.Memory);
        var expected = vector.ExpectedResult!.Value;
        Assert.True(expected == actual,
            $"{fileName} on {engine.Name}: r0 = {Hex(actual)}, expected {Hex(expected)}");
    }

    /// <summary>What the structural validator allows for the suite: ISA v4 and callx.</summary>
    public static ValidationOptions Validation { get; } = new() { AllowCallx = true };

    /// <summary>
    /// The program image a conformance vector describes (the suite's helper 5 included), after
    /// assembling and validating it; throws <see cref="BpfException"/> when either refuses it.
    /// </summary>
    public static ProgramImage ImageOf(ConformanceFile vector, bool verified)
    {
        var program = vector.Program();
        ProgramValidator.EnsureValid(program, Validation, vector.Name);
        return new(vector.Name, program, ConformanceHelpers.Create())
        {
            Verified = verified,
            Origin = vector.Name + ".data",
        };
    }

    private static IBpfExecutable Load(IBpfEngine engine, EngineOptions options, ConformanceFile vector, bool verified)
    {
        try
        {
            return engine.Load(ImageOf(vector, verified), options);
        }
        catch (BpfException e)
        {
            Assert.Fail($"{vector.Name}.data was refused (assembler, validator or {engine.Name}): {e.Diagnostic.ToCanonicalString()}");
            throw;
        }
    }

    private static void CheckRefused(IBpfEngine engine, EngineOptions options, ConformanceFile vector, bool verified)
    {
        try
        {
            using var executable = engine.Load(ImageOf(vector, verified), options);
        }
        catch (BpfException)
        {
            return;
        }
        Assert.Fail($"{vector.Name}.data expects the error '{vector.ExpectedError}', but {engine.Name} accepted the program");
    }

    /// <summary>
    /// Runs over a copy of <paramref name="memory"/> in 16-byte-aligned native memory (the suite's
    /// atomics expect natural alignment); with no memory, r1 = 0 and r2 = 0 as the suite's runners pass.
    /// </summary>
    private static unsafe ulong Run(IBpfExecutable executable, byte[] memory)
    {
        if (memory.Length == 0)
        {
            return executable.Execute(0, 0);
        }
        var copy = NativeMemory.AlignedAlloc((nuint)memory.Length, 16);
        try
        {
            memory.CopyTo(new Span<byte>(copy, memory.Length));
            return executable.Execute((nint)copy, (ulong)memory.Length);
        }
        finally
        {
            NativeMemory.AlignedFree(copy);
        }
    }

    private static string Hex(ulong value) => "0x" + value.ToString("x", CultureInfo.InvariantCulture);
}
