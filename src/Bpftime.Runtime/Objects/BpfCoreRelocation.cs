namespace Bpftime.Objects;

/// <summary>
/// A compile-once-run-everywhere relocation on an instruction of a linked program: the local BTF
/// type, the access string ("0:1:2", member indexes from that type) and what to compute. Kept as
/// recorded; resolving it against a target's types is a later step.
/// </summary>
public sealed record BpfCoreRelocation(int InstructionIndex, uint TypeId, string AccessString, CoreRelocationKind Kind);
