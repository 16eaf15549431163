using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Bpftime.Diagnostics;

namespace Bpftime.Isa.Conformance;

/// <summary>
/// One test vector of the eBPF conformance suite (a <c>.data</c> file): the program as assembly
/// and optionally as raw slots, the input memory, and either the expected r0 or the expected refusal.
/// </summary>
/// <param name="Name">The file name without its extension.</param>
/// <param name="Assembly">The <c>-- asm</c> section verbatim (comments included); empty when absent.</param>
/// <param name="Raw">The <c>-- raw</c> section as 64-bit slots, or null when absent.</param>
/// <param name="Memory">The <c>-- mem</c> bytes; empty when absent.</param>
/// <param name="ExpectedResult">The <c>-- result</c> value, or null when absent.</param>
/// <param name="ExpectedError">The <c>-- error</c> text (possibly empty), or null when the file expects no refusal.</param>
public sealed record ConformanceFile(
    string Name,
    string Assembly,
    IReadOnlyList<ulong>? Raw,
    byte[] Memory,
    ulong? ExpectedResult,
    string? ExpectedError)
{
    /// <summary>The file line of the asm section's first line, so that assembler errors can point into the file.</summary>
    public int AssemblyLine { get; init; } = 1;

    /// <summary>True when the file has something to run: an asm section with an instruction, or raw slots.</summary>
    public bool HasProgram => Raw is { Count: > 0 } || Assembly.AsSpan().ContainsAnyExcept(" \t\r\n");

    /// <summary>The raw section as instructions, or null when there is none.</summary>
    public Instruction[]? RawInstructions
    {
        get
        {
            if (Raw is null)
            {
                return null;
            }
            var result = new Instruction[Raw.Count];
            for (var i = 0; i < result.Length; i++)
            {
                result[i] = Instruction.FromUInt64(Raw[i]);
            }
            return result;
        }
    }

    /// <summary>The program: the raw slots when present (they are the encoding of record), else the assembled asm section.</summary>
    public Instruction[] Program() => RawInstructions ?? Assembler.Assemble(Assembly, Name, AssemblyLine);

    public static ConformanceFile Load(string path)
    {
        return Parse(File.ReadAllText(path), Path.GetFileNameWithoutExtension(path), path);
    }

    /// <summary>Parses the text of a <c>.data</c> file. Unknown sections (<c>-- c</c>, <c>-- no register offset</c>, ...) are ignored.</summary>
    public static ConformanceFile Parse(string text, string name, string? origin = null)
    {
        var assembly = new StringBuilder();
        List<ulong>? raw = null;
        List<byte>? memory = null;
        ulong? result = null;
        StringBuilder? error = null;
        var section = Section.None;
        var lineNumber = 0;
        var assemblyLine = 1;
        foreach (var rawLine in text.AsSpan().EnumerateLines())
        {
            lineNumber++;
            if (rawLine.StartsWith("--"))
            {
                section = ParseSectionName(rawLine[2..].Trim());
                switch (section)
                {
                    case Section.Assembly:
                        assemblyLine = lineNumber + 1;
                        break;
                    case Section.Raw:
                        raw ??= [];
                        break;
                    case Section.Memory:
                        memory ??= [];
                        break;
                    case Section.Error:
                        error ??= new StringBuilder();
                        break;
                }
                continue;
            }
            switch (section)
            {
                case Section.Assembly:
                    // Kept verbatim so that the assembler reports the file's own line numbers relative to the section.
                    assembly.Append(rawLine).Append('\n');
                    break;
                case Section.Raw:
                    ParseRawLine(StripComment(rawLine), raw!, origin ?? name, lineNumber);
                    break;
                case Section.Memory:
                    ParseMemoryLine(StripComment(rawLine), memory!, origin ?? name, lineNumber);
                    break;
                case Section.Result:
                    var value = StripComment(rawLine).Trim();
                    if (!value.IsEmpty)
                    {
                        result = ParseResult(value, origin ?? name, lineNumber);
                    }
                    break;
                case Section.Error:
                    var message = rawLine.Trim();
                    if (!message.IsEmpty && message[0] != '#')
                    {
                        if (error!.Length > 0)
                        {
                            error.Append('\n');
                        }
                        error.Append(message);
                    }
                    break;
            }
        }
        return new ConformanceFile(name, assembly.ToString(), raw, memory?.ToArray() ?? [], result, error?.ToString())
        {
            AssemblyLine = assemblyLine,
        };
    }

    private enum Section
    {
        None,
        Assembly,
        Raw,
        Memory,
        Result,
        Error,
        Ignored,
    }

    private static Section ParseSectionName(ReadOnlySpan<char> name) => name switch
    {
        "asm" => Section.Assembly,
        "raw" => Section.Raw,
        "mem" => Section.Memory,
        "result" => Section.Result,
        "error" => Section.Error,
        _ => Section.Ignored,
    };

    private static ReadOnlySpan<char> StripComment(ReadOnlySpan<char> line)
    {
        var hash = line.IndexOf('#');
        return hash < 0 ? line : line[..hash];
    }

    /// <summary>A raw line is either one 64-bit value (<c>0x0000000000000095</c>) or eight hex bytes in memory order.</summary>
    private static void ParseRawLine(ReadOnlySpan<char> line, List<ulong> raw, string origin, int lineNumber)
    {
        line = line.Trim();
        if (line.IsEmpty)
        {
            return;
        }
        if (line.Contains(' ') || line.Contains('\t'))
        {
            Span<byte> slot = stackalloc byte[Instruction.Size];
            var count = 0;
            foreach (var range in line.SplitAny(" \t"))
            {
                var token = line[range];
                if (token.IsEmpty)
                {
                    continue;
                }
                if (count == Instruction.Size || !byte.TryParse(token, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out slot[count]))
                {
                    throw Malformed(origin, lineNumber, $"raw line '{line}' is not eight hex bytes");
                }
                count++;
            }
            if (count != Instruction.Size)
            {
                throw Malformed(origin, lineNumber, $"raw line '{line}' has {count} bytes; an instruction is 8");
            }
            raw.Add(BinaryPrimitives.ReadUInt64LittleEndian(slot));
            return;
        }
        if (line.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            line = line[2..];
        }
        if (!ulong.TryParse(line, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
        {
            throw Malformed(origin, lineNumber, $"raw line '{line}' is not a 64-bit hex value");
        }
        raw.Add(value);
    }

    private static void ParseMemoryLine(ReadOnlySpan<char> line, List<byte> memory, string origin, int lineNumber)
    {
        foreach (var range in line.SplitAny(" \t"))
        {
            var token = line[range];
            if (token.IsEmpty)
            {
                continue;
            }
            if (!byte.TryParse(token, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
            {
                throw Malformed(origin, lineNumber, $"memory byte '{token}' is not two hex digits");
            }
            memory.Add(value);
        }
    }

    private static ulong ParseResult(ReadOnlySpan<char> value, string origin, int lineNumber)
    {
        if (value.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            && ulong.TryParse(value[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
        {
            return hex;
        }
        if (ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var unsigned))
        {
            return unsigned;
        }
        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var signed))
        {
            return (ulong)signed;
        }
        throw Malformed(origin, lineNumber, $"result '{value}' is neither 0x-prefixed hex nor decimal");
    }

    private static BpfException Malformed(string origin, int lineNumber, string what) =>
        new(new BpfDiagnostic(
            AssemblerDiagnosticCodes.ConformanceFileMalformed,
            $"line {lineNumber}: {what}; fix the .data file",
            File: origin,
            Line: lineNumber));
}
