using System.Text.Json;
using Bpftime.Maps;

namespace Bpftime.Hosting;

/// <summary>
/// Writes maps as JSON, one object per map: its layout and its entries with keys and values as hex
/// bytes in memory order (as bpftool's hex dumps), per-CPU values as one hex string per slot.
/// Ring buffers report their unread bytes and drops; queues and stacks their values, oldest first
/// for queues; program arrays the occupied slots.
/// </summary>
public static unsafe class BpfMapDump
{
    /// <summary>Most entries written per map, so that a huge map cannot flood the output.</summary>
    public const int MaxEntries = 10_000;

    public static void Write(Utf8JsonWriter writer, IEnumerable<BpfMap> maps)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(maps);
        writer.WriteStartArray();
        foreach (var map in maps)
        {
            Write(writer, map);
        }
        writer.WriteEndArray();
    }

    public static void Write(Utf8JsonWriter writer, BpfMap map)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(map);
        writer.WriteStartObject();
        writer.WriteString("name", map.Name);
        writer.WriteString("type", map.Type.ToString());
        writer.WriteNumber("type_id", (uint)map.Type);
        writer.WriteNumber("key_size", map.KeySize);
        writer.WriteNumber("value_size", map.ValueSize);
        writer.WriteNumber("max_entries", map.MaxEntries);
        switch (map)
        {
            case RingBufferMap ring:
                writer.WriteNumber("available_bytes", ring.AvailableData);
                writer.WriteNumber("dropped_records", ring.DroppedRecords);
                break;
            case QueueMap queue:
                WriteQueue(writer, queue);
                break;
            case ProgramArrayMap programs:
                writer.WriteStartArray("slots");
                for (uint i = 0; i < programs.MaxEntries && i < MaxEntries; i++)
                {
                    if (programs.Get(i) is { } program)
                    {
                        writer.WriteStartObject();
                        writer.WriteNumber("index", i);
                        writer.WriteString("engine", program.EngineName);
                        writer.WriteEndObject();
                    }
                }
                writer.WriteEndArray();
                break;
            case MapOfMaps outer:
                // A slot's value is a map (its handle means nothing outside the process): named instead.
                writer.WriteStartArray("slots");
                var key = Array.Empty<byte>();
                var next = new byte[outer.KeySize];
                for (var written = 0; written < MaxEntries && outer.GetNextKey(key, next) == 0; written++, key = (byte[])next.Clone())
                {
                    if (outer.GetMap(next) is { } inner)
                    {
                        writer.WriteStartObject();
                        writer.WriteString("key", Convert.ToHexStringLower(next));
                        writer.WriteString("map", inner.Name);
                        writer.WriteEndObject();
                    }
                }
                writer.WriteEndArray();
                break;
            default:
                WriteEntries(writer, map);
                break;
        }
        writer.WriteEndObject();
    }

    private static void WriteEntries(Utf8JsonWriter writer, BpfMap map)
    {
        writer.WriteStartArray("entries");
        var key = Array.Empty<byte>();
        var next = new byte[map.KeySize];
        var written = 0;
        while (written < MaxEntries && map.GetNextKey(key, next) == 0)
        {
            writer.WriteStartObject();
            writer.WriteString("key", Convert.ToHexStringLower(next));
            if (map is IPerCpuMap perCpu && map is not HashMap { IsPerCpu: false })
            {
                writer.WriteStartArray("values");
                for (var slot = 0; slot < perCpu.SlotCount; slot++)
                {
                    var address = perCpu.LookupSlot(next, slot);
                    writer.WriteStringValue(address == 0 ? "" : Convert.ToHexStringLower(new ReadOnlySpan<byte>((void*)address, (int)map.ValueSize)));
                }
                writer.WriteEndArray();
            }
            else
            {
                var address = map.Lookup(next);
                writer.WriteString("value", address == 0 ? "" : Convert.ToHexStringLower(new ReadOnlySpan<byte>((void*)address, (int)map.ValueSize)));
            }
            writer.WriteEndObject();
            key = (byte[])next.Clone();
            written++;
        }
        writer.WriteEndArray();
    }

    private static void WriteQueue(Utf8JsonWriter writer, QueueMap queue)
    {
        // Reading a queue takes its values: pop them all, then push them back in the same order.
        var values = new List<byte[]>();
        var value = new byte[queue.ValueSize];
        while (values.Count < MaxEntries && queue.Pop(value) == 0)
        {
            values.Add((byte[])value.Clone());
        }
        var restore = queue.Type == Objects.MapType.Stack ? Enumerable.Reverse(values) : values;
        foreach (var item in restore)
        {
            queue.Push(item, MapUpdateFlags.Any);
        }
        writer.WriteStartArray("values");
        foreach (var item in values)
        {
            writer.WriteStringValue(Convert.ToHexStringLower(item));
        }
        writer.WriteEndArray();
    }

    /// <summary>The maps as an indented JSON text.</summary>
    public static string ToJson(IEnumerable<BpfMap> maps)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            Write(writer, maps);
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
