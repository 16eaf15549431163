using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Bpftime.Hosting;
using Bpftime.Maps;
using Bpftime.Objects;

namespace Bpftime.Tool.Commands;

/// <summary>
/// The maps of a loaded object for --dump-maps: the runtime's dump (layout, keys and values as hex
/// bytes) with, in each entry, a "formatted" member holding the key and value read through the
/// object's BTF by <see cref="BtfValueFormatter"/>, as bpftool does; per-CPU values one per CPU.
/// Without BTF for a map, array indexes are numbers and everything else stays hex.
/// </summary>
internal static class MapDumpView
{
    /// <summary>The dump as a JSON array, one object per map.</summary>
    public static JsonArray Build(BpfObject loaded, FileInfo file)
    {
        var maps = JsonNode.Parse(BpfMapDump.ToJson(loaded.Maps.Values))!.AsArray();
        var formatter = Formatter(loaded, file);
        foreach (var node in maps)
        {
            var entry = node!.AsObject();
            if (entry["name"]?.GetValue<string>() is not { } name || !loaded.Maps.TryGetValue(name, out var map))
            {
                continue;
            }
            if (entry["entries"] is JsonArray entries)
            {
                foreach (var item in entries)
                {
                    AddFormatted(item!.AsObject(), map, formatter);
                }
            }
            else if (entry["values"] is JsonArray values)
            {
                var formatted = new JsonArray();
                foreach (var value in values)
                {
                    formatted.Add(Value(map.Spec, formatter, value!.GetValue<string>()));
                }
                entry["formatted_values"] = formatted;
            }
        }
        return maps;
    }

    /// <summary>The dump as text: one heading line per map, then one line per entry (per CPU for per-CPU maps).</summary>
    public static string ToText(JsonArray maps)
    {
        var text = new StringBuilder();
        foreach (var node in maps)
        {
            var map = node!.AsObject();
            text.AppendLine(CultureInfo.InvariantCulture,
                $"map {map["name"]} ({map["type"]}, key {map["key_size"]} bytes, value {map["value_size"]} bytes, max_entries {map["max_entries"]}):");
            if (map["entries"] is JsonArray entries)
            {
                if (entries.Count == 0)
                {
                    text.AppendLine("  (empty)");
                }
                foreach (var item in entries)
                {
                    var formatted = item!["formatted"]!;
                    if (formatted["values"] is JsonArray perCpu)
                    {
                        text.AppendLine(CultureInfo.InvariantCulture, $"  {Compact(formatted["key"])}:");
                        foreach (var slot in perCpu)
                        {
                            text.AppendLine(CultureInfo.InvariantCulture, $"    cpu {slot!["cpu"]}: {Compact(slot["value"])}");
                        }
                    }
                    else
                    {
                        text.AppendLine(CultureInfo.InvariantCulture, $"  {Compact(formatted["key"])}: {Compact(formatted["value"])}");
                    }
                }
            }
            else if (map["formatted_values"] is JsonArray values)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  values: {Compact(values)}");
            }
            foreach (var (key, value) in map)
            {
                if (key is "available_bytes" or "dropped_records" or "slots")
                {
                    text.AppendLine(CultureInfo.InvariantCulture, $"  {key}: {Compact(value)}");
                }
            }
        }
        return text.ToString();
    }

    /// <summary>The object's BTF with its variables' places; none without BTF (raw bytecode, native objects).</summary>
    private static BtfValueFormatter? Formatter(BpfObject loaded, FileInfo file)
    {
        try
        {
            return loaded.File.Btf is { } btf ? BtfValueFormatter.ForObject(File.ReadAllBytes(file.FullName), btf) : null;
        }
        catch (Exception error) when (error is Diagnostics.BpfException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string Compact(JsonNode? node) => node?.ToJsonString() ?? "null";

    private static void AddFormatted(JsonObject item, BpfMap map, BtfValueFormatter? formatter)
    {
        var formatted = new JsonObject { ["key"] = Key(map.Spec, formatter, item["key"]!.GetValue<string>()) };
        if (item["values"] is JsonArray slots)
        {
            var perCpu = new JsonArray();
            for (var cpu = 0; cpu < slots.Count; cpu++)
            {
                perCpu.Add(new JsonObject { ["cpu"] = cpu, ["value"] = Value(map.Spec, formatter, slots[cpu]!.GetValue<string>()) });
            }
            formatted["values"] = perCpu;
        }
        else if (item["value"] is { } value)
        {
            formatted["value"] = Value(map.Spec, formatter, value.GetValue<string>());
        }
        item["formatted"] = formatted;
    }

    private static JsonNode? Key(MapSpec spec, BtfValueFormatter? formatter, string hex)
    {
        var bytes = Convert.FromHexString(hex);
        if (formatter is not null && formatter.Describes(spec.KeyTypeId, spec.KeySize))
        {
            return JsonNode.Parse(formatter.Format(spec.KeyTypeId, bytes));
        }
        // Array-like maps are indexed by a u32 even when their BTF does not say so (global data, legacy definitions).
        if (bytes.Length == 4 && spec.Type is MapType.Array or MapType.PerCpuArray or MapType.ProgArray or MapType.ArrayOfMaps or MapType.PerfEventArray)
        {
            return JsonValue.Create(BitConverter.ToUInt32(bytes));
        }
        return JsonValue.Create(hex);
    }

    private static JsonNode? Value(MapSpec spec, BtfValueFormatter? formatter, string hex) =>
        formatter is not null && hex.Length > 0 && formatter.Describes(spec.ValueTypeId, spec.ValueSize)
            ? JsonNode.Parse(formatter.Format(spec.ValueTypeId, Convert.FromHexString(hex)))
            : JsonValue.Create(hex);
}
