using Bpftime.Isa;
using Bpftime.Objects.Linking;

namespace Bpftime.Tests.Isa;

/// <summary>
/// The compiler builtins are written in C# (the runtime carries no text assembler); this holds them to
/// their documented assembly, slot for slot, as the text assembler reads it.
/// </summary>
public class CompilerBuiltinSourceTests
{
    private const string Memset = """
        mov %r0, %r1
        and %r2, 0xff
        jlt %r3, 8, bytes
        mov %r4, %r2
        mul %r4, 0x01010101
        mov %r5, %r4
        lsh %r5, 32
        or %r4, %r5
        words:
        stxdw [%r1], %r4
        add %r1, 8
        sub %r3, 8
        jge %r3, 8, words
        bytes:
        jeq %r3, 0, done
        stxb [%r1], %r2
        add %r1, 1
        sub %r3, 1
        ja bytes
        done:
        exit
        """;

    private const string CopyForward = """
        words:
        jlt %r3, 8, bytes
        ldxdw %r4, [%r2]
        stxdw [%r1], %r4
        add %r1, 8
        add %r2, 8
        sub %r3, 8
        ja words
        bytes:
        jeq %r3, 0, done
        ldxb %r4, [%r2]
        stxb [%r1], %r4
        add %r1, 1
        add %r2, 1
        sub %r3, 1
        ja bytes
        """;

    private const string Memcpy = "mov %r0, %r1\n" + CopyForward + "\ndone:\nexit\n";

    private const string Memmove = "mov %r0, %r1\njgt %r1, %r2, backward\n" + CopyForward + """

        backward:
        jlt %r3, 8, back_bytes
        sub %r3, 8
        mov %r4, %r2
        add %r4, %r3
        ldxdw %r5, [%r4]
        mov %r4, %r1
        add %r4, %r3
        stxdw [%r4], %r5
        ja backward
        back_bytes:
        jeq %r3, 0, done
        sub %r3, 1
        mov %r4, %r2
        add %r4, %r3
        ldxb %r5, [%r4]
        mov %r4, %r1
        add %r4, %r3
        stxb [%r4], %r5
        ja back_bytes
        done:
        exit
        """;

    private const string Memcmp = """
        mov %r0, 0
        words:
        jlt %r3, 8, bytes
        ldxdw %r4, [%r1]
        ldxdw %r5, [%r2]
        jne %r4, %r5, word_differs
        add %r1, 8
        add %r2, 8
        sub %r3, 8
        ja words
        word_differs:
        mov %r3, 8
        bytes:
        jeq %r3, 0, done
        ldxb %r4, [%r1]
        ldxb %r5, [%r2]
        jne %r4, %r5, differ
        add %r1, 1
        add %r2, 1
        sub %r3, 1
        ja bytes
        differ:
        mov %r0, %r4
        sub %r0, %r5
        done:
        exit
        """;

    [Theory]
    [InlineData("memset", Memset)]
    [InlineData("memcpy", Memcpy)]
    [InlineData("memmove", Memmove)]
    [InlineData("memcmp", Memcmp)]
    public void BuiltinIsItsDocumentedAssembly(string name, string source)
    {
        Assert.True(CompilerBuiltins.TryGet(name, out var code));
        Assert.Equal(Assembler.Assemble(source, name), code);
    }
}
