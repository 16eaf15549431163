namespace Bpftime.Maps;

/// <summary>
/// Called for each entry of a map in iteration order with the native addresses of its key and of its
/// value (the calling processor's copy for per-CPU maps); returns false to stop.
/// </summary>
public delegate bool MapEntryVisitor(nint key, nint value);
