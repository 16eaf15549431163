using Bpftime.Engines;
using Bpftime.Engines.X64;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;
using Iced.Intel;
using Instruction = Bpftime.Isa.Instruction;

namespace Bpftime.Tests.Engines.X64;

/// <summary>
/// The jit starts a small loop's back-edge target on a 64-byte line, with padding that runs as nops (or
/// that nothing runs), leaves large loops where they fall, and a program made of loops cannot make the
/// padding outgrow its code.
/// </summary>
public sealed class JitLoopAlignmentTests
{
    private static readonly HelperTable NoHelpers = new("none");

    private static CompiledProgram Compile(Instruction[] code, bool verified, bool terminationProven) =>
        X64Compiler.Compile(new ProgramImage("loops", code, NoHelpers) { Verified = verified, TerminationProven = terminationProven },
            new JitBindings(0x1234_5678, h => h.NativeEntry, _ => 0x5678));

    /// <summary>The body's instructions, decoded from its first byte to the end of the last eBPF instruction.</summary>
    private static List<Iced.Intel.Instruction> DecodeBody(CompiledProgram compiled)
    {
        var reader = new ByteArrayCodeReader(compiled.Code, compiled.BodyEntryOffset, compiled.InstructionOffsets[^1] - compiled.BodyEntryOffset);
        var decoder = Iced.Intel.Decoder.Create(64, reader, (ulong)compiled.BodyEntryOffset);
        var instructions = new List<Iced.Intel.Instruction>();
        while (reader.CanReadByte)
        {
            var instruction = decoder.Decode();
            Assert.False(instruction.IsInvalid, $"invalid code at 0x{instruction.IP:x}");
            instructions.Add(instruction);
        }
        return instructions;
    }

    private static IEnumerable<ulong> BackwardTargets(List<Iced.Intel.Instruction> body) =>
        body.Where(i => i.FlowControl is FlowControl.ConditionalBranch or FlowControl.UnconditionalBranch
                && i.Op0Kind is OpKind.NearBranch64 && i.NearBranchTarget <= i.IP)
            .Select(i => i.NearBranchTarget);

    private static Instruction[] Kernel(string name) =>
        InstructionDecoder.Decode(File.ReadAllBytes(Path.Combine(TestPaths.DataDirectory, "bench", name + ".bin")), name);

    /// <summary>Targets of the program's backward jumps.</summary>
    private static List<int> LoopHeads(Instruction[] code) =>
        [.. Enumerable.Range(0, code.Length).Where(h => code.Select((insn, i) => (insn, i)).Any(j => j.insn.Class is InstructionClass.Jmp or InstructionClass.Jmp32
            && j.insn.JumpOperation is not (JumpOperation.Call or JumpOperation.Exit) && j.i + 1 + j.insn.Offset == h && h <= j.i))];

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, false)]
    public void TheCopyKernelsLoopStartsOnALine(bool verified, bool terminationProven)
    {
        var code = Kernel("memcpy");
        var compiled = Compile(code, verified, terminationProven);
        var targets = BackwardTargets(DecodeBody(compiled)).ToHashSet();
        var head = Assert.Single(LoopHeads(code));
        // The back-edge lands on the head or, in code that counts, on the budget's spend just above it.
        var offset = (ulong)compiled.InstructionOffsets[head];
        Assert.Contains(targets, t => t % 64 == 0 && t <= offset && offset - t < 32);
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public void TheSwitchKernelsCasesAreNotPadded(bool verified, bool terminationProven)
    {
        // Its loop runs from the join after the cases through a jump table and back from each case,
        // 240 instructions on: larger than a line whatever its start, so left where it falls.
        var compiled = Compile(Kernel("switch"), verified, terminationProven);
        Assert.DoesNotContain(DecodeBody(compiled), i => i.Mnemonic == Mnemonic.Nop);
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, false)]
    public void PaddingThatRunsIsNopsAndTheLoopStillComputes(bool verified, bool terminationProven)
    {
        var padded = 0;
        for (var moves = 0; moves < 16; moves++)
        {
            // r3 = k (moves times, to move the head within its line); r0 = 0; r2 = 1000;
            // loop: r0 += r2; r2 -= 1; if r2 != 0 goto loop; exit: the sum 500500.
            var code = new List<Instruction>();
            for (var k = 0; k < moves; k++)
            {
                code.Add(new(0xb7, 3, 0, 0, k));
            }
            code.AddRange([new(0xb7, 0, 0, 0, 0), new(0xb7, 2, 0, 0, 1000), new(0x0f, 0, 2, 0, 0), new(0x17, 2, 0, 0, 1), new(0x55, 2, 0, -3, 0), new(0x95, 0, 0, 0, 0)]);
            var compiled = Compile([.. code], verified, terminationProven);
            var body = DecodeBody(compiled);
            var head = Assert.Single(BackwardTargets(body).Distinct());
            Assert.Equal(0UL, head % 64);
            var before = body.TakeWhile(i => i.IP < head).ToList();
            var padding = before.AsEnumerable().Reverse().TakeWhile(i => i.Mnemonic is Mnemonic.Nop or Mnemonic.Int3).ToList();
            if (padding.Count > 0)
            {
                padded++;
                if (padding.Any(i => i.Mnemonic == Mnemonic.Int3))
                {
                    // Padding that does not run: all of it int3, behind a jump.
                    Assert.All(padding, i => Assert.Equal(Mnemonic.Int3, i.Mnemonic));
                    Assert.Equal(FlowControl.UnconditionalBranch, before[before.Count - padding.Count - 1].FlowControl);
                }
            }
            using var jit = X64JitEngine.Instance.Load(new ProgramImage("loops", code.ToArray(), NoHelpers) { Verified = verified, TerminationProven = terminationProven }, EngineOptions.Default);
            Assert.Equal(500500UL, jit.Execute(0, 0));
        }
        Assert.True(padded >= 8, $"only {padded} of 16 placements needed padding");
    }

    [Fact]
    public void AProgramOfTinyLoopsCannotPadMoreThanItsCode()
    {
        // 2,000 loops of five instructions each: r0 += 1 until it is a multiple of 4.
        var code = new List<Instruction> { new(0xb7, 0, 0, 0, 0) };
        for (var i = 0; i < 2000; i++)
        {
            code.Add(new(0x07, 0, 0, 0, 1));
            code.Add(new(0x57, 1, 0, 0, 0));
            code.Add(new(0xbf, 1, 0, 0, 0));
            code.Add(new(0x57, 1, 0, 0, 3));
            code.Add(new(0x55, 1, 0, -5, 0));
        }
        code.Add(new(0x95, 0, 0, 0, 0));
        var compiled = Compile([.. code], verified: true, terminationProven: true);
        var body = DecodeBody(compiled);
        var padding = body.Where(i => i.Mnemonic is Mnemonic.Nop or Mnemonic.Int3).Sum(i => i.Length);
        // The prologue counts as code: the bound is on everything emitted before each pad.
        var rest = compiled.InstructionOffsets[^1] - padding;
        Assert.True(padding > 0);
        Assert.True(padding <= rest, $"{padding} bytes of padding for {rest} bytes of code");
    }
}
