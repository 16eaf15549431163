using System.Text.RegularExpressions;
using Bpftime.Isa;
using ELFSharp.ELF;
using ELFSharp.ELF.Sections;

namespace Bpftime.Tests.Isa;

public partial class DisassemblerTests
{
    /// <summary>
    /// Compares the Llvm syntax with what llvm-objdump-14 printed for objects in tests/data/isa
    /// (captured by its build.sh, not by this code). The symbolic target llvm-objdump appends to
    /// jumps (<c>&lt;LBB0_4&gt;</c>) is dropped: it comes from the symbol table, not the instruction.
    /// </summary>
    [Theory]
    [InlineData("objdump_sample.bpf")]
    [InlineData("opcodes")]
    public void LlvmSyntaxAgreesWithLlvmObjdump14(string name)
    {
        var directory = Path.Combine(TestPaths.DataDirectory, "isa");
        using var elf = ELFReader.Load(Path.Combine(directory, name + ".o"));
        var compared = 0;
        string? section = null;
        Instruction[] program = [];
        foreach (var line in File.ReadLines(Path.Combine(directory, name + ".objdump.txt")))
        {
            if (line.StartsWith("Disassembly of section ", StringComparison.Ordinal))
            {
                section = line["Disassembly of section ".Length..^1];
                var bytes = elf.Sections.Single(s => s.Name == section).GetContents();
                program = InstructionDecoder.Decode(bytes);
                continue;
            }
            var match = ObjdumpLine().Match(line);
            if (!match.Success)
            {
                continue;
            }
            var index = int.Parse(match.Groups["index"].Value, System.Globalization.CultureInfo.InvariantCulture);
            var expected = match.Groups["text"].Value;
            Instruction? next = index + 1 < program.Length ? program[index + 1] : null;
            Assert.True(
                expected == Disassembler.Disassemble(program[index], next),
                $"{section}+{index} ({match.Groups["bytes"].Value.Trim()}): llvm-objdump-14 printed '{expected}', the disassembler '{Disassembler.Disassemble(program[index], next)}'");
            compared++;
        }
        Assert.True(compared > 50, $"only {compared} lines compared");
    }

    [GeneratedRegex(@"^\s*(?<index>\d+):\t(?<bytes>[0-9a-f ]+)\t(?<text>.*?)(?: <[^<> ]+>)?$")]
    private static partial Regex ObjdumpLine();

    /// <summary>The forms LLVM 14 cannot decode are written as later LLVM releases write them.</summary>
    [Theory]
    [InlineData("sdiv %r1, %r2", "r1 s/= r2")]
    [InlineData("smod32 %r1, 3", "w1 s%= 3")]
    [InlineData("mod %r1, 3", "r1 %= 3")]
    [InlineData("movsx832 %r1, %r2", "w1 = (s8)w2")]
    [InlineData("movsx3264 %r1, %r2", "r1 = (s32)r2")]
    [InlineData("bswap16 %r1", "r1 = bswap16 r1")]
    [InlineData("ldxsb %r1, [%r2+2]", "r1 = *(s8 *)(r2 + 2)")]
    [InlineData("ldxsw %r1, [%r2-4]", "r1 = *(s32 *)(r2 - 4)")]
    [InlineData("stw [%r10-4], 7", "*(u32 *)(r10 - 4) = 7")]
    [InlineData("stdw [%r10-8], -1", "*(u64 *)(r10 - 8) = -1")]
    [InlineData("jset %r1, 8, +3", "if r1 & 8 goto +3")]
    [InlineData("jset32 %r1, %r2, -1", "if w1 & w2 goto -1")]
    [InlineData("ja32 +1", "gotol +1")]
    [InlineData("ja +0", "goto +0")]
    [InlineData("call %r2", "callx r2")]
    [InlineData("lock fetch add32 [%r10-8], %r1", "w1 = atomic_fetch_add((u32 *)(r10 - 8), w1)")]
    [InlineData("lock fetch and32 [%r10-8], %r1", "w1 = atomic_fetch_and((u32 *)(r10 - 8), w1)")]
    [InlineData("lock or32 [%r10-8], %r1", "lock *(u32 *)(r10 - 8) |= w1")]
    [InlineData("lock xchg32 [%r10-8], %r1", "w1 = xchg32_32(r10 - 8, w1)")]
    [InlineData("lock cmpxchg32 [%r10-8], %r1", "w0 = cmpxchg32_32(r10 - 8, w0, w1)")]
    public void LlvmSyntaxForFormsLlvm14DoesNotDecode(string source, string expected)
    {
        Assert.Equal(expected, Disassembler.Disassemble(Assembler.Assemble(source)[0]));
    }

    [Theory]
    [InlineData(0xff, 0, 0, 0, 0)]
    [InlineData(0x8c, 1, 2, 0, 0)] // neg with the register source bit
    [InlineData(0xdf, 1, 0, 0, 16)] // bswap with the register source bit
    [InlineData(0x86, 0, 0, 0, 1)] // call in JMP32
    [InlineData(0xe7, 1, 0, 0, 1)] // ALU operation 0xe0
    [InlineData(0xdb, 1, 2, 0, 0x02)] // atomic operation 2
    [InlineData(0x99, 1, 2, 0, 0)] // ldsx of a double word
    public void LlvmSyntaxMarksUndecodableInstructions(byte opcode, byte dst, byte src, short offset, int imm)
    {
        Assert.Equal("<unknown>", Disassembler.Disassemble(new Instruction(opcode, dst, src, offset, imm)));
    }

    [Fact]
    public void ProgramListingHasOneLinePerInstructionWithItsSlotIndex()
    {
        var program = Assembler.Assemble("lddw %r0, 1\nadd32 %r0, 2\nexit");
        Assert.Equal("     0:\tr0 = 1 ll\n     2:\tw0 += 2\n     3:\texit\n", Disassembler.Disassemble(program));
        var conformance = Disassembler.Disassemble(program, DisassemblySyntax.Conformance);
        Assert.Contains("lddw %r0, 0x1", conformance, StringComparison.Ordinal);
        Assert.EndsWith("# 3\n", conformance, StringComparison.Ordinal);
        Assert.Equal(program, Assembler.Assemble(conformance));
    }

    [Fact]
    public void TruncatedLoadImm64IsShownAsSuch()
    {
        var program = new[] { new Instruction(Opcodes.LoadImm64, 1, 0, 0, 5) };
        Assert.Equal("     0:\t<unknown>\n", Disassembler.Disassemble(program));
        Assert.Equal(program, Assembler.Assemble(Disassembler.Disassemble(program, DisassemblySyntax.Conformance)));
    }

    /// <summary>Fields no mnemonic spells survive the round trip through .raw.</summary>
    [Theory]
    [InlineData(0x07, 0, 1, 0, 1)] // add64 imm with src set
    [InlineData(0x0f, 0, 0, 1, 0)] // add64 reg with offset set
    [InlineData(0x95, 1, 0, 0, 0)] // exit with dst
    [InlineData(0x05, 0, 0, 0, 1)] // ja with imm
    [InlineData(0x8d, 2, 0, 0, 3)] // callx with imm
    [InlineData(0x85, 1, 0, 0, 3)] // call with dst
    [InlineData(0xbf, 1, 2, 7, 0)] // movsx of 7 bits
    [InlineData(0x79, 11, 2, 0, 0)] // r11
    [InlineData(0xff, 1, 2, 3, 4)] // no such opcode
    [InlineData(0x85, 0, 3, 0, 3)] // call src 3
    public void ConformanceSyntaxRoundTripsOddEncodings(byte opcode, byte dst, byte src, short offset, int imm)
    {
        var instruction = new Instruction(opcode, dst, src, offset, imm);
        var text = Disassembler.Disassemble(instruction, syntax: DisassemblySyntax.Conformance);
        Assert.StartsWith(".raw 0x", text, StringComparison.Ordinal);
        Assert.Equal([instruction], Assembler.Assemble(text));
    }

    [Fact]
    public void ConformanceSyntaxRoundTripsMapLoads()
    {
        Instruction[] program = [new Instruction(Opcodes.LoadImm64, 1, (byte)LoadImm64Source.MapValueByIndex, 0, 3), new Instruction(0, 0, 0, 0, 16), new Instruction(Opcodes.Exit, 0, 0, 0, 0)];
        var text = Disassembler.Disassemble(program, DisassemblySyntax.Conformance, withIndex: false);
        Assert.Equal(program, Assembler.Assemble(text));
        Assert.Equal("ld_pseudo\tr1, 6, 3", Disassembler.Disassemble(program[0], program[1]));
    }

    /// <summary>assemble(disassemble(assemble(file))) gives the same slots, for every conformance test file.</summary>
    [SkippableTheory]
    [MemberData(nameof(ConformanceVectors.TestFiles), MemberType = typeof(ConformanceVectors))]
    public void ConformanceSyntaxRoundTripsEveryTestFile(string name)
    {
        Skip.If(name == ConformanceVectors.Absent || TestPaths.ConformanceDirectory is null, ConformanceVectors.SkipReason);
        var program = ConformanceVectors.Load("tests", name).Program();
        var text = Disassembler.Disassemble(program, DisassemblySyntax.Conformance);
        Assert.DoesNotContain(".raw", text, StringComparison.Ordinal);
        Assert.Equal(program, Assembler.Assemble(text));
        // The Llvm listing decodes every instruction the suite uses.
        Assert.DoesNotContain("<unknown>", Disassembler.Disassemble(program), StringComparison.Ordinal);
    }

    /// <summary>Every opcode and field combination of one class survives the Conformance round trip.</summary>
    [Fact]
    public void ConformanceSyntaxRoundTripsEveryOpcode()
    {
        var random = new Random(9669);
        for (var opcode = 0; opcode < 256; opcode++)
        {
            for (var trial = 0; trial < 64; trial++)
            {
                var instruction = new Instruction(
                    (byte)opcode,
                    (byte)random.Next(0, 16),
                    (byte)(trial < 32 ? 0 : random.Next(0, 16)),
                    (short)(trial % 4 == 0 ? 0 : random.Next(short.MinValue, short.MaxValue + 1)),
                    trial % 3 == 0 ? 0 : random.Next(int.MinValue, int.MaxValue));
                Instruction? next = opcode == Opcodes.LoadImm64 ? new Instruction(0, 0, 0, 0, random.Next()) : null;
                var text = Disassembler.Disassemble(instruction, next, DisassemblySyntax.Conformance);
                var back = Assembler.Assemble(text);
                Assert.Equal(instruction, back[0]);
                if (next is { } second)
                {
                    Assert.Equal(second, back[1]);
                }
            }
        }
    }
}
