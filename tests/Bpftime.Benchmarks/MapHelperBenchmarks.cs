using BenchmarkDotNet.Attributes;
using Bpftime.Engines;
using Bpftime.Engines.Interpreter;
using Bpftime.Engines.X64;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Maps;
using Bpftime.Objects;

namespace Bpftime.Benchmarks;

/// <summary>
/// Map helpers called from a program: each run makes <see cref="CallsPerRun"/> calls of lookup or
/// update on an array or a hash map, or (delete) <see cref="CallsPerRun"/> pairs of a delete and a
/// re-insertion (BPF_NOEXIST) of the key (run with --bdn; divide by <see cref="CallsPerRun"/> for one
/// call, or one pair).
/// </summary>
[MemoryDiagnoser]
public class MapHelperBenchmarks
{
    public const int CallsPerRun = 1000;

    private IBpfExecutable _executable = null!;
    private BpfMap _map = null!;

    [Params("interpreter", "jit")]
    public string Engine { get; set; } = "";

    [Params("array", "hash")]
    public string Map { get; set; } = "";

    [Params(HelperIds.MapLookupElem, HelperIds.MapUpdateElem, HelperIds.MapDeleteElem)]
    public int Helper { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _map = Map == "array"
            ? ArrayMap.Create("values", 8, 16)
            : new HashMap(new MapSpec("values", MapType.Hash, 4, 8, 16));
        _map.Update(BitConverter.GetBytes(3), BitConverter.GetBytes(7L), 0);
        IBpfEngine engine = Engine == "jit" ? X64JitEngine.Instance : InterpreterEngine.Instance;
        _executable = engine.Load(new ProgramImage("calls", CallLoop(Helper), StandardHelpers.CreateDefault()) { Maps = [_map], Verified = true }, EngineOptions.Default);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _executable.Dispose();
        _map.Dispose();
    }

    [Benchmark(OperationsPerInvoke = CallsPerRun)]
    public ulong Call() => _executable.Execute(0, 0);

    /// <summary>key 3 at r10-4, value 7 at r10-16; CallsPerRun times: helper(map, key, value, 0) (delete: then update(map, key, value, BPF_NOEXIST)).</summary>
    private static Instruction[] CallLoop(int helper)
    {
        static Instruction Alu(AluOperation op, int dst, int imm) => new(Opcodes.Alu(InstructionClass.Alu64, op, OperandSource.Immediate), (byte)dst, 0, 0, imm);
        static Instruction Move(int dst, int src) => new(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Mov, OperandSource.Register), (byte)dst, (byte)src, 0, 0);
        var code = new List<Instruction>
        {
            Alu(AluOperation.Mov, 6, CallsPerRun),
            new(Opcodes.Memory(InstructionClass.St, MemoryMode.Mem, MemorySize.Word), 10, 0, -4, 3),
            new(Opcodes.Memory(InstructionClass.St, MemoryMode.Mem, MemorySize.DoubleWord), 10, 0, -16, 7),
        };
        var loop = code.Count;
        void Call(int id, int flags)
        {
            code.Add(new(Opcodes.LoadImm64, 1, (byte)LoadImm64Source.MapByIndex, 0, 0));
            code.Add(new(0, 0, 0, 0, 0));
            code.Add(Move(2, 10));
            code.Add(Alu(AluOperation.Add, 2, -4));
            code.Add(Move(3, 10));
            code.Add(Alu(AluOperation.Add, 3, -16));
            code.Add(Alu(AluOperation.Mov, 4, flags));
            code.Add(new(Opcodes.Call, 0, 0, 0, id));
        }
        Call(helper, 0);
        if (helper == HelperIds.MapDeleteElem)
        {
            Call(HelperIds.MapUpdateElem, (int)MapUpdateFlags.NoExist);
        }
        code.Add(Alu(AluOperation.Sub, 6, 1));
        code.Add(new(Opcodes.Jump(InstructionClass.Jmp, JumpOperation.Jne, OperandSource.Immediate), 6, 0, (short)(loop - (code.Count + 1)), 0));
        code.Add(Alu(AluOperation.Mov, 0, 0));
        code.Add(new(Opcodes.Exit, 0, 0, 0, 0));
        return [.. code];
    }
}
