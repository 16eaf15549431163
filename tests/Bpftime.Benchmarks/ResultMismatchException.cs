namespace Bpftime.Benchmarks;

/// <summary>Two levels returned different r0 for the same program and input: every figure of that program is meaningless.</summary>
internal sealed class ResultMismatchException(string message) : Exception(message);
