using System.Buffers.Binary;
using System.Diagnostics;
using Bpftime.Diagnostics;
using Bpftime.Isa;
using Bpftime.Objects;
using Xunit.Abstractions;

namespace Bpftime.Tests.Objects;

/// <summary>
/// Seeded mutations of the committed objects: every case must end in a <see cref="BpfObjectFile"/>
/// whose programs keep the linked-program invariants, or in a <see cref="BpfException"/> with a
/// BPF1xxx code. Nothing else may escape and nothing may hang.
/// </summary>
public class ObjectFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 0x5eed_b9f;
    private const int CasesPerObject = 3000;

    private static readonly long[] Interesting =
    [
        0, 1, 2, 3, 4, 7, 8, 15, 16, 24, 63, 64, 255, 256, 0x7fff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff,
        -1, -8, long.MaxValue, long.MinValue,
    ];

    [Fact]
    public async Task MutatedObjectsEndInAnObjectOrABpfException()
    {
        var names = TestObjects.AllNames().ToArray();
        Assert.True(names.Length >= 8);
        var random = new Random(Seed);
        var outcomes = new Dictionary<string, int>();
        var escaped = new List<string>();
        var cases = 0;
        var watch = Stopwatch.StartNew();
        var run = Task.Run(() =>
        {
            foreach (var name in names)
            {
                var original = TestObjects.Bytes(name);
                var layout = new ElfLayout(original);
                for (var i = 0; i < CasesPerObject; i++)
                {
                    var (mutation, bytes) = Mutate(original, layout, random, i);
                    var outcome = Run(bytes, $"{name}#{i} {mutation}", escaped);
                    lock (outcomes)
                    {
                        outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
                        cases++;
                    }
                }
            }
        });
        // A guard against loops on hostile input, generous enough for a loaded machine.
        var finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromMinutes(3)));
        Assert.True(finished == run, $"the reader hung after {cases} cases");
        await run;
        output.WriteLine($"{cases} mutated objects in {watch.Elapsed.TotalSeconds:F1} s");
        foreach (var (outcome, count) in outcomes.OrderByDescending(o => o.Value))
        {
            output.WriteLine($"  {outcome}: {count}");
        }
        Assert.True(cases >= 20_000, $"only {cases} cases ran");
        Assert.True(escaped.Count == 0, string.Join(Environment.NewLine, escaped.Take(20)));
        Assert.True(outcomes.GetValueOrDefault("ok") > 0, "no mutation read successfully; the mutations are too coarse");
        Assert.True(outcomes.Keys.Count(k => k.StartsWith("BPF10", StringComparison.Ordinal)) >= 15, "too few distinct diagnostics were reached");
    }

    private static string Run(byte[] bytes, string label, List<string> escaped)
    {
        try
        {
            var obj = ObjectReader.Read(bytes, "fuzz.bpf.o");
            CheckInvariants(obj);
            return "ok";
        }
        catch (BpfException error) when (error.Code.StartsWith("BPF1", StringComparison.Ordinal) && error.Code != DiagnosticCodes.ObjectMalformed)
        {
            return error.Code;
        }
        catch (Exception error)
        {
            lock (escaped)
            {
                escaped.Add($"{label}: {error.GetType().Name}: {error.Message}{Environment.NewLine}{error.InnerException ?? error}");
            }
            return "escaped";
        }
    }

    /// <summary>What engines rely on: every index a linked program carries points inside the program or the map list.</summary>
    private static void CheckInvariants(BpfObjectFile obj)
    {
        if (obj.Btf is { } btf)
        {
            foreach (var type in btf.Types)
            {
                try
                {
                    btf.ResolveSize(type.Id);
                    btf.SkipModifiers(type.Id);
                    btf.TypeName(type.Id);
                }
                catch (BpfException error) when (error.Code == DiagnosticCodes.BtfSizeOverflow)
                {
                }
            }
        }
        if (obj.Kind == ObjectKind.RawBytecode)
        {
            return;
        }
        foreach (var program in obj.Programs)
        {
            var code = program.Instructions;
            for (var i = 0; i < code.Count; i++)
            {
                var instruction = code[i];
                if (instruction.IsLocalCall && !InRange(i + 1L + instruction.Imm, code.Count))
                {
                    throw new InvalidOperationException($"{program.Name}+{i}: call target outside the program");
                }
                if (instruction.IsLoadImm64 && i + 1 < code.Count)
                {
                    switch ((LoadImm64Source)instruction.Src)
                    {
                        case LoadImm64Source.MapByIndex when !InRange(instruction.Imm, obj.Maps.Count):
                        case LoadImm64Source.MapValueByIndex when !InRange(instruction.Imm, obj.Maps.Count) || (uint)code[i + 1].Imm > obj.Maps[instruction.Imm].ValueSize:
                        case LoadImm64Source.CodeAddress when !InRange(i + 1L + instruction.Imm, code.Count):
                            throw new InvalidOperationException($"{program.Name}+{i}: ld_imm64 {instruction} points outside");
                    }
                    i++;
                }
            }
            foreach (var line in program.LineInfo)
            {
                if (!InRange(line.InstructionIndex, code.Count))
                {
                    throw new InvalidOperationException($"{program.Name}: line info outside the program");
                }
            }
        }
    }

    private static bool InRange(long value, int count) => value >= 0 && value < count;

    private static (string Mutation, byte[] Bytes) Mutate(byte[] original, ElfLayout layout, Random random, int index)
    {
        if (index % 13 == 12)
        {
            // Several mutations on top of each other (truncations excluded, so the layout still applies).
            var bytes = original;
            var steps = new List<string>();
            for (var step = random.Next(2, 5); step > 0; step--)
            {
                var (mutation, next) = MutateOnce(bytes, layout, random, 2 + random.Next(10));
                steps.Add(mutation);
                bytes = next;
            }
            return (string.Join(" + ", steps), bytes);
        }
        return MutateOnce(original, layout, random, index % 13);
    }

    /// <summary>
    /// One mutation of <paramref name="kind"/>: 0-1 truncate, 2-3 flip bits, 4-6 ELF header, section header
    /// and table entry fields, 7-9 BTF and BTF.ext, 10 an instruction, 11 and up fill a region.
    /// <c>Elf/NativeObjectFuzzTests</c> applies the kinds that are not eBPF-specific to native objects.
    /// </summary>
    internal static (string Mutation, byte[] Bytes) MutateOnce(byte[] original, ElfLayout layout, Random random, int kind)
    {
        var bytes = (byte[])original.Clone();
        var sections = layout.Sections;
        var section = sections[random.Next(1, sections.Count)];
        switch (kind)
        {
            case 0:
                {
                    // Truncation at a boundary: inside the header, at a section's start or end, or in the header table.
                    var cuts = new List<int> { 0, 1, 4, 16, 20, 52, 63, 64, layout.SectionHeaderOffset, layout.SectionHeaderOffset + 64, bytes.Length - 1 };
                    foreach (var s in sections)
                    {
                        cuts.AddRange([s.Offset, s.Offset + 1, s.Offset + s.Size - 1, s.Offset + s.Size, s.HeaderOffset + 32]);
                    }
                    var cut = Math.Clamp(cuts[random.Next(cuts.Count)], 0, bytes.Length);
                    return ($"truncate at {cut}", bytes[..cut]);
                }
            case 1:
                {
                    var cut = random.Next(bytes.Length);
                    return ($"truncate at {cut}", bytes[..cut]);
                }
            case 2:
            case 3:
                {
                    var flips = random.Next(1, 9);
                    for (var f = 0; f < flips; f++)
                    {
                        bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                    }
                    return ($"{flips} bit flips", bytes);
                }
            case 4:
                {
                    // ELF header fields.
                    (int Offset, int Width)[] fields = [(4, 1), (5, 1), (6, 1), (16, 2), (18, 2), (40, 8), (52, 2), (58, 2), (60, 2), (62, 2)];
                    var (offset, width) = fields[random.Next(fields.Length)];
                    var value = Pick(random, bytes.Length);
                    Write(bytes, offset, width, value);
                    return ($"header field @{offset} = {value}", bytes);
                }
            case 5:
                {
                    // Section header fields: name, type, flags, offset, size, link, info, entsize.
                    (int Offset, int Width)[] fields = [(0, 4), (4, 4), (8, 8), (24, 8), (32, 8), (40, 4), (44, 4), (56, 8)];
                    var (offset, width) = fields[random.Next(fields.Length)];
                    var value = random.Next(3) switch
                    {
                        0 => Pick(random, bytes.Length),
                        1 => section.Size + random.Next(-9, 10),
                        _ => section.Offset + random.Next(-9, 10),
                    };
                    Write(bytes, section.HeaderOffset + offset, width, value);
                    return ($"section {section.Name} field @{offset} = {value}", bytes);
                }
            case 6:
                {
                    // A field of a symbol or relocation entry.
                    var tables = sections.Where(s => s.Type is 2 or 9 && s.Size > 0).ToList();
                    var table = tables[random.Next(tables.Count)];
                    var entrySize = table.Type == 2 ? 24 : 16;
                    var entry = table.Offset + (random.Next(table.Size / entrySize) * entrySize);
                    (int Offset, int Width)[] fields = table.Type == 2
                        ? [(0, 4), (4, 1), (6, 2), (8, 8), (16, 8)]
                        : [(0, 8), (8, 4), (12, 4)];
                    var (offset, width) = fields[random.Next(fields.Length)];
                    var value = random.Next(2) == 0 ? Pick(random, bytes.Length) : ReadField(bytes, entry + offset, width) + random.Next(-16, 17);
                    Write(bytes, entry + offset, width, value);
                    return ($"{table.Name} entry @{entry - table.Offset} field @{offset} = {value}", bytes);
                }
            case 7:
                {
                    // BTF header lengths and offsets.
                    var btf = layout.Find(".BTF")!;
                    var field = 4 + (4 * random.Next(6));
                    var value = random.Next(2) == 0 ? Pick(random, btf.Size) : ReadField(bytes, btf.Offset + field, 4) + random.Next(-12, 13);
                    Write(bytes, btf.Offset + field, 4, value);
                    return ($".BTF header @{field} = {value}", bytes);
                }
            case 8:
                {
                    // A word inside the BTF type section: kinds, vlen, name offsets, type ids.
                    var btf = layout.Find(".BTF")!;
                    var header = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(btf.Offset + 4));
                    var typeLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(btf.Offset + 12));
                    if (header < 0 || typeLength < 4 || (long)header + typeLength > btf.Size)
                    {
                        // An earlier step of a compound mutation broke the header: pick any word of the section.
                        (header, typeLength) = (0, btf.Size);
                    }
                    var word = btf.Offset + header + (4 * random.Next(typeLength / 4));
                    var value = random.Next(3) switch
                    {
                        0 => Pick(random, 64),
                        1 => random.Next(0, 40),
                        _ => ReadField(bytes, word, 4) ^ (1L << random.Next(32)),
                    };
                    Write(bytes, word, 4, value);
                    return ($".BTF type word @{word - btf.Offset} = {value}", bytes);
                }
            case 9:
                {
                    // A word of .BTF.ext: header, record sizes, counts, instruction offsets.
                    var ext = layout.Find(".BTF.ext")!;
                    var word = ext.Offset + (4 * random.Next(Math.Min(ext.Size / 4, random.Next(2) == 0 ? 16 : int.MaxValue)));
                    var value = random.Next(2) == 0 ? Pick(random, ext.Size) : ReadField(bytes, word, 4) + random.Next(-16, 17);
                    Write(bytes, word, 4, value);
                    return ($".BTF.ext word @{word - ext.Offset} = {value}", bytes);
                }
            case 10:
                {
                    // An instruction field in a code section: opcode, registers, offset or immediate.
                    var code = sections.Where(s => s.Type == 1 && s.Size >= 8 && IsCode(s.Name)).ToList();
                    var target = code[random.Next(code.Count)];
                    var slot = target.Offset + (8 * random.Next(target.Size / 8));
                    (int Offset, int Width)[] fields = [(0, 1), (1, 1), (2, 2), (4, 4)];
                    var (offset, width) = fields[random.Next(fields.Length)];
                    var value = random.Next(2) == 0 ? Pick(random, 256) : random.Next(-64, 64);
                    Write(bytes, slot + offset, width, value);
                    return ($"{target.Name} slot {(slot - target.Offset) / 8} field @{offset} = {value}", bytes);
                }
            default:
                {
                    // Swap or clear a whole region.
                    var start = random.Next(bytes.Length);
                    var length = Math.Min(random.Next(1, 64), bytes.Length - start);
                    var fill = (byte)(random.Next(2) == 0 ? 0 : 0xff);
                    bytes.AsSpan(start, length).Fill(fill);
                    return ($"fill {length} bytes at {start} with {fill}", bytes);
                }
        }
    }

    private static bool IsCode(string name) =>
        name is ".text" or "socket" or "xdp" or "tc" or "perf_event" || name.Contains('/', StringComparison.Ordinal);

    private static long Pick(Random random, int near) =>
        random.Next(3) == 0 ? near + random.Next(-8, 9) : Interesting[random.Next(Interesting.Length)];

    private static long ReadField(byte[] bytes, int offset, int width) => width switch
    {
        1 => bytes[offset],
        2 => BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(offset)),
        4 => BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset)),
        _ => BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(offset)),
    };

    private static void Write(byte[] bytes, int offset, int width, long value)
    {
        switch (width)
        {
            case 1:
                bytes[offset] = (byte)value;
                break;
            case 2:
                BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(offset), (ushort)value);
                break;
            case 4:
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(offset), (uint)value);
                break;
            default:
                BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(offset), value);
                break;
        }
    }
}
