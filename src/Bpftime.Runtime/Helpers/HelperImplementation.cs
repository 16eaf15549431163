namespace Bpftime.Helpers;

/// <summary>A helper's body: five 64-bit arguments (r1-r5 at the call), one 64-bit result (r0).</summary>
public delegate ulong HelperImplementation(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5);
