using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Hosting;
using Bpftime.Maps;
using Bpftime.Objects;
using Bpftime.Tests.Maps;
using Bpftime.Verification;

namespace Bpftime.Tests.Objects;

/// <summary>
/// memset, memcpy, memmove and memcmp called as undefined functions (tests/data/c/builtins, built with
/// -fno-builtin so that the calls stay calls): the object linker supplies them as subprograms, so every
/// engine runs them and the verifier proves each call site. Results are checked against the same
/// computation in C#; a length past the buffer is refused by the verifier and faults in checked runs.
/// </summary>
public class CompilerBuiltinTests
{
    private const int ContextSize = 64;

    private static readonly VerifierOptions Options = new() { Context = ContextLayout.RawMemory(ContextSize) };

    public static TheoryData<string, string> EnginesAndPrograms()
    {
        var data = new TheoryData<string, string>();
        foreach (var engine in TestEngines.All)
        {
            foreach (var program in new[] { "fill_value", "zero_struct", "fill_prefix", "copy_middle", "move_overlapping", "compare_halves" })
            {
                data.Add(engine.Name, program);
            }
        }
        return data;
    }

    private static BpfObjectFile Read(string name) => ObjectReader.ReadFile(Path.Combine(TestPaths.DataDirectory, "obj", "builtins", name + ".bpf.o"));

    [Fact]
    public void TheLinkerAppendsEachBuiltinOncePerProgram()
    {
        var file = Read("builtins");
        var move = file.FindProgram("move_overlapping")!;
        // Two memmove calls and a memcpy: one copy of each function, placed after the program's own code.
        Assert.Equal(["memcpy", "memmove"], move.Subprograms.Select(s => s.Name).Order(StringComparer.Ordinal));
        Assert.All(move.Subprograms, s => Assert.True(s.Start >= move.MainLength));
        var calls = move.Instructions.Take(move.MainLength).Where(i => i.IsLocalCall).Select((i, _) => i).Count();
        Assert.Equal(3, calls);
        Assert.Equal(["memcmp"], file.FindProgram("compare_halves")!.Subprograms.Select(s => s.Name));
    }

    [Fact]
    public void EveryCallSiteIsProved()
    {
        var file = Read("builtins");
        foreach (var program in file.Programs)
        {
            var result = BpfVerifier.Verify(program, file.Maps, Options, file.Path);
            Assert.True(result.Passed, $"{program.Name}: {string.Join("\n", result.Errors)}");
        }
    }

    [Theory]
    [MemberData(nameof(EnginesAndPrograms))]
    public void BuiltinsComputeWhatCDoes(string engine, string programName)
    {
        var file = Read("builtins");
        var program = file.FindProgram(programName)!;
        var verification = BpfVerifier.Verify(program, file.Maps, Options, file.Path);
        Assert.True(verification.Passed, string.Join("\n", verification.Errors));
        foreach (var verified in new[] { false, true })
        {
            if (!verified && engine == BpfLoadOptions.AotEngine)
            {
                continue;
            }
            var maps = file.Maps.Select(spec => BpfMapFactory.Create(spec)).ToList();
            try
            {
                var image = new ProgramImage(program.Name, program.ToArray(), StandardHelpers.CreateDefault()) { Maps = maps };
                using var executable = TestEngines.Get(engine).Load(verified ? image.WithVerification(verification) : image, EngineOptions.Default);
                foreach (var input in Inputs())
                {
                    var expected = Expected(programName, input);
                    var actual = (uint)executable.Run(input.ToArray());
                    Assert.True(expected == actual, $"{engine} ({(verified ? "verified" : "checked")}) {programName} on [{string.Join(",", input)}]: expected {expected}, got {actual}");
                    if (programName == "fill_value")
                    {
                        Assert.All(ValueBytes(maps[0]), b => Assert.Equal(input[0], b));
                    }
                }
            }
            finally
            {
                maps.ForEach(m => m.Dispose());
            }
        }
    }

    private static unsafe byte[] ValueBytes(BpfMap map)
    {
        var address = map.Lookup(new byte[4]);
        Assert.NotEqual(0, address);
        return new ReadOnlySpan<byte>((void*)address, (int)map.Spec.ValueSize).ToArray();
    }

    [Theory]
    [InlineData("overrun_value")]
    [InlineData("overrun_stack")]
    public void MemsetPastTheBufferIsRefusedByTheVerifier(string programName)
    {
        var file = Read("builtins_unsafe");
        var program = file.FindProgram(programName)!;
        var result = BpfVerifier.Verify(program, file.Maps, Options, file.Path);
        Assert.False(result.Passed);
        var error = result.Errors.First();
        var memset = Assert.Single(program.Subprograms, s => s.Name == "memset");
        // The store that would leave the buffer is inside memset, and the message says so.
        Assert.True(error.InstructionIndex >= memset.Start, error.ToString());
        Assert.Contains("memset", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> CheckedEnginesAndUnsafePrograms()
    {
        var data = new TheoryData<string, string>();
        foreach (var engine in TestEngines.All.Where(e => e.Name != BpfLoadOptions.AotEngine))
        {
            data.Add(engine.Name, "overrun_value");
            data.Add(engine.Name, "overrun_stack");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(CheckedEnginesAndUnsafePrograms))]
    public void MemsetPastTheBufferFaultsInCheckedRuns(string engine, string programName)
    {
        var file = Read("builtins_unsafe");
        var program = file.FindProgram(programName)!;
        var maps = file.Maps.Select(spec => BpfMapFactory.Create(spec)).ToList();
        try
        {
            var image = new ProgramImage(program.Name, program.ToArray(), StandardHelpers.CreateDefault()) { Maps = maps };
            using var executable = TestEngines.Get(engine).Load(image, EngineOptions.Default);
            var input = new byte[ContextSize];
            input[0] = 255;
            var error = Assert.Throws<BpfException>(() => executable.Run(input));
            Assert.Contains(error.Code, new[] { DiagnosticCodes.StackAccessOutOfBounds, DiagnosticCodes.MapValueAccessOutOfBounds, DiagnosticCodes.UnknownMemoryAccess });
        }
        finally
        {
            maps.ForEach(m => m.Dispose());
        }
    }

    /// <summary>Fixed random inputs plus inputs whose halves agree for a while, so memcmp sees equal prefixes.</summary>
    private static IEnumerable<byte[]> Inputs()
    {
        var random = new Random(9669);
        for (var i = 0; i < 6; i++)
        {
            var input = new byte[ContextSize];
            random.NextBytes(input);
            yield return input;
        }
        foreach (var (length, differAt, delta) in new[] { (31, 31, 0), (31, 30, 1), (31, 12, -1), (0, 0, 1), (20, 9, 1), (29, 28, -1), (8, 7, 1), (17, 16, -1) })
        {
            var input = new byte[ContextSize];
            random.NextBytes(input);
            input[0] = (byte)length;
            Array.Copy(input, 1, input, 32, 31);
            if (differAt < 31)
            {
                input[32 + differAt] = (byte)(input[1 + differAt] + delta);
                if (input[32 + differAt] == input[1 + differAt])
                {
                    input[32 + differAt] ^= 0x80;
                }
            }
            yield return input;
        }
        var ones = new byte[ContextSize];
        Array.Fill(ones, (byte)0xff);
        yield return ones;
        yield return new byte[ContextSize];
    }

    private static uint Expected(string program, byte[] mem) => program switch
    {
        "fill_value" => (uint)(3 * mem[0]),
        "zero_struct" => ZeroStruct(mem),
        "fill_prefix" => FillPrefix(mem),
        "copy_middle" => CopyMiddle(mem),
        "move_overlapping" => MoveOverlapping(mem),
        "compare_halves" => (uint)Math.Sign(mem.AsSpan(32, mem[0] & 31).SequenceCompareTo(mem.AsSpan(1, mem[0] & 31))),
        _ => throw new ArgumentException(program),
    };

    private static uint Hash(ReadOnlySpan<byte> bytes)
    {
        ulong h = 0;
        foreach (var b in bytes)
        {
            h = unchecked((h * 31) + b);
        }
        return (uint)h;
    }

    private static uint ZeroStruct(byte[] mem)
    {
        // struct event: 30 words and 13 bytes, padded to 256.
        var e = new byte[256];
        for (var i = 0; i < e.Length; i++)
        {
            e[i] = mem[i % ContextSize];
        }
        Array.Clear(e, 3, e.Length - 8);
        return Hash(e);
    }

    private static uint FillPrefix(byte[] mem)
    {
        var buf = (byte[])mem.Clone();
        Array.Fill(buf, mem[1], 0, mem[0] & 63);
        return Hash(buf);
    }

    private static uint CopyMiddle(byte[] mem)
    {
        var buf = new byte[ContextSize];
        Array.Copy(mem, 7, buf, 3, mem[0] & 31);
        return Hash(buf);
    }

    private static uint MoveOverlapping(byte[] mem)
    {
        var buf = (byte[])mem.Clone();
        // Array.Copy within one array copies as if through a temporary buffer, as memmove does.
        Array.Copy(buf, 2, buf, 5, mem[0] & 31);
        Array.Copy(buf, 11, buf, 1, mem[1] & 31);
        return Hash(buf);
    }
}
