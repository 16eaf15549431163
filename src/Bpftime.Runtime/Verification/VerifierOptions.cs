using Bpftime.Helpers;
using Bpftime.Objects;

namespace Bpftime.Verification;

/// <summary>What the verifier assumes about the host and how hard it works.</summary>
public sealed record VerifierOptions
{
    public static VerifierOptions Default { get; } = new();

    /// <summary>
    /// The options native code without run-time checks is proved under: by the build that compiles it,
    /// and again by the loader when the host's .rodata bytes differ from the compiled ones. One definition
    /// for both, so that the second proof is for the context the code was compiled for: XDP, Linux's
    /// xdp_md; a socket buffer, Linux's __sk_buff for <paramref name="type"/>; (mem, len), r2 the exact
    /// length; else raw memory of at least <paramref name="contextSize"/> bytes with any length in r2.
    /// Unreachable code is the compiler's business: no warning for it.
    /// </summary>
    public static VerifierOptions ForNativeCode(ProgramType type, bool socketBuffer, bool memoryWithLength, int contextSize, HelperTable? helpers, bool requireTermination)
    {
        var xdp = type == ProgramType.Xdp;
        socketBuffer &= !xdp;
        var withLength = memoryWithLength && !xdp && !socketBuffer;
        var rawSize = xdp || socketBuffer || withLength ? 0 : contextSize;
        return new VerifierOptions
        {
            Helpers = helpers,
            // XDP's layout comes with its type; raw memory is given as such, not left to the type (a tc
            // program without legacy packet loads runs on raw memory).
            Context = xdp ? null : socketBuffer ? LinuxContexts.For(type) : ContextLayout.RawMemory(rawSize),
            ContextSize = rawSize,
            ContextLengthInR2 = withLength,
            VariableContextLength = !xdp && !socketBuffer && !withLength,
            WarnUnreachable = false,
            RequireTermination = requireTermination,
        };
    }

    /// <summary>
    /// Bytes of raw memory r1 points at for program types without a fixed context (socket, kprobe,
    /// unspecified, ...); r2 holds this size. 0 means the program may not touch its context.
    /// </summary>
    public int ContextSize { get; init; }

    /// <summary>
    /// For raw-memory contexts: r2 is any value (the host passes at least <see cref="ContextSize"/>
    /// bytes at r1, and a length of its choosing in r2) instead of exactly <see cref="ContextSize"/>.
    /// Loaders that run programs on buffers of varying length set this, so that a proof does not rest
    /// on r2 being one number.
    /// </summary>
    public bool VariableContextLength { get; init; }

    /// <summary>
    /// For raw-memory contexts: the (mem, len) contract. r1 points at a buffer of exactly r2 bytes (any
    /// length the host chooses, <see cref="ContextSize"/> ignored), and the program may read and write
    /// r1[0, r2) only, which it proves by comparing offsets with r2 (or a copy of it).
    /// </summary>
    public bool ContextLengthInR2 { get; init; }

    /// <summary>The context layout for every program, overriding the one chosen by program type.</summary>
    public ContextLayout? Context { get; init; }

    /// <summary>The helpers the host provides: calls to others are refused. Null: every helper the catalogue knows.</summary>
    public HelperTable? Helpers { get; init; }

    /// <summary>Instructions the verifier may process over all paths before it gives up (Linux's limit).</summary>
    public int MaxProcessedInstructions { get; init; } = 1_000_000;

    /// <summary>
    /// States the verifier may hold at once (kept at prune points plus branches waiting to be explored);
    /// each costs 1-7 KB per frame (more when registers are spilled), so the default bounds memory to a few
    /// hundred MB for programs a few calls deep.
    /// </summary>
    public int MaxStates { get; init; } = 20_000;

    /// <summary>
    /// Wall-clock time one program's verification may take. Null (the default): no time limit, so that
    /// verdicts do not depend on the machine's load; the instruction budget and <see cref="MaxStates"/>
    /// already bound the work and the memory. Hosts that verify untrusted objects on a deadline set it.
    /// </summary>
    public TimeSpan? MaxTime { get; init; }

    /// <summary>
    /// Callback calls that callback loops nested inside each other (bpf_loop or for_each_map_elem in a
    /// callback) may make together: the product of their counts (nr_loops' upper bound, capped at
    /// bpf_loop's 2^23; a map's max_entries) along the nesting. Linux stops such runs with a time limit
    /// the runtime does not have; the default is one bpf_loop's own cap. A single level is not limited.
    /// </summary>
    public long MaxNestedCallbackCalls { get; init; } = 1L << 23;

    /// <summary>
    /// Refuse programs with a loop whose end the verifier cannot prove (BPF2039), as Linux does. When
    /// false (the default) such a program is still proven memory-safe; it is accepted as verified with
    /// <see cref="VerificationResult.TerminationProven"/> false, and engines run it under the execution
    /// budget.
    /// </summary>
    public bool RequireTermination { get; init; }

    /// <summary>
    /// Times a path goes around a loop (states kept at the loop head) before the verifier stops
    /// unrolling it and widens the loop head's state to a fixpoint. Loops with fewer iterations stay
    /// fully unrolled, exact on every iteration; longer ones cost about the same whatever their trip count.
    /// </summary>
    public int LoopUnrollLimit { get; init; } = 16;

    /// <summary>
    /// Paths that may reach one merge point (an instruction with several predecessors, not a loop head)
    /// in states no kept state covers before the verifier stops exploring them apart: each further one
    /// is joined with the latest state kept there, and the join is explored instead (after
    /// <c>JoinsBeforeWidening</c> joins at one point, widened to the program's constants). The first
    /// paths stay exact, so a fact one branch establishes and a later one relies on is kept where the
    /// paths are few; programs with very many paths cost about one pass per merge point. A program
    /// refused after a join is verified again without joins, so joining never refuses what exploring
    /// every path proves. <see cref="int.MaxValue"/>: never join (every path explored on its own).
    /// </summary>
    public int JoinStatesAfter { get; init; } = 8;

    /// <summary>
    /// After a refusal with some loop widened, verify again with each widened loop head narrowed by
    /// what came back into it (<see cref="LoopNarrowing"/>). Off only to show what narrowing recovers.
    /// </summary>
    internal bool NarrowLoops { get; init; } = true;

    /// <summary>Reuse verified states at jump targets (turning it off only shows how much pruning saves).</summary>
    public bool Prune { get; init; } = true;

    /// <summary>Frames of bpf-to-bpf calls and callbacks, the program's own included (Linux: 8).</summary>
    public int MaxCallDepth { get; init; } = 8;

    /// <summary>Bytes per frame (each frame's own r10 region).</summary>
    public int FrameStackSize { get; init; } = 512;

    /// <summary>
    /// The stacks of all frames of a call chain together, each rounded up to 8 bytes. Linux allows 512
    /// in total; engines that give every frame its own 512 bytes could allow more, but objects that pass
    /// here then also load on Linux.
    /// </summary>
    public int MaxCombinedStackSize { get; init; } = 512;

    /// <summary>
    /// Loads from read-only maps (.rodata) at constant offsets give the map's initial bytes as constants,
    /// as Linux does for frozen maps, so that configuration constants bound indexes. Hosts that change
    /// .rodata after verification must turn this off (or verify against the MapSpec holding the new bytes).
    /// </summary>
    public bool AssumeFrozenReadOnlyData { get; init; } = true;

    /// <summary>Report instructions that no path reaches as warnings.</summary>
    public bool WarnUnreachable { get; init; } = true;
}
