using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Bpftime.Objects;

namespace Bpftime.Tool.Commands;

/// <summary><c>bpftime inspect FILE [--json]</c>: programs, maps, BTF and relocations of an object.</summary>
internal static class InspectCommand
{
    public static Command Create(ToolContext context)
    {
        var file = CommandSupport.FileArgument();
        var json = CommandSupport.JsonOption();
        var command = new Command("inspect", "Show the programs, maps, BTF and relocations of an eBPF object") { file, json };
        command.SetAction(parse => CommandSupport.Guard(context, () =>
        {
            var objectFile = CommandSupport.ReadObject(parse.GetValue(file)!);
            context.Output.Write(parse.GetValue(json) ? ToJson(objectFile) : ToText(objectFile));
            return CommandSupport.Success;
        }));
        return command;
    }

    private static string ToText(BpfObjectFile file)
    {
        var text = new StringBuilder();
        text.AppendLine($"{file.Path}: {(file.Kind == ObjectKind.Elf ? "ELF eBPF object" : "raw bytecode")}"
            + (file.License is null ? "" : $", license \"{file.License}\""));
        text.AppendLine(file.Btf is null ? "BTF: none" : $"BTF: {file.Btf.Types.Count} types");
        text.AppendLine(CultureInfo.InvariantCulture, $"programs ({file.Programs.Count}):");
        text.AppendLine(CultureInfo.InvariantCulture, $"  {"name",-24} {"section",-24} {"type",-16} {"insns",6}  line info");
        foreach (var program in file.Programs)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {program.Name,-24} {program.Section,-24} {program.Type,-16} {program.Instructions.Count,6}  {(program.LineInfo.Count > 0 ? "yes" : "no")}");
        }
        text.AppendLine(CultureInfo.InvariantCulture, $"maps ({file.Maps.Count}):");
        if (file.Maps.Count > 0)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {"name",-24} {"type",-16} {"key",5} {"value",7} {"max",8}  flags");
        }
        foreach (var map in file.Maps)
        {
            var notes = map.IsGlobalData ? (map.IsReadOnlyForPrograms ? " global data, read-only" : " global data") : "";
            text.AppendLine(CultureInfo.InvariantCulture, $"  {map.Name,-24} {map.Type,-16} {map.KeySize,5} {map.ValueSize,7} {map.MaxEntries,8}  0x{map.Flags:x}{notes}");
        }
        var relocations = file.RelocationCounts.Where(r => r.Value > 0).OrderBy(r => r.Key).ToList();
        text.AppendLine("relocations: " + (relocations.Count == 0 ? "none" : string.Join(", ", relocations.Select(r => $"{r.Key} {r.Value}"))));
        foreach (var warning in file.Warnings)
        {
            text.AppendLine(warning.ToCanonicalString());
        }
        return text.ToString();
    }

    private static string ToJson(BpfObjectFile file)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("path", file.Path);
            json.WriteString("kind", file.Kind == ObjectKind.Elf ? "elf" : "raw");
            json.WriteString("license", file.License);
            json.WriteBoolean("btf", file.Btf is not null);
            json.WriteNumber("btf_types", file.Btf?.Types.Count ?? 0);
            json.WriteStartArray("programs");
            foreach (var program in file.Programs)
            {
                json.WriteStartObject();
                json.WriteString("name", program.Name);
                json.WriteString("section", program.Section);
                json.WriteString("type", program.Type.ToString());
                json.WriteNumber("instructions", program.Instructions.Count);
                json.WriteBoolean("line_info", program.LineInfo.Count > 0);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartArray("maps");
            foreach (var map in file.Maps)
            {
                json.WriteStartObject();
                json.WriteString("name", map.Name);
                json.WriteString("type", map.Type.ToString());
                json.WriteNumber("type_id", (uint)map.Type);
                json.WriteNumber("key_size", map.KeySize);
                json.WriteNumber("value_size", map.ValueSize);
                json.WriteNumber("max_entries", map.MaxEntries);
                json.WriteNumber("flags", map.Flags);
                json.WriteBoolean("global_data", map.IsGlobalData);
                json.WriteBoolean("read_only", map.IsReadOnlyForPrograms);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartObject("relocations");
            foreach (var (kind, count) in file.RelocationCounts.OrderBy(r => r.Key))
            {
                json.WriteNumber(kind.ToString(), count);
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + Environment.NewLine;
    }
}
