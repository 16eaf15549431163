using Bpftime.Diagnostics;
using Bpftime.Isa;
using Bpftime.Isa.Conformance;

namespace Bpftime.Tests.Isa;

public class ConformanceFileTests
{
    [Fact]
    public void ReadsEverySection()
    {
        var file = ConformanceFile.Parse("""
            # Copyright line
            # SPDX-License-Identifier: MIT
            -- c
            #include <stdint.h>
            -- asm
            lddw %r0, 0x1122334455667788 # comment
            exit
            -- raw
            0x5566778800000018
            0x1122334400000000
            95 00 00 00 00 00 00 00
            -- mem
            00 01 02
            ff  # trailing comment
            -- no register offset
            call instruction
            -- result
            0x1122334455667788
            """, "sample");
        Assert.Equal("sample", file.Name);
        Assert.Equal(6, file.AssemblyLine);
        Assert.Equal("lddw %r0, 0x1122334455667788 # comment\nexit\n", file.Assembly);
        Assert.Equal([0x5566778800000018UL, 0x1122334400000000UL, 0x95UL], file.Raw);
        Assert.Equal([0x00, 0x01, 0x02, 0xff], file.Memory);
        Assert.Equal(0x1122334455667788UL, file.ExpectedResult);
        Assert.Null(file.ExpectedError);
        Assert.True(file.HasProgram);
        Assert.Equal(Assembler.Assemble(file.Assembly), file.Program());
        Assert.Equal(file.RawInstructions, file.Program());
    }

    [Fact]
    public void ReadsRefusalsAndDecimalResults()
    {
        var refusal = ConformanceFile.Parse("-- asm\nlock\nexit\n-- error\nInvalid number of operands for lock\n", "n");
        Assert.Equal("Invalid number of operands for lock", refusal.ExpectedError);
        Assert.Null(refusal.ExpectedResult);
        Assert.Null(refusal.Raw);
        Assert.Empty(refusal.Memory);

        var emptyError = ConformanceFile.Parse("-- raw\n95 00 00 00 00 00 00 00\n-- error\n", "e");
        Assert.Equal(string.Empty, emptyError.ExpectedError);

        Assert.Equal(42UL, ConformanceFile.Parse("-- result\n42\n", "d").ExpectedResult);
        Assert.Equal(ulong.MaxValue, ConformanceFile.Parse("-- result\n-1\n", "d").ExpectedResult);
    }

    [Fact]
    public void AnEmptyFileHasNoProgram()
    {
        var file = ConformanceFile.Parse("# nothing\n", "empty");
        Assert.False(file.HasProgram);
        Assert.Empty(file.Program());
    }

    [Fact]
    public void AssemblerErrorsPointIntoTheFile()
    {
        var file = ConformanceFile.Parse("# header\n-- asm\nmov %r0, 1\nbogus\n", "f");
        var error = Assert.Throws<BpfException>(() => file.Program());
        Assert.Equal(4, error.Diagnostic.Line);
        Assert.Equal(AssemblerDiagnosticCodes.AssemblerUnknownMnemonic, error.Code);
    }

    [Theory]
    [InlineData("-- raw\n95 00 00\n")]
    [InlineData("-- raw\n95 00 00 00 00 00 00 00 00\n")]
    [InlineData("-- raw\n0xzz\n")]
    [InlineData("-- mem\n0g\n")]
    [InlineData("-- mem\n100\n")]
    [InlineData("-- result\nabc\n")]
    public void MalformedSectionsAreRefusedWithTheLine(string text)
    {
        var error = Assert.Throws<BpfException>(() => ConformanceFile.Parse("# x\n" + text, "bad", "bad.data"));
        Assert.Equal(AssemblerDiagnosticCodes.ConformanceFileMalformed, error.Code);
        Assert.Equal(3, error.Diagnostic.Line);
        Assert.Equal("bad.data", error.Diagnostic.File);
    }
}
