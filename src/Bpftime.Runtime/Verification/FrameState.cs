namespace Bpftime.Verification;

/// <summary>One function activation: its registers, its 512-byte stack, and where it returns to.</summary>
internal sealed class FrameState
{
    public const int RegisterCount = 11;

    public FrameState(int stackSize, int functionStart, int callSite)
    {
        Stack = new StackByte[stackSize];
        Spills = new RegisterState[stackSize / 8];
        FunctionStart = functionStart;
        CallSite = callSite;
    }

    private FrameState(FrameState other)
    {
        Array.Copy(other.Registers, Registers, RegisterCount);
        Stack = (StackByte[])other.Stack.Clone();
        Spills = (RegisterState[])other.Spills.Clone();
        FunctionStart = other.FunctionStart;
        CallSite = other.CallSite;
        Callback = other.Callback;
        CallbackEntry = other.CallbackEntry;
    }

    public RegisterState[] Registers { get; } = new RegisterState[RegisterCount];

    /// <summary>Byte i is at r10 - Stack.Length + i.</summary>
    public StackByte[] Stack { get; }

    /// <summary>The register spilled into each 8-byte slot (valid where its bytes are <see cref="StackByte.Spill"/>).</summary>
    public RegisterState[] Spills { get; }

    /// <summary>The first instruction of the function this frame runs.</summary>
    public int FunctionStart { get; }

    /// <summary>The call instruction in the caller (-1 for the program itself).</summary>
    public int CallSite { get; }

    /// <summary>For a callback frame: how the helper calls it.</summary>
    public CallbackKind Callback { get; init; }

    /// <summary>For a callback frame: the whole state when the callback was entered (to iterate it to a fixpoint).</summary>
    public VerifierState? CallbackEntry { get; set; }

    public FrameState Clone() => new(this);
}
