namespace Bpftime.Linking.Native;

/// <summary>Where the support routines read their pointers: block offsets of slots in the read-only data pages.</summary>
internal sealed record AotSupportSlots(
    int FrameCallbackSlot,
    int DispatchTable,
    int DispatchTableLength,
    int[] CheckedHelperSlots,
    int[] StubSlots);
