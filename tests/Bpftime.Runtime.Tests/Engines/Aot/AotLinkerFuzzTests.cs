using System.Buffers.Binary;
using Bpftime.Diagnostics;
using Bpftime.Engines.Aot;
using Bpftime.Linking.Native;
using Xunit.Abstractions;

namespace Bpftime.Runtime.Tests.Engines.Aot;

/// <summary>
/// Seeded mutations of real objects: whatever the bytes, Link either links or throws a
/// <see cref="BpfException"/> with a linker or object code, never another exception and never the
/// internal-failure code. Linked mutants are disposed, never run.
/// </summary>
public class AotLinkerFuzzTests(ITestOutputHelper output)
{
    private static readonly string[] Seeds = ["helpers_meta.o", "loops.o", "maps_meta.o", "loops_large_pic.o", "address_nopic.o", "callx.o"];

    [Fact]
    public void MutatedObjectsOnlyEverRaiseBpfExceptions()
    {
        // BPFTIME_FUZZ_SEED and BPFTIME_FUZZ_CASES widen a local hunt; the default run is fixed and short.
        var seed = int.TryParse(Environment.GetEnvironmentVariable("BPFTIME_FUZZ_SEED"), out var s) ? s : 20261125;
        var cases = int.TryParse(Environment.GetEnvironmentVariable("BPFTIME_FUZZ_CASES"), out var c) ? c : 4000;
        var random = new Random(seed);
        var seeds = Seeds.Select(AotTestObjects.Read).ToArray();
        using var map = new OneValueMap("totals");
        var options = new AotLinkOptions { Helpers = AotTestObjects.Helpers(), Maps = [map], Origin = "mutant.o" };
        var outcomes = new Dictionary<string, int>();
        for (var i = 0; i < cases; i++)
        {
            var bytes = Mutate(seeds[random.Next(seeds.Length)], random);
            string outcome;
            try
            {
                AotLinker.Link(bytes, options).Dispose();
                outcome = "linked";
            }
            catch (BpfException e)
            {
                Assert.True(e.Diagnostics.All(d => d.Code != DiagnosticCodes.LinkInternalFailure),
                    $"case {i}: internal failure: {e.Message} {e.InnerException}");
                Assert.Matches("^BPF31[0-9][0-9]$", e.Code);
                outcome = e.Code;
            }
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }
        output.WriteLine(string.Join(", ", outcomes.OrderBy(o => o.Key).Select(o => $"{o.Key}: {o.Value}")));
        Assert.True(outcomes.Keys.Count(k => k.StartsWith("BPF", StringComparison.Ordinal)) >= 3, "the mutations reach several refusals");
    }

    private static byte[] Mutate(byte[] seed, Random random)
    {
        var bytes = (byte[])seed.Clone();
        switch (random.Next(5))
        {
            case 0: // flip a few bytes anywhere
                for (var n = random.Next(1, 9); n > 0; n--)
                {
                    bytes[random.Next(bytes.Length)] ^= (byte)random.Next(1, 256);
                }
                return bytes;
            case 1: // truncate
                return bytes[..random.Next(bytes.Length)];
            case 2: // an interesting value in the ELF header
                WriteInteresting(bytes, random.Next(16, 64) & ~1, random);
                return bytes;
            case 3: // an interesting value in a section header
                {
                    var table = (int)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(0x28)), (ulong)bytes.Length - 8);
                    WriteInteresting(bytes, Math.Min(bytes.Length - 8, table + (random.Next(0, 2048) & ~3)), random);
                    return bytes;
                }
            default: // an interesting value anywhere (symbols, relocations, metadata)
                WriteInteresting(bytes, random.Next(bytes.Length - 8) & ~3, random);
                return bytes;
        }
    }

    private static void WriteInteresting(byte[] bytes, int offset, Random random)
    {
        ulong[] values = [0, 1, 2, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, ulong.MaxValue, 1UL << 40, (ulong)bytes.Length, (ulong)random.Next()];
        var value = values[random.Next(values.Length)];
        var width = random.Next(3) switch { 0 => 2, 1 => 4, _ => 8 };
        if (offset < 0 || offset + width > bytes.Length)
        {
            return;
        }
        switch (width)
        {
            case 2: BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(offset), (ushort)value); break;
            case 4: BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(offset), (uint)value); break;
            default: BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(offset), value); break;
        }
    }
}
