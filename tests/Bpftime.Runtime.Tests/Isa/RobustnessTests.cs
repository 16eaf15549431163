using Bpftime.Diagnostics;
using Bpftime.Isa;

namespace Bpftime.Tests.Isa;

/// <summary>Bad input of any shape comes back as a BpfException or diagnostics, never as another exception.</summary>
public class RobustnessTests
{
    private static readonly string[] Pieces =
    [
        "mov", "add32", "lddw", "ldxw", "stxdw", "stb", "jeq", "ja", "ja32", "call", "local", "lock", "fetch", "xchg", "cmpxchg32",
        "exit", "le16", "movsx832", ".raw", "%r1", "%r10", "%r11", "%r", "%", "r1", "[%r1+4]", "[%r10-8]", "[", "]", "[]", "[+]",
        "[%r1+]", "[%r1-0x]", "0x", "0xffffffffffffffffff", "-", "+", "+1", "-32769", "2147483648", "-9223372036854775809", "label",
        "label:", ":", ",", ",,", "#", "1abc", "exit:", "\t", " ",
    ];

    [Fact]
    public void AssemblerRefusesGarbageWithBpfExceptionsOnly()
    {
        var random = new Random(1150);
        for (var trial = 0; trial < 20000; trial++)
        {
            var lines = new string[random.Next(1, 4)];
            for (var l = 0; l < lines.Length; l++)
            {
                var words = new string[random.Next(0, 6)];
                for (var w = 0; w < words.Length; w++)
                {
                    words[w] = Pieces[random.Next(Pieces.Length)];
                }
                lines[l] = string.Join(random.Next(2) == 0 ? " " : ", ", words);
            }
            var source = string.Join('\n', lines);
            try
            {
                var program = Assembler.Assemble(source);
                ProgramValidator.Validate(program);
                Disassembler.Disassemble(program);
            }
            catch (BpfException error)
            {
                Assert.StartsWith("BPF11", error.Code, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void ValidatorAndDisassemblerTakeAnySlots()
    {
        var random = new Random(1101);
        var bytes = new byte[8 * 64];
        for (var trial = 0; trial < 2000; trial++)
        {
            random.NextBytes(bytes);
            var program = InstructionDecoder.Decode(bytes.AsSpan(0, 8 * random.Next(0, 65)));
            var diagnostics = ProgramValidator.Validate(program);
            Assert.All(diagnostics, d => Assert.StartsWith("BPF11", d.Code, StringComparison.Ordinal));
            Assert.Equal(program, Assembler.Assemble(Disassembler.Disassemble(program, DisassemblySyntax.Conformance)));
            Disassembler.Disassemble(program);
        }
    }
}
