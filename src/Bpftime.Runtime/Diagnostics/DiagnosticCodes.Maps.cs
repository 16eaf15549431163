namespace Bpftime.Diagnostics;

/// <summary>Maps and helpers (BPF4200-4299). The array map owns BPF4200-4219.</summary>
public static partial class DiagnosticCodes
{
    /// <summary>An array map whose layout cannot exist: key not 4 bytes, value size or entry count zero, or too large.</summary>
    public const string InvalidArrayMapSpec = "BPF4200";

    /// <summary>An initial value longer than the map's value.</summary>
    public const string ArrayMapInitialValueTooLong = "BPF4201";

    /// <summary>A direct value address past the end of the value.</summary>
    public const string ArrayMapDirectValueOutOfRange = "BPF4202";

    /// <summary>A key or value span whose length does not match the map's key or value size.</summary>
    public const string ArrayMapWrongSize = "BPF4203";

    /// <summary>A map type other than BPF_MAP_TYPE_ARRAY given to <c>ArrayMap</c>.</summary>
    public const string ArrayMapWrongType = "BPF4204";
}
