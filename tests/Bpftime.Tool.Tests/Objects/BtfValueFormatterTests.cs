using System.Text.Json;
using Bpftime.Objects;
using Bpftime.Tests.Objects;

namespace Bpftime.Tests.Tool.Objects;

/// <summary>
/// BtfValueFormatter on types written by hand: each kind as bpftool shows it, and BTF that does not
/// fit the bytes (or loops, or lies about sizes) falling back to hex instead of failing.
/// </summary>
public sealed class BtfValueFormatterTests
{
    private const uint Signed = 1u << 24;
    private const uint Bool = 4u << 24;

    private static JsonElement Format(BtfValueFormatter formatter, uint typeId, byte[] bytes)
    {
        using var document = JsonDocument.Parse(formatter.Format(typeId, bytes));
        return document.RootElement.Clone();
    }

    [Fact]
    public void AStructShowsItsMembersBitfieldsEnumsAndArrays()
    {
        var btf = new BtfBuilder();
        var u32 = btf.Add(BtfKind.Int, "unsigned int", 4, tail: 32);
        var s16 = btf.Add(BtfKind.Int, "short", 2, tail: Signed | 16);
        var flag = btf.Add(BtfKind.Int, "_Bool", 1, tail: Bool | 8);
        var color = btf.Add(BtfKind.Enum, "color", 4, 2, false, btf.Name("RED"), 0, btf.Name("BLUE"), 7);
        var chars = btf.Add(BtfKind.Int, "char", 1, tail: (2u << 24) | 8);
        var index = u32;
        var name = btf.Add(BtfKind.Array, "", 0, tail: [chars, index, 4]);
        var pair = btf.Add(BtfKind.Array, "", 0, tail: [s16, index, 2]);
        // struct { u32 id; short delta; bool on; u32 low:3, high:5 (kind_flag bitfields at byte 8); enum color c; char name[4]; short pair[2]; }
        var record = btf.Add(BtfKind.Struct, "record", 24, 8, true,
            btf.Name("id"), u32, 0,
            btf.Name("delta"), s16, 32,
            btf.Name("on"), flag, 48,
            btf.Name("low"), u32, (3u << 24) | 64,
            btf.Name("high"), u32, (5u << 24) | 67,
            btf.Name("c"), color, 96,
            btf.Name("name"), name, 128,
            btf.Name("pair"), pair, 160);
        var formatter = new BtfValueFormatter(Btf.Parse(btf.Build()));
        byte[] bytes =
        [
            0x2a, 0, 0, 0,          // id 42
            0xfe, 0xff,             // delta -2
            1, 0,                   // on, padding
            0b1010_1101, 0, 0, 0,   // low = 0b101 = 5, high = 0b10101 = 21
            7, 0, 0, 0,             // BLUE
            (byte)'a', (byte)'b', 0, 0,
            0xff, 0xff, 3, 0,       // pair -1, 3
        ];
        var value = Format(formatter, record, bytes);
        Assert.Equal(42, value.GetProperty("id").GetInt32());
        Assert.Equal(-2, value.GetProperty("delta").GetInt32());
        Assert.True(value.GetProperty("on").GetBoolean());
        Assert.Equal(5, value.GetProperty("low").GetInt32());
        Assert.Equal(21, value.GetProperty("high").GetInt32());
        Assert.Equal("BLUE", value.GetProperty("c").GetString());
        Assert.Equal("ab", value.GetProperty("name").GetString());
        Assert.Equal([-1, 3], value.GetProperty("pair").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Fact]
    public void AnUnnamedEnumValueIsItsNumber()
    {
        var btf = new BtfBuilder();
        var color = btf.Add(BtfKind.Enum, "color", 4, 1, true, btf.Name("RED"), 0);
        var formatter = new BtfValueFormatter(Btf.Parse(btf.Build()));
        Assert.Equal(-3, Format(formatter, color, [0xfd, 0xff, 0xff, 0xff]).GetInt32());
    }

    [Fact]
    public void BytesTheTypeDoesNotDescribeStayHex()
    {
        var btf = new BtfBuilder();
        var u32 = btf.Add(BtfKind.Int, "unsigned int", 4, tail: 32);
        var formatter = new BtfValueFormatter(Btf.Parse(btf.Build()));
        Assert.False(formatter.Describes(u32, 8));
        Assert.Equal("0102030405060708", Format(formatter, u32, [1, 2, 3, 4, 5, 6, 7, 8]).GetString());
        // Type 0 (void) and ids past the table describe nothing.
        Assert.Equal("01020304", Format(formatter, 0, [1, 2, 3, 4]).GetString());
        Assert.Equal("01020304", Format(formatter, 999, [1, 2, 3, 4]).GetString());
    }

    [Fact]
    public void AMemberPastItsStructMakesTheWholeValueHex()
    {
        // A struct that says it is 4 bytes but places a u32 at byte 2: the value is shown as hex, not half-read.
        var btf = new BtfBuilder();
        var u32 = btf.Add(BtfKind.Int, "unsigned int", 4, tail: 32);
        var odd = btf.Add(BtfKind.Struct, "odd", 4, 1, false, btf.Name("x"), u32, 16);
        Btf parsed;
        try
        {
            parsed = Btf.Parse(btf.Build());
        }
        catch (Diagnostics.BpfException)
        {
            // The reader's validator already refuses such a struct; nothing reaches the formatter.
            return;
        }
        var formatter = new BtfValueFormatter(parsed);
        Assert.Equal("aabbccdd", Format(formatter, odd, [0xaa, 0xbb, 0xcc, 0xdd]).GetString());
    }

    [Fact]
    public void ADataSectionPlacesVariablesWhereTheSymbolsSay()
    {
        var btf = new BtfBuilder();
        var s32 = btf.Add(BtfKind.Int, "int", 4, tail: Signed | 32);
        var first = btf.Add(BtfKind.Variable, "first", s32, tail: 1);
        var second = btf.Add(BtfKind.Variable, "second", s32, tail: 1);
        // As compilers write it: size 0 and every offset 0, left for the loader.
        var data = btf.Add(BtfKind.DataSection, ".data", 0, 2, false, first, 0, 4, second, 0, 4);
        var offsets = new Dictionary<(string, string), uint> { [(".data", "first")] = 4, [(".data", "second")] = 0 };
        var formatter = new BtfValueFormatter(Btf.Parse(btf.Build()), offsets);
        var value = Format(formatter, data, [9, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
        Assert.Equal(-1, value.GetProperty("first").GetInt32());
        Assert.Equal(9, value.GetProperty("second").GetInt32());
    }

    [Fact]
    public void DeepNestingEndsInHex()
    {
        // Arrays of one element nested far past the limit: the innermost bytes are shown as hex.
        var btf = new BtfBuilder();
        var u8 = btf.Add(BtfKind.Int, "unsigned char", 1, tail: 8);
        var element = u8;
        for (var i = 0; i < BtfValueFormatter.MaxDepth + 8; i++)
        {
            element = btf.Add(BtfKind.Array, "", 0, tail: [element, u8, 1]);
        }
        var formatter = new BtfValueFormatter(Btf.Parse(btf.Build()));
        var text = formatter.Format(element, [0x5a]);
        Assert.Contains("\"5a\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("90", text, StringComparison.Ordinal);
    }
}
