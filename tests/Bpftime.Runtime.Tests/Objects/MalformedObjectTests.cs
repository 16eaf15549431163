using System.Buffers.Binary;
using Bpftime.Diagnostics;
using Bpftime.Isa;
using Bpftime.Objects;

namespace Bpftime.Tests.Objects;

public class MalformedObjectTests
{
    private static string ReadCode(byte[] bytes) => Assert.Throws<BpfException>(() => ObjectReader.Read(bytes, "bad.bpf.o")).Code;

    private static byte[] Patched(string name, Action<byte[], ElfLayout> patch)
    {
        var bytes = TestObjects.Bytes(name);
        patch(bytes, new ElfLayout(bytes));
        return bytes;
    }

    [Fact]
    public void RawBytecodeIsOneProgramNamedAfterTheFile()
    {
        Instruction[] code = [new(0xb7, 0, 0, 0, 42), new(Opcodes.Exit, 0, 0, 0, 0)];
        var obj = ObjectReader.Read(InstructionDecoder.Encode(code), "/tmp/answer.bin");
        Assert.Equal(ObjectKind.RawBytecode, obj.Kind);
        var program = Assert.Single(obj.Programs);
        Assert.Equal("answer", program.Name);
        Assert.Equal(code, program.Instructions);
        Assert.Equal(ProgramType.Unspecified, program.Type);
        Assert.Empty(obj.Maps);
        Assert.Null(obj.Btf);
        Assert.Equal("program", Assert.Single(ObjectReader.Read(InstructionDecoder.Encode(code)).Programs).Name);
    }

    [Fact]
    public void RawBytecodeFromDisk()
    {
        var path = Path.Combine(Path.GetTempPath(), $"raw-{Guid.NewGuid():N}.bin");
        File.WriteAllBytes(path, InstructionDecoder.Encode([new(Opcodes.Exit, 0, 0, 0, 0)]));
        try
        {
            var obj = ObjectReader.ReadFile(path);
            Assert.Equal(Path.GetFileNameWithoutExtension(path), obj.Programs[0].Name);
            Assert.Equal(path, obj.Path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void MissingFileIsABpfException() =>
        Assert.Equal(DiagnosticCodes.ObjectFileUnreadable,
            Assert.Throws<BpfException>(() => ObjectReader.ReadFile("/nonexistent/x.bpf.o")).Code);

    [Fact]
    public void NeitherElfNorBytecode()
    {
        Assert.Equal(DiagnosticCodes.ObjectNotRecognized, ReadCode([]));
        Assert.Equal(DiagnosticCodes.ObjectNotRecognized, ReadCode([1, 2, 3]));
    }

    [Fact]
    public void HeaderProblemsAreNamed()
    {
        Assert.Equal(DiagnosticCodes.ElfHeaderTruncated, ReadCode(TestObjects.Bytes("xdp")[..40]));
        Assert.Equal(DiagnosticCodes.ElfWrongClass, ReadCode(Patched("xdp", (b, _) => b[4] = 1)));
        Assert.Equal(DiagnosticCodes.ElfWrongEndianness, ReadCode(Patched("xdp", (b, _) => b[5] = 2)));
        Assert.Equal(DiagnosticCodes.ElfWrongMachine, ReadCode(Patched("xdp", (b, _) => b[18] = 62)));
        Assert.Equal(DiagnosticCodes.ElfWrongType, ReadCode(Patched("xdp", (b, _) => b[16] = 2)));
        Assert.Equal(DiagnosticCodes.SectionHeadersOutOfBounds, ReadCode(Patched("xdp", (b, _) => b[60] = 0xff)));
    }

    [Fact]
    public void SectionOutsideTheFile() =>
        Assert.Equal(DiagnosticCodes.SectionOutOfBounds, ReadCode(Patched("xdp", (b, l) =>
            BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(l.Find("xdp")!.HeaderOffset + 32), 1u << 20))));

    [Fact]
    public void BadSectionNameOffset() =>
        Assert.Equal(DiagnosticCodes.BadStringOffset, ReadCode(Patched("xdp", (b, l) =>
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(l.Find("xdp")!.HeaderOffset), 0x100000))));

    [Fact]
    public void CodeSizeNotAMultipleOfEight() =>
        Assert.Equal(DiagnosticCodes.ProgramSizeNotMultipleOfEight, ReadCode(Patched("xdp", (b, l) =>
            BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(l.Find("xdp")!.HeaderOffset + 32), (ulong)l.Find("xdp")!.Size - 3))));

    [Fact]
    public void MapRelocationOnAnInstructionThatIsNotLoadImm64()
    {
        // count_calls slot 4 is the ld_imm64 of `counts`; turn it into a mov.
        var bytes = Patched("maps", (b, l) => b[l.Find("socket")!.Offset + (4 * 8)] = 0xb7);
        Assert.Equal(DiagnosticCodes.RelocationNotOnLoadImm64, ReadCode(bytes));
    }

    [Fact]
    public void CallRelocationOnAnInstructionThatIsNotACall()
    {
        var bytes = Patched("subprogs", (b, l) => b[l.Find("socket/first")!.Offset + (2 * 8)] = 0xb7);
        Assert.Equal(DiagnosticCodes.RelocationNotOnCall, ReadCode(bytes));
    }

    [Fact]
    public void RelocationAgainstAMissingSymbol()
    {
        var bytes = Patched("maps", (b, l) =>
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(l.Find(".relsocket")!.Offset + 12), 5000));
        Assert.Equal(DiagnosticCodes.RelocationSymbolMissing, ReadCode(bytes));
    }

    [Fact]
    public void RelocationAgainstAnUndefinedSymbolIsAnUnresolvedExtern()
    {
        // Make `counter` (symbol 17 of global_data) undefined, as an extern variable would be.
        var bytes = Patched("global_data", (b, l) =>
        {
            var symtab = l.Find(".symtab")!;
            var counter = Enumerable.Range(0, symtab.Size / 24).Single(i => SymbolName(b, l, i) == "counter");
            BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(symtab.Offset + (counter * 24) + 6), 0);
        });
        var error = Assert.Throws<BpfException>(() => ObjectReader.Read(bytes));
        Assert.Equal(DiagnosticCodes.UnresolvedExtern, error.Code);
        Assert.Equal("read_globals", error.Diagnostic.Program);
        Assert.Equal(5, error.Diagnostic.InstructionIndex);
    }

    [Fact]
    public void BtfCycleInsideAnObject()
    {
        // Point the first typedef in maps.bpf.o's BTF at itself.
        var bytes = Patched("maps", (b, l) =>
        {
            var btf = l.Find(".BTF")!;
            var header = (int)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(btf.Offset + 4));
            var typeLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(btf.Offset + 12));
            var parsed = Btf.Parse(b.AsSpan(btf.Offset, btf.Size));
            var position = btf.Offset + header;
            foreach (var type in parsed.Types.Skip(1))
            {
                if (type.Kind == BtfKind.Typedef)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(position + 8), type.Id);
                    return;
                }
                position += 12 + TailSize(type);
            }
            Assert.Fail($"no typedef in {typeLength} bytes of types");
        });
        Assert.Equal(DiagnosticCodes.BtfCycle, ReadCode(bytes));
    }

    [Fact]
    public void MapsWithoutBtf()
    {
        var bytes = Patched("maps", (b, l) =>
        {
            // Rename .BTF so the reader does not find it (".BTF" -> ".BTX").
            var strtab = l.Sections[BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(62))];
            var nameOffset = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(l.Find(".BTF")!.HeaderOffset));
            b[strtab.Offset + (int)nameOffset + 3] = (byte)'X';
        });
        Assert.Equal(DiagnosticCodes.MapsSectionWithoutBtf, ReadCode(bytes));
    }

    [Fact]
    public void ProgramSectionNamesFollowLibbpf()
    {
        Assert.Equal(ProgramType.SocketFilter, ProgramSectionNames.Parse("socket"));
        Assert.Equal(ProgramType.Xdp, ProgramSectionNames.Parse("xdp.frags"));
        Assert.Equal(ProgramType.SchedClassifier, ProgramSectionNames.Parse("classifier/ingress"));
        Assert.Equal(ProgramType.SchedClassifier, ProgramSectionNames.Parse("tc"));
        Assert.Equal(ProgramType.Kprobe, ProgramSectionNames.Parse("kprobe/do_sys_open"));
        Assert.Equal(ProgramType.Kretprobe, ProgramSectionNames.Parse("kretprobe/do_sys_open"));
        Assert.Equal(ProgramType.Uretprobe, ProgramSectionNames.Parse("uretprobe//lib/libc.so.6:malloc"));
        Assert.Equal(ProgramType.Tracepoint, ProgramSectionNames.Parse("tp/sched/sched_switch"));
        Assert.Equal(ProgramType.RawTracepoint, ProgramSectionNames.Parse("raw_tracepoint/sys_enter"));
        Assert.Equal(ProgramType.PerfEvent, ProgramSectionNames.Parse("perf_event"));
        Assert.Equal(ProgramType.CgroupSockAddr, ProgramSectionNames.Parse("cgroup/connect4"));
        Assert.Equal(ProgramType.CgroupSock, ProgramSectionNames.Parse("cgroup/sock_create"));
        Assert.Equal(ProgramType.CgroupSysctl, ProgramSectionNames.Parse("cgroup/sysctl"));
        Assert.Equal(ProgramType.Lsm, ProgramSectionNames.Parse("lsm/bprm_check_security"));
        Assert.Equal(ProgramType.Fentry, ProgramSectionNames.Parse("fentry/tcp_v4_connect"));
        Assert.Equal(ProgramType.Fexit, ProgramSectionNames.Parse("fexit/tcp_v4_connect"));
        Assert.Equal(ProgramType.StructOps, ProgramSectionNames.Parse("struct_ops/dctcp_init"));
        Assert.Equal(ProgramType.Syscall, ProgramSectionNames.Parse("syscall"));
        Assert.Equal(ProgramType.Unspecified, ProgramSectionNames.Parse("socketx"));
        Assert.Equal(ProgramType.Unspecified, ProgramSectionNames.Parse("mysection"));
        Assert.Equal("connect4", ProgramSectionNames.AttachTarget("cgroup/connect4"));
    }

    private static string SymbolName(byte[] b, ElfLayout l, int index)
    {
        var symtab = l.Find(".symtab")!;
        var strtab = l.Sections[BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(symtab.HeaderOffset + 40))];
        var name = (int)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(symtab.Offset + (index * 24)));
        var end = Array.IndexOf(b, (byte)0, strtab.Offset + name);
        return System.Text.Encoding.UTF8.GetString(b, strtab.Offset + name, end - strtab.Offset - name);
    }

    private static int TailSize(BtfType type) => type.Kind switch
    {
        BtfKind.Int or BtfKind.Variable or BtfKind.DeclTag => 4,
        BtfKind.Array => 12,
        BtfKind.Struct or BtfKind.Union or BtfKind.DataSection or BtfKind.Enum64 => 12 * type.VariableLength,
        BtfKind.Enum or BtfKind.FunctionProto => 8 * type.VariableLength,
        _ => 0,
    };
}
