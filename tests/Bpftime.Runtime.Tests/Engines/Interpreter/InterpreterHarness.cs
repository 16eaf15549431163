using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Engines.Interpreter;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Maps;

namespace Bpftime.Runtime.Tests.Engines.Interpreter;

/// <summary>Builds, loads and runs small programs on the interpreter for the tests.</summary>
internal static class InterpreterHarness
{
    public static Instruction[] Assemble(string source) => Assembler.Assemble(source, "test");

    public static ProgramImage Image(Instruction[] program, HelperTable? helpers = null, IReadOnlyList<BpfMap>? maps = null, bool verified = false) =>
        new("test", program, helpers ?? ConformanceHelpers.Create()) { Maps = maps ?? [], Verified = verified };

    public static IBpfExecutable Load(Instruction[] program, HelperTable? helpers = null, IReadOnlyList<BpfMap>? maps = null, bool verified = false) =>
        InterpreterEngine.Instance.Load(Image(program, helpers, maps, verified), EngineOptions.Default);

    public static ulong Run(string source, byte[]? memory = null, HelperTable? helpers = null, IReadOnlyList<BpfMap>? maps = null, bool verified = false) =>
        Run(Assemble(source), memory, helpers, maps, verified);

    public static ulong Run(Instruction[] program, byte[]? memory = null, HelperTable? helpers = null, IReadOnlyList<BpfMap>? maps = null, bool verified = false)
    {
        using var executable = Load(program, helpers, maps, verified);
        return memory is null ? executable.Execute(0, 0) : executable.Run(memory);
    }

    /// <summary>Runs and expects a fault; returns its diagnostic after checking the code and instruction index.</summary>
    public static BpfDiagnostic Fault(string code, int instruction, string source, byte[]? memory = null, HelperTable? helpers = null, IReadOnlyList<BpfMap>? maps = null) =>
        Fault(code, instruction, Assemble(source), memory, helpers, maps);

    public static BpfDiagnostic Fault(string code, int instruction, Instruction[] program, byte[]? memory = null, HelperTable? helpers = null, IReadOnlyList<BpfMap>? maps = null)
    {
        var fault = Assert.Throws<BpfException>(() => Run(program, memory, helpers, maps));
        Assert.Equal(code, fault.Code);
        Assert.Equal(instruction, fault.Diagnostic.InstructionIndex);
        Assert.Equal("test", fault.Diagnostic.Program);
        return fault.Diagnostic;
    }

    /// <summary>Loading must be refused with <paramref name="code"/>.</summary>
    public static BpfDiagnostic Refused(string code, Instruction[] program, IReadOnlyList<BpfMap>? maps = null)
    {
        var refusal = Assert.Throws<BpfException>(() => Load(program, maps: maps).Dispose());
        Assert.Equal(code, refusal.Code);
        return refusal.Diagnostic;
    }

    /// <summary>Turns the ld_imm64 at <paramref name="index"/> into one with the given src and immediates.</summary>
    public static Instruction[] WithLoadImm64(this Instruction[] program, int index, LoadImm64Source source, int imm, int secondImm = 0)
    {
        var copy = (Instruction[])program.Clone();
        Assert.True(copy[index].IsLoadImm64, $"instruction {index} is not ld_imm64");
        copy[index] = new Instruction(Opcodes.LoadImm64, copy[index].Dst, (byte)source, 0, imm);
        copy[index + 1] = new Instruction(0, 0, 0, 0, secondImm);
        return copy;
    }

    public static HelperTable HelpersWith(params HelperFunction[] helpers)
    {
        var table = ConformanceHelpers.Create();
        foreach (var helper in helpers)
        {
            table.Add(helper);
        }
        return table;
    }

    public static HelperFunction Helper(int id, HelperImplementation body, bool stopsOnZero = false) =>
        new(id, "test_helper_" + id, HelperPrototype.Unchecked, body, stopsOnZero);
}
