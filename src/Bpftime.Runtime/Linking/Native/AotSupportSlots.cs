namespace Bpftime.Linking.Native;

/// <summary>Where the support routines read their pointers: block offsets of slots in the read-only data pages.</summary>
internal sealed class AotSupportSlots(int frameCallbackSlot, int dispatchTable, int dispatchTableLength, int[] checkedHelperSlots, int[] stubSlots)
{
    public int FrameCallbackSlot => frameCallbackSlot;

    public int DispatchTable => dispatchTable;

    public int DispatchTableLength => dispatchTableLength;

    public int[] CheckedHelperSlots => checkedHelperSlots;

    public int[] StubSlots => stubSlots;
}
