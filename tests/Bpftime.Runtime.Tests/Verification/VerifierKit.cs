using System.Globalization;
using System.Text;
using Bpftime.Diagnostics;
using Bpftime.Isa;
using Bpftime.Objects;
using Bpftime.Verification;

namespace Bpftime.Tests.Verification;

/// <summary>
/// Assembles test programs in the assembler's dialect plus three pseudo-instructions the object
/// reader produces from relocations: <c>ldmap %rN, MAP</c> (ld_imm64 src 5), <c>ldmapval %rN, MAP, OFF</c>
/// (src 6) and <c>ldfunc %rN, LABEL</c> (src 4, a function address).
/// </summary>
internal static class VerifierKit
{
    public static readonly MapSpec ArrayMap = new("array", MapType.Array, 4, 48, 16);
    public static readonly MapSpec HashMap = new("hash", MapType.Hash, 8, 16, 64);
    public static readonly MapSpec RingBuffer = new("events", MapType.RingBuf, 0, 0, 4096);
    public static readonly MapSpec ProgramArray = new("jumps", MapType.ProgArray, 4, 4, 8);
    public static readonly MapSpec ReadOnlyData = new(".rodata", MapType.Array, 4, 16, 1)
    {
        IsGlobalData = true,
        IsReadOnlyForPrograms = true,
        Section = ".rodata",
        InitialValue = Encoding.ASCII.GetBytes("hello %d\0abcdef\0"),
    };
    public static readonly MapSpec Queue = new("queue", MapType.Queue, 0, 8, 16);

    /// <summary>An array whose value (BTF: struct { struct bpf_spin_lock lock; u32 pad; u64 a; }) holds a lock at offset 0.</summary>
    public static readonly MapSpec LockedArray = new("locked", MapType.Array, 4, 16, 4) { SpinLockOffset = 0 };

    /// <summary>Maps by index: 0 array, 1 hash, 2 ring buffer, 3 program array, 4 .rodata, 5 queue, 6 array with a spin lock.</summary>
    public static readonly IReadOnlyList<MapSpec> Maps = [ArrayMap, HashMap, RingBuffer, ProgramArray, ReadOnlyData, Queue, LockedArray];

    public static Instruction[] Assemble(string source)
    {
        var lines = source.Split('\n');
        var labels = new Dictionary<string, int>(StringComparer.Ordinal);
        var slot = 0;
        foreach (var raw in lines)
        {
            var line = StripComment(raw);
            if (line.Length == 0)
            {
                continue;
            }
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && !line[..colon].Contains(' ', StringComparison.Ordinal))
            {
                labels[line[..colon]] = slot;
                line = line[(colon + 1)..].Trim();
                if (line.Length == 0)
                {
                    continue;
                }
            }
            slot += line.StartsWith("lddw", StringComparison.Ordinal) || line.StartsWith("ldmap", StringComparison.Ordinal) || line.StartsWith("ldfunc", StringComparison.Ordinal) ? 2 : 1;
        }

        var output = new StringBuilder();
        slot = 0;
        foreach (var raw in lines)
        {
            var line = StripComment(raw);
            if (line.Length == 0)
            {
                continue;
            }
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && !line[..colon].Contains(' ', StringComparison.Ordinal))
            {
                output.Append(line[..(colon + 1)]).Append('\n');
                line = line[(colon + 1)..].Trim();
                if (line.Length == 0)
                {
                    continue;
                }
            }
            var word = line.Split(' ', 2)[0];
            if (word is "ldmap" or "ldmapval" or "ldfunc")
            {
                var operands = line[word.Length..].Split(',', StringSplitOptions.TrimEntries);
                var dst = byte.Parse(operands[0].TrimStart('%', 'r'), CultureInfo.InvariantCulture);
                int src, imm, second = 0;
                if (word == "ldfunc")
                {
                    src = 4;
                    imm = labels[operands[1]] - (slot + 1);
                }
                else
                {
                    src = word == "ldmap" ? 5 : 6;
                    imm = int.Parse(operands[1], CultureInfo.InvariantCulture);
                    second = word == "ldmapval" ? int.Parse(operands[2], CultureInfo.InvariantCulture) : 0;
                }
                output.Append(CultureInfo.InvariantCulture, $".raw 0x{new Instruction(Opcodes.LoadImm64, dst, (byte)src, 0, imm).ToUInt64():x16}\n");
                output.Append(CultureInfo.InvariantCulture, $".raw 0x{new Instruction(0, 0, 0, 0, second).ToUInt64():x16}\n");
                slot += 2;
                continue;
            }
            output.Append(line).Append('\n');
            slot += line.StartsWith("lddw", StringComparison.Ordinal) ? 2 : 1;
        }
        return Assembler.Assemble(output.ToString());
    }

    private static string StripComment(string line)
    {
        var hash = line.IndexOf('#', StringComparison.Ordinal);
        return (hash >= 0 ? line[..hash] : line).Trim();
    }

    public static VerificationResult Verify(string source, VerifierOptions? options = null, ProgramType type = ProgramType.Unspecified) =>
        BpfVerifier.Verify(Assemble(source), Maps, options ?? new VerifierOptions { ContextSize = 64 }, type);

    public static string Explain(VerificationResult result) =>
        string.Join("\n", result.Diagnostics.Select(d => d.ToCanonicalString())) + $"\n({result.Statistics})";

    public static void AssertPasses(VerificationResult result) =>
        Assert.True(result.Passed, "expected the program to pass:\n" + Explain(result));

    public static BpfDiagnostic AssertRefused(VerificationResult result, string code, int instruction)
    {
        Assert.False(result.Passed, $"expected {code} at {instruction}, but the program passed ({result.Statistics})");
        var first = result.Diagnostics[0];
        Assert.True(first.Code == code && first.InstructionIndex == instruction,
            $"expected {code} at instruction {instruction}, got:\n{Explain(result)}");
        return first;
    }
}
