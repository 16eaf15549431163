using System.Globalization;
using Bpftime.Helpers;
using Bpftime.Linking.Native;
using Iced.Intel;

namespace Bpftime.Runtime.Tests.Engines.Aot;

/// <summary>
/// The linker's own bookkeeping where it replaced framework helpers for start-up: its helper- and
/// map-symbol index parser against the framework's, and its code buffer past the sizes it starts with.
/// </summary>
public class AotLinkBookkeepingTests
{
    [Theory]
    [InlineData("0")]
    [InlineData("7")]
    [InlineData("007")]
    [InlineData("2147483647")]
    [InlineData("2147483648")]
    [InlineData("99999999999999999999")]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("1a")]
    [InlineData("0x1")]
    [InlineData("1_2")]
    [InlineData("\u0661")] // an Arabic-Indic digit one
    [InlineData("\uff11")] // a full-width digit one
    public void MapSymbolIndexIsReadAsTheFrameworkReadsIt(string digits)
    {
        const string Prefix = "_bpf_map_value_";
        var expected = int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var expectedIndex);
        var actual = AotLinkJob.TryParseMapSymbol(Prefix + digits, Prefix, out var actualIndex);
        Assert.Equal(expected, actual);
        Assert.Equal(expected ? expectedIndex : 0, actualIndex);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("0006")]
    [InlineData("2147483647")]
    [InlineData("2147483648")]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("+6")]
    [InlineData(" 6")]
    [InlineData("6a")]
    [InlineData("\u0666")] // an Arabic-Indic digit six
    public void HelperSymbolIdIsReadAsTheFrameworkReadsIt(string digits)
    {
        var expected = int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var expectedId);
        var actual = HelperSymbols.TryParse(HelperSymbols.Prefix + digits, out var actualId);
        Assert.Equal(expected, actual);
        Assert.Equal(expected ? expectedId : 0, actualId);
        Assert.False(HelperSymbols.TryParse("_bpf_helper_" + digits, out _));
    }

    [Fact]
    public void MapSymbolWithAnotherPrefixIsNotRead() =>
        Assert.False(AotLinkJob.TryParseMapSymbol("_bpf_map_handle_3", "_bpf_map_value_", out _));

    [Fact]
    public void SupportCodeForManyHelpersReachesEverySlot()
    {
        // More wrappers and stubs than the writer's first buffer, label and fixup arrays hold.
        const int Count = 70;
        const int FirstSlot = 0x10000;
        var checkedSlots = Enumerable.Range(0, Count).Select(i => FirstSlot + (8 * i)).ToArray();
        var stubSlots = Enumerable.Range(0, Count).Select(i => FirstSlot + (8 * (Count + i))).ToArray();
        var (code, entries) = AotSupportCode.Emit(0, new AotSupportSlots(0x8000, 0x9000, 4, checkedSlots, stubSlots), withDispatcher: true);
        Assert.True(code.Length > 2048, $"only {code.Length} bytes of support code");

        var unwind = -1;
        for (var i = 0; i < Count; i++)
        {
            var wrapper = Decode(code, entries.CheckedHelpers[i], 6);
            Assert.Equal(Code.Call_rm64, wrapper[1].Code);
            Assert.Equal((ulong)checkedSlots[i], wrapper[1].IPRelativeMemoryAddress);
            Assert.Equal(Code.Je_rel32_64, wrapper[4].Code);
            // Every wrapper unwinds through the one routine.
            unwind = unwind < 0 ? (int)wrapper[4].NearBranchTarget : unwind;
            Assert.Equal((ulong)unwind, wrapper[4].NearBranchTarget);

            var stub = Decode(code, entries.Stubs[i], 1);
            Assert.Equal(Code.Jmp_rm64, stub[0].Code);
            Assert.Equal((ulong)stubSlots[i], stub[0].IPRelativeMemoryAddress);
        }
        Assert.Equal(Code.Push_r64, Decode(code, unwind, 1)[0].Code);
        Assert.Equal(entries.Builtins["memcmp"], entries.Builtins["bcmp"]);
    }

    private static Instruction[] Decode(byte[] code, int start, int count)
    {
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(code, start, code.Length - start));
        decoder.IP = (ulong)start;
        var instructions = new Instruction[count];
        for (var i = 0; i < count; i++)
        {
            decoder.Decode(out instructions[i]);
            Assert.False(instructions[i].IsInvalid, $"invalid instruction at 0x{instructions[i].IP:x}");
        }
        return instructions;
    }
}
