using Bpftime.Helpers;

namespace Bpftime.Verification;

/// <summary>One function activation: its registers, its 512-byte stack, and where it returns to.</summary>
internal sealed class FrameState
{
    public const int RegisterCount = 11;

    public FrameState(int stackSize, int functionStart, int callSite)
    {
        Stack = new StackByte[stackSize];
        FunctionStart = functionStart;
        CallSite = callSite;
    }

    private FrameState(FrameState other)
    {
        Array.Copy(other.Registers, Registers, RegisterCount);
        Stack = (StackByte[])other.Stack.Clone();
        _spills = (RegisterState[]?)other._spills?.Clone();
        FunctionStart = other.FunctionStart;
        CallSite = other.CallSite;
        Callback = other.Callback;
        CallbackEntry = other.CallbackEntry;
        Calls = other.Calls;
    }

    public RegisterState[] Registers { get; } = new RegisterState[RegisterCount];

    /// <summary>Byte i is at r10 - Stack.Length + i.</summary>
    public StackByte[] Stack { get; }

    private RegisterState[]? _spills;

    /// <summary>
    /// The register spilled into each 8-byte slot (valid where its bytes are <see cref="StackByte.Spill"/>).
    /// Allocated at the first spill: most frames never spill, and states are copied often.
    /// </summary>
    public RegisterState[] Spills => _spills ??= new RegisterState[SlotCount];

    /// <summary>True once some register was spilled into this frame (its spill slots are allocated).</summary>
    public bool HasSpills => _spills is not null;

    /// <summary>The number of 8-byte slots of the stack.</summary>
    public int SlotCount => Stack.Length / 8;

    /// <summary>The first instruction of the function this frame runs.</summary>
    public int FunctionStart { get; }

    /// <summary>The call instruction in the caller (-1 for the program itself).</summary>
    public int CallSite { get; }

    /// <summary>For a callback frame: how the helper calls it.</summary>
    public CallbackKind Callback { get; init; }

    /// <summary>
    /// How many times this frame may run per run of the program: the product of the call counts of
    /// the callback helpers (bpf_loop, for_each_map_elem) around it.
    /// </summary>
    public long Calls { get; init; } = 1;

    /// <summary>For a callback frame: the whole state when the callback was entered (to iterate it to a fixpoint).</summary>
    public VerifierState? CallbackEntry { get; set; }

    public FrameState Clone() => new(this);
}
