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

    /// <summary>A map whose layout its type cannot have (key or value size, entry count, flags), or too large to allocate.</summary>
    public const string InvalidMapSpec = "BPF4220";

    /// <summary>A key or value given by the host whose length does not match the map.</summary>
    public const string MapWrongSize = "BPF4221";

    /// <summary>A map created with a type its class does not implement.</summary>
    public const string MapWrongType = "BPF4222";

    /// <summary>A typed view whose key or value type does not have the map's key or value size, or does not fit the map's kind.</summary>
    public const string MapViewMismatch = "BPF4223";

    /// <summary>A program put into a PROG_ARRAY that cannot be a tail-call target there (other engine, other object, disposed).</summary>
    public const string InvalidTailCallTarget = "BPF4224";

    /// <summary>A ring buffer read failed: a record header is corrupt or the reader was disposed.</summary>
    public const string RingBufferCorrupt = "BPF4225";

    /// <summary>An object's maps together would need more memory than the limit allows (BpfLoadOptions.MaxMapMemory, BpfMaxMapMemory, --max-map-memory).</summary>
    public const string MapMemoryLimitExceeded = "BPF4226";

    /// <summary>A map put into a map of maps that declares no inner map template (no __array(values, ...) or inner_map_idx): such a map holds nothing.</summary>
    public const string MapOfMapsWithoutTemplate = "BPF4240";

    /// <summary>A map put into a map of maps that does not match its inner map template (type, key or value size, flags, max_entries, spin lock), or a map index naming no map.</summary>
    public const string InnerMapIncompatible = "BPF4241";

    /// <summary>A map of maps' `.values` initialiser names a map the object's maps do not include.</summary>
    public const string MapSlotTargetMissing = "BPF4242";
}
