namespace Bpftime.Hosting;

/// <summary>One field of a host-declared context struct: where it is, how big, and whether programs may write it.</summary>
public sealed record BpfContextField(string Name, int Offset, int Size, bool Writable);
