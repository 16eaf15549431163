using System.Buffers.Binary;
using Bpftime.Diagnostics;
using Bpftime.Objects;

namespace Bpftime.Tests.Objects;

public class BtfTests
{
    /// <summary>One type of every kind, ids 1..21.</summary>
    private static BtfBuilder EveryKind()
    {
        var b = new BtfBuilder();
        var i32 = b.Add(BtfKind.Int, "int", 4, tail: (1u << 24) | 32);                 // 1: signed 32-bit
        var ptr = b.Add(BtfKind.Pointer, "", i32);                                    // 2
        var u8 = b.Add(BtfKind.Int, "unsigned char", 1, tail: 8);                     // 3
        var arr = b.Add(BtfKind.Array, "", 0, tail: [u8, i32, 6]);                    // 4: unsigned char[6]
        b.Add(BtfKind.Struct, "point", 16, 2, tail: [b.Name("x"), i32, 0, b.Name("tail"), arr, 32]); // 5
        b.Add(BtfKind.Union, "either", 4, 2, kindFlag: true, tail: [b.Name("lo"), i32, 3u << 24, b.Name("all"), i32, 0]); // 6
        b.Add(BtfKind.Enum, "color", 4, 2, tail: [b.Name("RED"), 0, b.Name("BLUE"), 7]); // 7
        b.Add(BtfKind.Forward, "later", 0);                                           // 8
        var typedef = b.Add(BtfKind.Typedef, "int_t", i32);                           // 9
        var vol = b.Add(BtfKind.Volatile, "", typedef);                               // 10
        var cons = b.Add(BtfKind.Const, "", vol);                                     // 11
        b.Add(BtfKind.Restrict, "", ptr);                                             // 12
        var proto = b.Add(BtfKind.FunctionProto, "", i32, 1, tail: [b.Name("p"), ptr]); // 13
        b.Add(BtfKind.Function, "f", proto, vlen: 1);                                 // 14
        var variable = b.Add(BtfKind.Variable, "counter", cons, tail: 1);             // 15
        b.Add(BtfKind.DataSection, ".data", 4, 1, tail: [variable, 0, 4]);            // 16
        b.Add(BtfKind.Float, "double", 8);                                            // 17
        b.Add(BtfKind.DeclTag, "tag", 5, tail: unchecked((uint)-1));                  // 18
        b.Add(BtfKind.TypeTag, "user", i32);                                          // 19
        b.Add(BtfKind.Enum64, "big", 8, 1, tail: [b.Name("HUGE"), 0x1, 0x80000000]);  // 20
        b.Add(BtfKind.Array, "", 0, tail: [arr, i32, 3]);                             // 21: unsigned char[3][6]
        return b;
    }

    [Fact]
    public void EveryKindIsParsed()
    {
        var btf = Btf.Parse(EveryKind().Build());
        Assert.Equal(22, btf.Types.Count);
        Assert.Equal(BtfKind.Void, btf[0].Kind);
        Assert.Equal(Enum.GetValues<BtfKind>().Where(k => k != BtfKind.Void), btf.Types.Skip(1).Select(t => t.Kind).Distinct().Order());
        Assert.True(btf[1].Int!.IsSigned);
        Assert.Equal(32, btf[1].Int!.Bits);
        Assert.Equal(new BtfArrayInfo(3, 1, 6), btf[4].Array);
        var point = btf.FindByName("point", BtfKind.Struct)!;
        Assert.Equal([new BtfMember("x", 1, 0, 0), new BtfMember("tail", 4, 32, 0)], point.Members);
        Assert.Equal(new BtfMember("lo", 1, 0, 3), btf.FindByName("either")!.Members[0]);
        Assert.Equal([new BtfEnumValue("RED", 0), new BtfEnumValue("BLUE", 7)], btf.FindByName("color")!.EnumValues);
        Assert.Equal(unchecked((long)0x8000000000000001), Assert.Single(btf.FindByName("big")!.EnumValues).Value);
        Assert.Equal(new BtfParameter("p", 2), Assert.Single(btf[13].Parameters));
        Assert.Equal(1u, btf.FindByName("f")!.Linkage);
        Assert.Equal(1u, btf.FindByName("counter")!.Linkage);
        Assert.Equal(new BtfDataSectionVariable(15, 0, 4), Assert.Single(btf.FindByName(".data")!.Variables));
        Assert.Equal(-1, btf.FindByName("tag")!.ComponentIndex);
        Assert.Equal(5u, btf.FindByName("tag")!.TypeId);
        Assert.Equal("int", btf.GetString(btf[1].Name.Length > 0 ? 1u : 0u));
    }

    [Fact]
    public void SizesResolveThroughModifiersAndArrays()
    {
        var btf = Btf.Parse(EveryKind().Build());
        Assert.Equal(4u, btf.ResolveSize(1));
        Assert.Equal(8u, btf.ResolveSize(2));
        Assert.Equal(6u, btf.ResolveSize(4));
        Assert.Equal(16u, btf.ResolveSize(5));
        Assert.Equal(4u, btf.ResolveSize(11));
        Assert.Equal(4u, btf.ResolveSize(15));
        Assert.Equal(18u, btf.ResolveSize(21));
        Assert.Equal(0u, btf.ResolveSize(8));
        Assert.Equal(0u, btf.ResolveSize(0));
        Assert.Equal(BtfKind.Int, btf.SkipModifiers(11).Kind);
        Assert.Equal("int", btf.SkipModifiers(19).Name);
        Assert.Equal(DiagnosticCodes.BtfTypeIdOutOfRange, BpfCode(() => btf.ResolveSize(99)));
    }

    [Fact]
    public void TypeNamesReadLikeC()
    {
        var btf = Btf.Parse(EveryKind().Build());
        Assert.Equal("int *", btf.TypeName(2));
        Assert.Equal("unsigned char[6]", btf.TypeName(4));
        Assert.Equal("struct point", btf.TypeName(5));
        Assert.Equal("union either", btf.TypeName(6));
        Assert.Equal("enum color", btf.TypeName(7));
        Assert.Equal("const volatile int_t", btf.TypeName(11));
        Assert.Equal("int (*)(int *)", btf.TypeName(13));
        Assert.Equal("unsigned char[3][6]", btf.TypeName(21));
        Assert.Equal("<type 99>", btf.TypeName(99));
    }

    [Fact]
    public void SelfReferenceThroughAPointerIsFine()
    {
        var b = new BtfBuilder();
        b.Add(BtfKind.Struct, "node", 8, 1, tail: [b.Name("next"), 2, 0]); // 1
        b.Add(BtfKind.Pointer, "", 1);                                      // 2
        var btf = Btf.Parse(b.Build());
        Assert.Equal(8u, btf.ResolveSize(1));
    }

    [Fact]
    public void CyclesWithoutAPointerAreRejected()
    {
        var b = new BtfBuilder();
        b.Add(BtfKind.Typedef, "a", 2);  // 1 -> 2
        b.Add(BtfKind.Const, "", 3);     // 2 -> 3
        b.Add(BtfKind.Typedef, "c", 1);  // 3 -> 1
        Assert.Equal(DiagnosticCodes.BtfCycle, BpfCode(() => Btf.Parse(b.Build())));

        var arrays = new BtfBuilder();
        arrays.Add(BtfKind.Array, "", 0, tail: [1, 1, 2]); // an array of itself
        Assert.Equal(DiagnosticCodes.BtfCycle, BpfCode(() => Btf.Parse(arrays.Build())));

        var structs = new BtfBuilder();
        structs.Add(BtfKind.Struct, "s", 4, 1, tail: [structs.Name("self"), 1, 0]);
        Assert.Equal(DiagnosticCodes.BtfCycle, BpfCode(() => Btf.Parse(structs.Build())));
    }

    [Fact]
    public void ArraySizeOverflowIsReported()
    {
        var b = new BtfBuilder();
        b.Add(BtfKind.Int, "int", 4, tail: 32);
        b.Add(BtfKind.Array, "", 0, tail: [1, 1, 0x40000000]);
        b.Add(BtfKind.Array, "", 0, tail: [2, 1, 0x40000000]);
        var btf = Btf.Parse(b.Build());
        Assert.Equal(DiagnosticCodes.BtfSizeOverflow, BpfCode(() => btf.ResolveSize(3)));
    }

    [Theory]
    [InlineData("magic", DiagnosticCodes.BtfHeaderInvalid)]
    [InlineData("version", DiagnosticCodes.BtfHeaderInvalid)]
    [InlineData("header-length", DiagnosticCodes.BtfHeaderInvalid)]
    [InlineData("type-length", DiagnosticCodes.BtfHeaderInvalid)]
    [InlineData("string-length", DiagnosticCodes.BtfHeaderInvalid)]
    [InlineData("short", DiagnosticCodes.BtfHeaderInvalid)]
    [InlineData("kind", DiagnosticCodes.BtfUnknownKind)]
    [InlineData("vlen", DiagnosticCodes.BtfTypeTruncated)]
    [InlineData("name", DiagnosticCodes.BtfBadStringOffset)]
    [InlineData("type-id", DiagnosticCodes.BtfTypeIdOutOfRange)]
    public void CorruptBtfIsRejectedWithACode(string corruption, string code)
    {
        var bytes = EveryKind().Build(b =>
        {
            var types = 24;
            switch (corruption)
            {
                case "magic": b[0] ^= 0xff; break;
                case "version": b[2] = 2; break;
                case "header-length": BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), 12); break;
                case "type-length": BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(12), 0xffff_fff0); break;
                case "string-length": BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(20), 100_000); break;
                case "kind": b[types + 7] = 31; break;                               // type 1's kind byte
                case "vlen": BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(types + 16 + 12 + 16 + 24 + 4), 0xffff); break; // point's vlen (type 5 starts at byte 68)
                case "name": BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(types), 1_000_000); break;
                case "type-id": BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(types + 16 + 8), 500); break; // the pointer's target
            }
        });
        if (corruption == "short")
        {
            bytes = bytes[..20];
        }
        Assert.Equal(code, BpfCode(() => Btf.Parse(bytes)));
    }

    private static string BpfCode(Action action) => Assert.Throws<BpfException>(action).Code;

    private static string BpfCode(Func<object> action) => Assert.Throws<BpfException>(action).Code;
}
