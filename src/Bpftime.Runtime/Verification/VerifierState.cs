namespace Bpftime.Verification;

/// <summary>The abstract machine state on one path: the call frames, the held references, the next instruction.</summary>
internal sealed class VerifierState
{
    public VerifierState(List<FrameState> frames)
    {
        Frames = frames;
    }

    public List<FrameState> Frames { get; }

    /// <summary>Ring-buffer records held: reference id and the instruction that reserved it.</summary>
    public List<(int Id, int Instruction)> References { get; private init; } = [];

    public int Pc { get; set; }

    /// <summary>The instruction that took the spin lock held on this path, or -1.</summary>
    public int LockHeldSince { get; set; } = -1;

    /// <summary>The checkpoint this path last passed (for loop detection and completion counting).</summary>
    public Checkpoint? Parent { get; set; }

    public FrameState Current => Frames[^1];

    public int CurrentFrame => Frames.Count - 1;

    public VerifierState Clone()
    {
        var frames = new List<FrameState>(Frames.Count);
        foreach (var frame in Frames)
        {
            frames.Add(frame.Clone());
        }
        return new VerifierState(frames) { References = [.. References], Pc = Pc, Parent = Parent, LockHeldSince = LockHeldSince };
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
internal sealed class Checkpoint(VerifierState state, Checkpoint? parent)
{
    public VerifierState State { get; } = state;

    public Checkpoint? Parent { get; } = parent;

    /// <summary>Paths from this state still being explored; 0 once every path from it is proven safe.</summary>
    public int Branches { get; set; } = 1;
}
