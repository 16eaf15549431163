using System.Text;
using Bpftime.Diagnostics;
using Bpftime.Isa;
using Bpftime.Objects;

namespace Bpftime.Tests.Objects;

/// <summary>
/// Raw bytecode has no header, so the reader decides by content and name what is bytecode: a text
/// file, a .o that is not ELF or a first word that is no instruction is named for what it is.
/// </summary>
public class InputRecognitionTests
{
    private static BpfException Refused(byte[] bytes, string path) => Assert.Throws<BpfException>(() => ObjectReader.Read(bytes, path));

    [Theory]
    [InlineData("x.bpf.o")]
    [InlineData("x.bin")]
    [InlineData("notes")]
    public void TextIsNotBytecode(string path)
    {
        // 40 bytes: a whole number of "instructions", so only the content gives it away.
        var text = Encoding.ASCII.GetBytes("# A heading\nSome prose about eBPF here.\n");
        Assert.Equal(40, text.Length);
        var error = Refused(text, path);
        Assert.Equal(DiagnosticCodes.ObjectNotRecognized, error.Code);
        Assert.Contains("text", error.Message);
    }

    [Fact]
    public void TheReadmeIsText()
    {
        var path = Path.Combine(TestPaths.RepositoryRoot, "README.md");
        var error = Assert.Throws<BpfException>(() => ObjectReader.ReadFile(path));
        Assert.Equal(DiagnosticCodes.ObjectNotRecognized, error.Code);
        Assert.Contains("text", error.Message);
    }

    [Fact]
    public void ADotOThatIsNotElfIsRefusedEvenWhenItDecodes()
    {
        var bytecode = InstructionDecoder.Encode([new(0xb7, 0, 0, 0, 42), new(Opcodes.Exit, 0, 0, 0, 0)]);
        Assert.Equal(ObjectKind.RawBytecode, ObjectReader.Read(bytecode, "answer.bin").Kind);
        var error = Refused(bytecode, "answer.o");
        Assert.Equal(DiagnosticCodes.ObjectNotRecognized, error.Code);
        Assert.Contains("not ELF", error.Message);
        Assert.Contains("binary data", error.Message);
    }

    [Fact]
    public void AFirstWordThatIsNoInstructionIsNotBytecode()
    {
        var bytes = InstructionDecoder.Encode([new(0xff, 0, 0, 0, 0), new(Opcodes.Exit, 0, 0, 0, 0)]);
        var error = Refused(bytes, "odd.bin");
        Assert.Equal(DiagnosticCodes.ObjectNotRecognized, error.Code);
        Assert.Contains("opcode 0xff", error.Message);
    }

    [Fact]
    public void BytecodeWhoseImmediatesAreTextIsStillBytecode()
    {
        // "AAAA" in every immediate: most bytes printable, but registers and offsets hold zeros.
        Instruction[] code = [new(0xb7, 0, 0, 0, 0x41414141), new(0x07, 0, 0, 0, 0x42424242), new(0x07, 0, 0, 0, 0x43434343), new(Opcodes.Exit, 0, 0, 0, 0)];
        var read = ObjectReader.Read(InstructionDecoder.Encode(code), "text-immediates.bin");
        Assert.Equal(ObjectKind.RawBytecode, read.Kind);
        Assert.Equal(code, read.Programs[0].Instructions);
    }

    [Theory]
    [InlineData("primes.bin")]
    [InlineData("memcpy.bin")]
    [InlineData("strcmp.bin")]
    [InlineData("log2.bin")]
    public void TheBenchmarkBytecodeFilesStayRawBytecode(string name)
    {
        var read = ObjectReader.ReadFile(Path.Combine(TestPaths.DataDirectory, "bench", name));
        Assert.Equal(ObjectKind.RawBytecode, read.Kind);
        Assert.NotEmpty(read.Programs[0].Instructions);
    }

    [Fact]
    public void ADirectoryIsNamedAsOne()
    {
        var error = Assert.Throws<BpfException>(() => ObjectReader.ReadFile(TestPaths.DataDirectory));
        Assert.Equal(DiagnosticCodes.ObjectPathIsDirectory, error.Code);
        Assert.Contains("is a directory", error.Message);
    }
}
