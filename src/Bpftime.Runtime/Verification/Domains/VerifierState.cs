using Bpftime.Helpers;

namespace Bpftime.Verification;

/// <summary>The abstract machine state on one path: the call frames, the held references, the next instruction.</summary>
internal sealed class VerifierState
{
    public VerifierState(List<FrameState> frames)
    {
        Frames = frames;
    }

    public List<FrameState> Frames { get; }

    /// <summary>
    /// Ring-buffer records held: reference id, the instruction that reserved it, and the frame of the
    /// innermost callback running when it was reserved (0: none), which alone may release it.
    /// </summary>
    public List<(int Id, int Instruction, int Owner)> References { get; private init; } = [];

    /// <summary>The frame of the innermost callback in the call chain, or 0 when no callback is running.</summary>
    public int CallbackFrame
    {
        get
        {
            for (var f = Frames.Count - 1; f > 0; f--)
            {
                if (Frames[f].Callback != CallbackKind.None)
                {
                    return f;
                }
            }
            return 0;
        }
    }

    public int Pc { get; set; }

    /// <summary>The instruction that took the spin lock held on this path, or -1.</summary>
    public int LockHeldSince { get; set; } = -1;

    /// <summary>The held lock: the map whose value holds it and the id of the value pointer (which element).</summary>
    public (int Map, int Id) Lock { get; set; }

    /// <summary>The checkpoint this path last passed (for loop detection and completion counting).</summary>
    public Checkpoint? Parent { get; set; }

    /// <summary>The instruction count when this path last kept a state (to space kept states out on tight loops).</summary>
    public int KeptAt { get; set; } = int.MinValue;

    /// <summary>
    /// With <see cref="VerifierOptions.ContextLengthInR2"/>: the (mem, len) length is at least this on
    /// this path (learned from comparisons of len or its copies).
    /// </summary>
    public long LengthMin { get; set; }

    /// <summary>
    /// True once this path went through a widened loop head: its states are then abstractions, and a
    /// state equal to an earlier one no longer shows that the program loops for ever.
    /// </summary>
    public bool Widened { get; set; }

    /// <summary>The differences known between the numbers registers and spilled slots hold (see <see cref="RegisterState.Rel"/>).</summary>
    public Relations Relations { get; set; } = Relations.Empty;

    /// <summary>
    /// The symbol (in <see cref="Relations"/>) of the packet's length, data_end - data, once a packet
    /// pointer holding a symbol was compared with data_end; 0 before, and again after a helper that
    /// changes the packet.
    /// </summary>
    public int PacketLength { get; set; }

    public FrameState Current => Frames[^1];

    public int CurrentFrame => Frames.Count - 1;

    public VerifierState Clone()
    {
        var frames = new List<FrameState>(Frames.Count);
        foreach (var frame in Frames)
        {
            frames.Add(frame.Clone());
        }
        return new VerifierState(frames) { References = [.. References], Pc = Pc, Parent = Parent, LockHeldSince = LockHeldSince, Lock = Lock, KeptAt = KeptAt, LengthMin = LengthMin, Widened = Widened, Relations = Relations, PacketLength = PacketLength };
    }

    /// <summary>About how many bytes this state takes in memory (stacks, registers, spills), for the statistics.</summary>
    public long ApproximateBytes
    {
        get
        {
            var bytes = 64L + References.Count * 12L;
            foreach (var frame in Frames)
            {
                bytes += 48 + frame.Stack.Length + (FrameState.RegisterCount + (frame.HasSpills ? frame.SlotCount : 0)) * (long)System.Runtime.CompilerServices.Unsafe.SizeOf<RegisterState>();
            }
            return bytes;
        }
    }

    /// <summary>Every register of every frame, and every spilled register, by reference.</summary>
    public void ForEachRegister(RegisterVisitor visit)
    {
        foreach (var frame in Frames)
        {
            for (var r = 0; r < FrameState.RegisterCount; r++)
            {
                visit(ref frame.Registers[r]);
            }
            for (var s = 0; s < frame.SlotCount; s++)
            {
                if (frame.Stack[s * 8] == StackByte.Spill)
                {
                    visit(ref frame.Spills[s]);
                }
            }
        }
    }
}

internal delegate void RegisterVisitor(ref RegisterState register);

/// <summary>A state kept at a prune point: later paths reaching the point in a state it covers stop there.</summary>
internal sealed class Checkpoint(VerifierState state, Checkpoint? parent, int fingerprint, int pc)
{
    /// <summary>The instruction the state was kept at.</summary>
    public int Pc { get; } = pc;

    /// <summary>The nearest widened loop head state above this one on its path (loops it is inside).</summary>
    public Checkpoint? EnclosingLoop { get; } = parent is null ? null : parent.Loop is not null ? parent : parent.EnclosingLoop;

    /// <summary>
    /// For a state widened at a loop head: the paths that came back around the loop into it, each
    /// with how its counters moved (for the termination proof). Null for ordinary states.
    /// </summary>
    public LoopReturns? Loop { get; init; }

    /// <summary>
    /// The state kept; null once it is no longer compared with (evicted), so that the chain of parents,
    /// which only counts paths, does not keep every state of a long loop alive.
    /// </summary>
    public VerifierState? State { get; set; } = state;

    /// <summary>A hash of what an exact comparison looks at first (the live registers), to skip most loop checks cheaply.</summary>
    public int Fingerprint { get; } = fingerprint;

    /// <summary>What every state this one covers shares with it, read without touching the state (see <see cref="CoverSummary"/>).</summary>
    public CoverSummary Summary { get; } = CoverSummary.Of(state);

    public Checkpoint? Parent { get; } = parent;

    /// <summary>
    /// True once some path from this state relied on a relation (<see cref="Relations"/>): narrowed a
    /// range by it, ruled a branch out, proved a packet access or a loop's end, or ended at a state
    /// whose paths did. Until then the paths from here are those the ranges alone give, and pruning
    /// against this state need not compare relations.
    /// </summary>
    public bool RelationsUsed { get; set; }

    /// <summary>Paths from this state still being explored; 0 once every path from it is proven safe.</summary>
    public int Branches { get; set; } = 1;
}
