namespace Bpftime.Objects;

/// <summary>The start of a function (the program or an appended subprogram) and its BTF FUNC type.</summary>
public sealed record BpfFuncInfo(int InstructionIndex, uint TypeId, string Name);
