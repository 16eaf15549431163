using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Maps;

namespace Bpftime.Benchmarks;

/// <summary>
/// One program in both of its forms: eBPF bytecode for the engines, and the same C compiled natively
/// (<see cref="NativeObject"/>, whose global function <see cref="NativeSymbol"/> is the program).
/// Map <c>N</c> of <see cref="Maps"/> is what ld_imm64 index N and <c>_bpf_map_handle_N</c> both name.
/// </summary>
internal sealed record BenchProgram(string Name, Instruction[] Code, byte[] NativeObject, string NativeSymbol, HelperTable Helpers)
{
    public IReadOnlyList<BpfMap> Maps { get; init; } = [];
}
