using Bpftime.Diagnostics;
using Bpftime.Isa;
using Bpftime.Objects;

namespace Bpftime.Verification;

/// <summary>
/// Proves eBPF programs safe before they run: every path ends, every register is written before it
/// is read, every memory access stays inside the object it points into, helpers get the arguments
/// their prototypes ask for, and acquired references are released. Where a program is not safe the
/// result says which rule broke, at which instruction and C line, and what the registers held.
/// Structural checks (<see cref="ProgramValidator"/>) run first.
/// </summary>
/// <example>
/// How a loader marks a program verified for the engines:
/// <code>
/// var result = BpfVerifier.Verify(program, file.Maps, new VerifierOptions { ContextSize = 64, Helpers = helpers }, file.Path);
/// result.EnsurePassed(); // or fall back to checked execution
/// var image = new ProgramImage(program.Name, program.ToArray(), helpers) { Maps = maps }.WithVerification(result);
/// </code>
/// </example>
public static class BpfVerifier
{
    /// <summary>Verifies every program of an object (or only <paramref name="programName"/>).</summary>
    public static IReadOnlyList<VerificationResult> Verify(BpfObjectFile file, VerifierOptions? options = null, string? programName = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        var results = new List<VerificationResult>();
        foreach (var program in file.Programs)
        {
            if (programName is null || program.Name == programName)
            {
                results.Add(Verify(program, file.Maps, options, file.Path));
            }
        }
        return results;
    }

    /// <summary>Verifies one program of an object against the object's maps.</summary>
    public static VerificationResult Verify(BpfProgramInfo program, IReadOnlyList<MapSpec> maps, VerifierOptions? options = null, string? objectPath = null)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(maps);
        return Run([.. program.Instructions], maps, options ?? VerifierOptions.Default, program.Type, program.Name, program, objectPath);
    }

    /// <summary>Verifies raw instructions (maps referred to by index in ld_imm64 src 5 and 6).</summary>
    public static VerificationResult Verify(ReadOnlySpan<Instruction> code, IReadOnlyList<MapSpec>? maps = null, VerifierOptions? options = null,
        ProgramType type = ProgramType.Unspecified, string name = "program")
    {
        return Run(code.ToArray(), maps ?? [], options ?? VerifierOptions.Default, type, name, info: null, file: null);
    }

    /// <summary>
    /// The context a program of <paramref name="type"/> sees under <paramref name="options"/>: the
    /// options' own layout; else Linux's struct for the type (<see cref="LinuxContexts"/>: __sk_buff,
    /// pt_regs, ...); else (unspecified and BTF-typed types) raw memory of ContextSize bytes. Loaders
    /// that run a program on raw memory must pass that layout, not rely on the type. SEC("socket") is
    /// this runtime's own section for programs over raw memory, so socket filters keep raw memory
    /// unless the options ask for <see cref="LinuxContexts.SocketFilter"/>.
    /// </summary>
    public static ContextLayout ContextFor(ProgramType type, VerifierOptions? options = null)
    {
        options ??= VerifierOptions.Default;
        if (options.Context is not null)
        {
            return options.Context;
        }
        var linux = type == ProgramType.SocketFilter ? null : LinuxContexts.For(type);
        return linux ?? ContextLayout.RawMemory(options.ContextSize);
    }

    private static VerificationResult Run(Instruction[] code, IReadOnlyList<MapSpec> maps, VerifierOptions options, ProgramType type, string name, BpfProgramInfo? info, string? file)
    {
        var validation = ProgramValidator.Validate(code, programName: name);
        var errors = validation.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count > 0)
        {
            var located = errors.Select(d => Locate(d, info, file)).ToList();
            return new VerificationResult(name, false, located, new VerificationStatistics(0, 0, 0, 0, TimeSpan.Zero));
        }
        var context = ContextFor(type, options);
        try
        {
            ProgramShape shape;
            try
            {
                shape = new ProgramShape(code);
            }
            catch (VerificationError error)
            {
                var diagnostic = Locate(new BpfDiagnostic(error.Code, error.Message, Program: name, InstructionIndex: error.Instruction), info, file);
                return new VerificationResult(name, false, [diagnostic], new VerificationStatistics(0, 0, 0, 0, TimeSpan.Zero));
            }
            try
            {
                return RunWithFallback(code, shape, maps, context, options, name, info, file);
            }
            catch (ReadOnlyDataEscapes)
            {
                return RunWithFallback(code, shape, maps, context, options with { AssumeFrozenReadOnlyData = false }, name, info, file);
            }
        }
        catch (Exception error) when (error is not (OutOfMemoryException or BpfException))
        {
            // A defect in the verifier must not crash the host: refuse the program and say so.
            var diagnostic = new BpfDiagnostic(DiagnosticCodes.VerifierInternalError,
                $"the verifier failed on this program ({error.GetType().Name}: {error.Message}); it is refused. Please report this with the object file",
                File: file, Program: name);
            return new VerificationResult(name, false, [diagnostic], new VerificationStatistics(0, 0, 0, 0, TimeSpan.Zero));
        }
    }

    /// <summary>Instructions an unrolled second look at a loop not proven to end may process (some tens of milliseconds).</summary>
    private const int TerminationRetryBudget = 32_768;

    /// <summary>
    /// Widening loses precision (a loop that fills a stack buffer at a variable offset leaves it
    /// unproven initialised, where unrolling sees each byte written). A program refused after some
    /// loop was widened is verified again with each widened loop head narrowed by what came back into
    /// it (<see cref="LoopNarrowing"/>), then, if still refused, with loops fully unrolled, as without
    /// widening; each proof is sound. The refusal reported is the unrolled one (the exact first
    /// error), unless it only ran out of budget, where the narrowed one names the real problem.
    /// </summary>
    /// <summary>
    /// Joining paths at merge points (<see cref="VerifierOptions.JoinStatesAfter"/>) loses what a
    /// branch told the joined paths apart by. A program refused after a join is verified again with
    /// every path apart, as without joins; either proof is sound. The refusal reported is the exact
    /// one, even when it only ran out of budget: the joined run's error may come from the join alone.
    /// </summary>
    private static VerificationResult RunWithFallback(Instruction[] code, ProgramShape shape, IReadOnlyList<MapSpec> maps, ContextLayout context, VerifierOptions options, string name, BpfProgramInfo? info, string? file)
    {
        var joined = RunWidening(code, shape, maps, context, options, name, info, file, out var joins);
        if (joined.Passed || !joins || !options.Prune)
        {
            return joined;
        }
        var apart = RunWidening(code, shape, maps, context, options with { JoinStatesAfter = int.MaxValue }, name, info, file, out _);
        return WithTime(apart, joined, apart);
    }

    private static bool OnlyOutOfBudget(VerificationResult result) =>
        result.Diagnostics[0].Code is DiagnosticCodes.VerifierTooComplex or DiagnosticCodes.VerifierResourceLimit;

    private static VerificationResult RunWidening(Instruction[] code, ProgramShape shape, IReadOnlyList<MapSpec> maps, ContextLayout context, VerifierOptions options, string name, BpfProgramInfo? info, string? file, out bool joins)
    {
        var analyzer = new Analyzer(code, shape, maps, context, options, name, info, file);
        var widened = analyzer.Run();
        joins = analyzer.Joined;
        if (widened.Passed && !widened.TerminationProven)
        {
            // A loop whose counter the ranking cannot see (for (d = 2; d * d <= n; d++)) may still
            // be short: unrolled within a small budget, it is proven to end by construction.
            var small = options with { LoopUnrollLimit = int.MaxValue, MaxProcessedInstructions = Math.Min(options.MaxProcessedInstructions, TerminationRetryBudget) };
            var proven = new Analyzer(code, shape, maps, context, small, name, info, file).Run();
            return WithTime(proven.Passed ? proven : widened, widened, proven);
        }
        if (widened.Passed || !analyzer.Widened || !options.Prune)
        {
            return widened;
        }
        if (options.NarrowLoops && !analyzer.Narrowing.IsEmpty)
        {
            // One descending step: widened loop heads met with what came back into them.
            var narrowing = new Analyzer(code, shape, maps, context, options, name, info, file);
            narrowing.NarrowBy(analyzer.Narrowing);
            var narrowed = narrowing.Run();
            joins |= narrowing.Joined;
            widened = WithTime(narrowed, widened, narrowed);
            if (narrowed.Passed)
            {
                return widened;
            }
        }
        var unrolling = new Analyzer(code, shape, maps, context, options with { LoopUnrollLimit = int.MaxValue }, name, info, file);
        var unrolled = unrolling.Run();
        if (unrolled.Passed)
        {
            return WithTime(unrolled, widened, unrolled);
        }
        joins |= unrolling.Joined;
        return WithTime(OnlyOutOfBudget(unrolled) ? widened : unrolled, widened, unrolled);
    }

    /// <summary>The chosen verdict, with the time of both runs (its other statistics are its own run's).</summary>
    private static VerificationResult WithTime(VerificationResult chosen, VerificationResult first, VerificationResult second) =>
        chosen with { Statistics = chosen.Statistics with { Elapsed = first.Statistics.Elapsed + second.Statistics.Elapsed } };

    private static BpfDiagnostic Locate(BpfDiagnostic diagnostic, BpfProgramInfo? info, string? file)
    {
        var line = diagnostic.InstructionIndex is int index ? info?.LineAt(index) : null;
        if (line is null)
        {
            return diagnostic.File is null && file is not null ? diagnostic with { File = file } : diagnostic;
        }
        return diagnostic with { File = line.FileName, Line = line.Line, Column = line.Column };
    }
}
