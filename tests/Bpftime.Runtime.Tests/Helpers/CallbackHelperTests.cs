using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Maps;
using Bpftime.Objects;
using Bpftime.Tests.Maps;
using static Bpftime.Tests.Engines.X64.Bpf;

namespace Bpftime.Tests.Helpers;

public class CallbackHelperTests
{
    /// <summary>bpf_loop(10, add index to *ctx, stop after index 6); r0 = calls * 1000 + sum.</summary>
    private static Instruction[] LoopProgram(bool faultInCallback = false) => Program(
        St(MemorySize.DoubleWord, 10, -8, 0),
        Mov64(1, 10),
        LdImm64(2, 9, src: 4),
        Mov64Reg(3, 10),
        Alu64(AluOperation.Add, 3, -8),
        Mov64(4, 0),
        Call(HelperIds.Loop),
        Ldx(MemorySize.DoubleWord, 1, 10, -8),
        Alu64(AluOperation.Mul, 0, 1000),
        Alu64Reg(AluOperation.Add, 0, 1),
        Exit(),
        // callback(index, ctx)
        Ldx(MemorySize.DoubleWord, 3, faultInCallback ? 4 : 2, 0), // r4 is 0 in a bpf_loop callback
        Alu64Reg(AluOperation.Add, 3, 1),
        Stx(MemorySize.DoubleWord, 2, 3, 0),
        Mov64(0, 0),
        Jmp(JumpOperation.Jne, 1, 6, 1),
        Mov64(0, 1),
        Exit());

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void LoopCallsTheFunctionUntilItAsksToStop(string engine)
    {
        foreach (var verified in new[] { false, true })
        {
            using var program = TestEngines.Load(engine, LoopProgram(), [], verified: verified);
            Assert.Equal(7021UL, program.Execute(0, 0));
        }
    }

    [Theory]
    [MemberData(nameof(TestEngines.CheckedNames), MemberType = typeof(TestEngines))]
    public void AFaultInACallbackBecomesTheRunsFault(string engine)
    {
        using var program = TestEngines.Load(engine, LoopProgram(faultInCallback: true), []);
        var error = Assert.Throws<BpfException>(() => program.Execute(0, 0));
        Assert.StartsWith("BPF40", error.Code);
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void ForEachVisitsArrayAndHashEntries(string engine)
    {
        using var array = ArrayMap.Create("a", 8, 4);
        using var hash = new HashMap(new MapSpec("h", MapType.Hash, 4, 8, 8));
        for (uint i = 0; i < 4; i++)
        {
            array.Update(i, BitConverter.GetBytes((ulong)(i + 1)), 0);
            hash.Update(BitConverter.GetBytes(i * 10), BitConverter.GetBytes((ulong)(i + 1) * 100), 0);
        }
        // r0 = for_each(map ctx[0], add *value to *stack) * 100000 + sum
        Instruction[] Code(int mapIndex) => Program(
            St(MemorySize.DoubleWord, 10, -8, 0),
            MapPrograms.LoadMap(1, mapIndex),
            LdImm64(2, 9, src: 4),
            Mov64Reg(3, 10),
            Alu64(AluOperation.Add, 3, -8),
            Mov64(4, 0),
            Call(HelperIds.ForEachMapElem),
            Alu64(AluOperation.Mul, 0, 100000),
            Ldx(MemorySize.DoubleWord, 1, 10, -8),
            Alu64Reg(AluOperation.Add, 0, 1),
            Exit(),
            // callback(map, key, value, ctx): *ctx += *value; reads the key too
            Ldx(MemorySize.Word, 5, 2, 0),
            Ldx(MemorySize.DoubleWord, 1, 3, 0),
            Ldx(MemorySize.DoubleWord, 2, 4, 0),
            Alu64Reg(AluOperation.Add, 2, 1),
            Stx(MemorySize.DoubleWord, 4, 2, 0),
            Mov64(0, 0),
            Exit());
        using var overArray = TestEngines.Load(engine, Code(0), [array, hash]);
        using var overHash = TestEngines.Load(engine, Code(1), [array, hash]);
        Assert.Equal(400010UL, overArray.Execute(0, 0));
        Assert.Equal(401000UL, overHash.Execute(0, 0));
    }
}
