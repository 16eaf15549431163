using Bpftime.Isa;
using Bpftime.Objects;

namespace Bpftime.Tests.Objects;

public class ObjectReaderTests
{
    private static void AssertMapValue(Instruction first, Instruction second, int mapIndex, int offset)
    {
        Assert.True(first.IsLoadImm64, $"expected ld_imm64, got {first}");
        Assert.Equal((byte)LoadImm64Source.MapValueByIndex, first.Src);
        Assert.Equal(mapIndex, first.Imm);
        Assert.Equal(offset, second.Imm);
    }

    private static int CallTarget(IReadOnlyList<Instruction> code, int at)
    {
        Assert.True(code[at].IsLocalCall, $"expected a local call at {at}, got {code[at]}");
        return at + 1 + code[at].Imm;
    }

    [Fact]
    public void LoopSumIsOneSocketProgram()
    {
        var obj = TestObjects.Read("loop_sum");
        Assert.Equal(ObjectKind.Elf, obj.Kind);
        Assert.Equal("GPL", obj.License);
        var program = Assert.Single(obj.Programs);
        Assert.Equal("sum_bytes", program.Name);
        Assert.Equal("socket", program.Section);
        Assert.Equal(ProgramType.SocketFilter, program.Type);
        Assert.Equal(21, program.Instructions.Count);
        Assert.Equal(21, program.MainLength);
        Assert.True(program.Instructions[^1].IsExit);
        Assert.Empty(obj.Maps);
        Assert.Empty(program.Subprograms);
    }

    [Fact]
    public void GlobalDataBecomesArrayMapsInSectionOrder()
    {
        var obj = TestObjects.Read("global_data");
        Assert.Equal([".data", ".rodata", ".bss", ".rodata.str1.1"], obj.Maps.Select(m => m.Name));
        foreach (var map in obj.Maps)
        {
            Assert.True(map.IsGlobalData);
            Assert.Equal(MapType.Array, map.Type);
            Assert.Equal(4u, map.KeySize);
            Assert.Equal(1u, map.MaxEntries);
            Assert.Equal(map.Name, map.Section);
        }
        Assert.Equal([41, 0, 0, 0], obj.Maps[0].InitialValue!.Value.ToArray());
        Assert.Equal(16u, obj.Maps[1].ValueSize);
        Assert.Equal(300, BitConverter.ToInt32(obj.Maps[1].InitialValue!.Value.Span[8..]));
        Assert.True(obj.Maps[1].IsReadOnlyForPrograms);
        Assert.False(obj.Maps[0].IsReadOnlyForPrograms);
        Assert.Equal(new byte[4], obj.Maps[2].InitialValue!.Value.ToArray());
        Assert.Equal("bpftime\0"u8.ToArray(), obj.Maps[3].InitialValue!.Value.ToArray());
        Assert.True(obj.Maps[3].IsReadOnlyForPrograms);
        Assert.NotEqual(0u, obj.Maps[0].ValueTypeId);
        Assert.Equal(BtfKind.DataSection, obj.Btf!.GetType(obj.Maps[0].ValueTypeId).Kind);
    }

    [Fact]
    public void GlobalDataReferencesAreRewrittenToMapValueByIndex()
    {
        var obj = TestObjects.Read("global_data");
        var program = Assert.Single(obj.Programs);
        Assert.Equal("read_globals", program.Name);
        var code = program.Instructions;
        Assert.Equal(25, program.MainLength);
        Assert.Equal(25 + 9, code.Count);
        AssertMapValue(code[2], code[3], obj.FindMapIndex(".bss"), 0);
        AssertMapValue(code[5], code[6], obj.FindMapIndex(".data"), 0);
        AssertMapValue(code[16], code[17], obj.FindMapIndex(".rodata"), 0);
        // char_at, appended after the program, loads the string from .rodata.str1.1.
        Assert.Equal(25, CallTarget(code, 21));
        Assert.Equal(("char_at", 25), Assert.Single(program.Subprograms));
        AssertMapValue(code[27], code[28], obj.FindMapIndex(".rodata.str1.1"), 0);
        Assert.Equal(4, obj.RelocationCount(RelocationKind.GlobalData));
        Assert.Equal(1, obj.RelocationCount(RelocationKind.SubprogramCall));
    }

    [Fact]
    public void LineInfoGivesTheCSourceLine()
    {
        var obj = TestObjects.Read("global_data");
        var program = obj.Programs[0];
        Assert.NotEmpty(program.LineInfo);
        var first = program.LineAt(0)!;
        Assert.Equal(TestObjects.SourceLineOf("global_data", "int i = *(unsigned char *)mem & 3;"), first.Line);
        Assert.Contains("int i = *(unsigned char *)mem & 3;", first.SourceLine, StringComparison.Ordinal);
        Assert.EndsWith("global_data.bpf.c", first.FileName, StringComparison.Ordinal);
        Assert.True(first.Column > 0);
        // The appended subprogram's instructions map to its own lines.
        var inCharAt = program.LineAt(27)!;
        Assert.Equal(TestObjects.SourceLineOf("global_data", "return greeting[i];"), inCharAt.Line);
        Assert.Equal(["read_globals", "char_at"], program.FuncInfo.Select(f => f.Name));
        Assert.Equal([0, 25], program.FuncInfo.Select(f => f.InstructionIndex));
    }

    [Fact]
    public void BtfMapsAreDecoded()
    {
        var obj = TestObjects.Read("maps");
        var counts = obj.Maps[0];
        Assert.Equal(new MapSpec("counts", MapType.Array, 4, 8, 4) { Section = ".maps", KeyTypeId = counts.KeyTypeId, ValueTypeId = counts.ValueTypeId }, counts with { InitialValue = null });
        var seen = obj.Maps[1];
        Assert.Equal("seen", seen.Name);
        Assert.Equal(MapType.Hash, seen.Type);
        Assert.Equal(4u, seen.KeySize);
        Assert.Equal(16u, seen.ValueSize);
        Assert.Equal(64u, seen.MaxEntries);
        Assert.Equal(1u, seen.Flags);
        Assert.Equal(1u, seen.Pinning);
        Assert.Equal("pair", obj.Btf!.GetType(seen.ValueTypeId).Name);
        Assert.False(seen.IsGlobalData);
        Assert.All(obj.Maps.Skip(2), m => Assert.True(m.IsGlobalData));
    }

    [Fact]
    public void MapReferencesAreRewrittenToMapByIndex()
    {
        var obj = TestObjects.Read("maps");
        Assert.Equal(["count_calls", "remember"], obj.Programs.Select(p => p.Name));
        var countCalls = obj.Programs[0].Instructions;
        Assert.Equal(15, countCalls.Count);
        Assert.Equal((byte)LoadImm64Source.MapByIndex, countCalls[4].Src);
        Assert.Equal(0, countCalls[4].Imm);
        Assert.Equal(0, countCalls[5].Imm);
        var remember = obj.Programs[1].Instructions;
        Assert.Equal(26, remember.Count);
        foreach (var at in new[] { 10, 15 })
        {
            Assert.Equal((byte)LoadImm64Source.MapByIndex, remember[at].Src);
            Assert.Equal(1, remember[at].Imm);
        }
        Assert.Equal(3, obj.RelocationCount(RelocationKind.MapReference));
    }

    [Fact]
    public void LegacyMapsSectionIsDecoded()
    {
        var obj = TestObjects.Read("legacy_maps");
        Assert.Equal(2, obj.Maps.Count);
        Assert.Equal(new MapSpec("legacy_counts", MapType.Array, 4, 8, 2) { Section = "maps" }, obj.Maps[0]);
        Assert.Equal(new MapSpec("legacy_hash", MapType.Hash, 8, 4, 16) { Section = "maps" }, obj.Maps[1]);
        var code = Assert.Single(obj.Programs).Instructions;
        var load = code.Select((insn, i) => (insn, i)).Single(x => x.insn.IsLoadImm64 && x.insn.Src == (byte)LoadImm64Source.MapByIndex);
        Assert.Equal(0, load.insn.Imm);
    }

    [Fact]
    public void SubprogramsAreAppendedAndCallsPointAtThem()
    {
        var obj = TestObjects.Read("subprogs");
        Assert.Equal(["first", "second", "looped"], obj.Programs.Select(p => p.Name));
        Assert.Equal("Dual MIT/GPL", obj.License);

        var first = obj.FindProgram("first")!;
        Assert.Equal("socket/first", first.Section);
        Assert.Equal(ProgramType.SocketFilter, first.Type);
        Assert.Equal(8, first.MainLength);
        Assert.Equal(8 + 3 + 3, first.Instructions.Count);
        Assert.Equal([("twice", 8), ("square", 11)], first.Subprograms);
        Assert.Equal(8, CallTarget(first.Instructions, 2));
        Assert.Equal(11, CallTarget(first.Instructions, 5));
        // twice is r0 = r1; r0 <<= 1; exit and square is r0 = r1; r0 *= r0; exit.
        Assert.Equal(0x67, first.Instructions[9].Opcode);
        Assert.Equal(0x2f, first.Instructions[12].Opcode);

        var second = obj.FindProgram("second")!;
        Assert.Equal("socket/first", second.Section);
        Assert.Equal(4 + 3, second.Instructions.Count);
        Assert.Equal(4, CallTarget(second.Instructions, 1));
        Assert.Equal([("square", 4)], second.Subprograms);

        var looped = obj.FindProgram("looped")!;
        Assert.Equal(11 + 7, looped.Instructions.Count);
        var address = looped.Instructions[5];
        Assert.Equal((byte)LoadImm64Source.CodeAddress, address.Src);
        Assert.Equal(11, 5 + 1 + address.Imm);
        Assert.Equal(0, looped.Instructions[6].Imm);
        Assert.Equal([("add_index", 11)], looped.Subprograms);
        Assert.Equal(1, obj.RelocationCount(RelocationKind.CodeAddress));
        Assert.Equal(3, obj.RelocationCount(RelocationKind.SubprogramCall));
        Assert.True(obj.RelocationCount(RelocationKind.NoDynamicLoad32) > 0);
    }

    [Fact]
    public void TextOnlyObjectExposesGlobalFunctions()
    {
        var obj = TestObjects.Read("text_only");
        var program = Assert.Single(obj.Programs);
        Assert.Equal("bpf_main", program.Name);
        Assert.Equal(".text", program.Section);
        Assert.Equal(ProgramType.Unspecified, program.Type);
        Assert.Equal(3, program.MainLength);
        Assert.Equal(3 + 14, program.Instructions.Count);
        Assert.Equal(3, CallTarget(program.Instructions, 1));
        Assert.Equal([("factorial", 3)], program.Subprograms);
        Assert.Null(obj.License);
    }

    [Fact]
    public void XdpProgramHasXdpType()
    {
        var obj = TestObjects.Read("xdp");
        var program = Assert.Single(obj.Programs);
        Assert.Equal("xdp_ipv4_only", program.Name);
        Assert.Equal(ProgramType.Xdp, program.Type);
        Assert.Equal(14, program.Instructions.Count);
        Assert.Equal(6, program.Type.ToLinuxProgramType());
    }

    [Fact]
    public void TracingSectionsAndCoreRelocations()
    {
        var obj = TestObjects.Read("tracing");
        var types = obj.Programs.ToDictionary(p => p.Name, p => (p.Type, p.AttachTarget));
        Assert.Equal((ProgramType.Kprobe, "do_nanosleep"), types["read_pid"]);
        Assert.Equal((ProgramType.Kretprobe, "do_nanosleep"), types["on_return"]);
        Assert.Equal((ProgramType.Tracepoint, "syscalls/sys_enter_openat"), types["on_openat"]);
        Assert.Equal((ProgramType.RawTracepoint, "sched_switch"), types["on_switch"]);
        Assert.Equal((ProgramType.Fentry, "do_unlinkat"), types["on_unlink"]);
        Assert.Equal((ProgramType.Uprobe, "/bin/bash:readline"), types["on_readline"]);
        Assert.Equal(ProgramType.CgroupSkb, types["on_ingress"].Type);
        Assert.Equal(ProgramType.Lsm, types["on_file_open"].Type);
        Assert.Equal(ProgramType.SchedClassifier, types["on_tc"].Type);
        Assert.Equal(ProgramType.PerfEvent, types["on_perf"].Type);

        var readPid = obj.FindProgram("read_pid")!;
        Assert.Equal(2, readPid.CoreRelocations.Count);
        var offset = readPid.CoreRelocations.Single(r => r.Kind == CoreRelocationKind.FieldByteOffset);
        Assert.Equal("0:1", offset.AccessString);
        Assert.Equal("task_struct", obj.Btf!.GetType(offset.TypeId).Name);
        Assert.Equal(1, offset.InstructionIndex);
        var exists = readPid.CoreRelocations.Single(r => r.Kind == CoreRelocationKind.FieldExists);
        Assert.Equal("0:0", exists.AccessString);
    }

    [Fact]
    public void BtfTypesAreFoundByName()
    {
        var btf = TestObjects.Read("maps").Btf!;
        var pair = btf.FindByName("pair", BtfKind.Struct)!;
        Assert.Equal(16u, pair.Size);
        Assert.Equal(["a", "b"], pair.Members.Select(m => m.Name));
        Assert.Equal([0u, 64u], pair.Members.Select(m => m.BitOffset));
        Assert.Equal(4u, btf.ResolveSize(pair.Members[0].TypeId));
        Assert.Equal(8u, btf.ResolveSize(pair.Members[1].TypeId));
        var u32 = btf.SkipModifiers(pair.Members[0].TypeId);
        Assert.Equal(BtfKind.Int, u32.Kind);
        Assert.Equal(32, u32.Int!.Bits);
        Assert.False(u32.Int.IsSigned);
        var func = btf.FindByName("count_calls", BtfKind.Function)!;
        var proto = btf.GetType(func.TypeId);
        Assert.Equal(BtfKind.FunctionProto, proto.Kind);
        Assert.Equal("ctx", Assert.Single(proto.Parameters).Name);
        Assert.Equal(BtfKind.Pointer, btf.GetType(proto.Parameters[0].TypeId).Kind);
        var maps = btf.FindByName(".maps", BtfKind.DataSection)!;
        Assert.Equal(2, maps.Variables.Count);
        Assert.Equal(BtfKind.Variable, btf.GetType(maps.Variables[0].TypeId).Kind);
        var mapType = btf.FindByName("BPF_MAP_TYPE_HASH");
        Assert.Null(mapType);
        Assert.Equal(8u, btf.ResolveSize(btf.FindByName("__u64", BtfKind.Typedef)!.Id));
    }

    [Fact]
    public void EveryProgramHasDebugInfoAndItsCallsLandOnFunctions()
    {
        foreach (var name in TestObjects.AllNames())
        {
            var obj = TestObjects.Read(name);
            Assert.NotEmpty(obj.Programs);
            Assert.NotNull(obj.Btf);
            foreach (var program in obj.Programs)
            {
                Assert.NotEmpty(program.LineInfo);
                Assert.NotEmpty(program.FuncInfo);
                Assert.Equal(0, program.FuncInfo[0].InstructionIndex);
                Assert.Equal(program.Name, program.FuncInfo[0].Name);
                foreach (var (instruction, index) in program.Instructions.Select((insn, i) => (insn, i)))
                {
                    if (instruction.IsLocalCall)
                    {
                        var target = index + 1 + instruction.Imm;
                        Assert.InRange(target, 0, program.Instructions.Count - 1);
                        Assert.Contains(program.FuncInfo, f => f.InstructionIndex == target);
                    }
                }
            }
        }
    }

    [Fact]
    public void MapInMapKeepsTheInnerDefinition()
    {
        var obj = TestObjects.Read("map_in_map");
        Assert.Equal(["inner_a", "outer"], obj.Maps.Select(m => m.Name));
        var outer = obj.Maps[1];
        Assert.Equal(MapType.ArrayOfMaps, outer.Type);
        Assert.Equal(4u, outer.KeySize);
        Assert.Equal(4u, outer.ValueSize);
        Assert.Equal(2u, outer.MaxEntries);
        Assert.NotNull(outer.InnerMap);
        Assert.Equal(MapType.Array, outer.InnerMap.Type);
        Assert.Equal((4u, 4u, 1u), (outer.InnerMap.KeySize, outer.InnerMap.ValueSize, outer.InnerMap.MaxEntries));
        // The initialiser (.values = { [0] = &inner_a }) is an ABS64 relocation in .maps: slot 0 names inner_a.
        Assert.Equal([new MapSlot(0, "inner_a")], outer.InitialSlots);
        Assert.DoesNotContain(obj.Warnings, w => w.Code == Bpftime.Diagnostics.DiagnosticCodes.RelocationIgnored);
        var code = Assert.Single(obj.Programs).Instructions;
        var load = code.First(i => i.IsLoadImm64 && i.Src == (byte)LoadImm64Source.MapByIndex);
        Assert.Equal(1, load.Imm);
    }

    [Fact]
    public void HandWrittenLoadsWithoutRelocationsAreChecked()
    {
        // An object whose code already says "map 0" with src 5 but has no map is rejected, not passed on.
        var bytes = TestObjects.Bytes("loop_sum");
        var layout = new ElfLayout(bytes);
        var socket = layout.Find("socket")!;
        new Instruction(Opcodes.LoadImm64, 1, (byte)LoadImm64Source.MapByIndex, 0, 0).Write(bytes.AsSpan(socket.Offset + 80));
        new Instruction(0, 0, 0, 0, 0).Write(bytes.AsSpan(socket.Offset + 88));
        var error = Assert.Throws<Bpftime.Diagnostics.BpfException>(() => ObjectReader.Read(bytes));
        Assert.Equal(Bpftime.Diagnostics.DiagnosticCodes.MapNotFound, error.Code);
    }
}
