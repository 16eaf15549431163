using System.Text.Json;
using Bpftime.Objects;

namespace Bpftime.Engines.Aot;

/// <summary>
/// Reads <see cref="AotMetadata"/> JSON with <see cref="Utf8JsonReader"/> alone. The serializer's
/// metadata (its property tables and converters, instantiated over each property type) had to be
/// compiled at run time on every start of an app that links native code, which cost more than the
/// link itself; this reader is plain code that ships precompiled. It accepts what
/// <see cref="AotMetadata.ToJsonBytes"/> writes and follows the serializer's rules: snake_case names,
/// unknown properties skipped, the last of a repeated property wins; a missing required property, a
/// null where a value must be, or a value of the wrong kind is a <see cref="JsonException"/>.
/// </summary>
internal static class AotMetadataReader
{
    private const int MaxDepth = 16;

    public static AotMetadata Read(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = MaxDepth });
        Next(ref reader);
        if (reader.TokenType == JsonTokenType.Null)
        {
            throw new JsonException("the metadata section is empty");
        }
        var metadata = ReadMetadata(ref reader);
        if (reader.Read())
        {
            throw new JsonException("the metadata has data after its top-level object");
        }
        return metadata;
    }

    private static AotMetadata ReadMetadata(ref Utf8JsonReader reader)
    {
        var format = AotMetadata.CurrentFormat;
        string? triple = null, sourceHash = null, sourceName = null, targetCpu = null, helperSet = null;
        var optimizationLevel = 0;
        List<AotProgram>? programs = null;
        List<AotMap> maps = [];
        StartObject(ref reader, "the metadata");
        while (NextProperty(ref reader) is { } name)
        {
            switch (name)
            {
                case "format": format = Int32(ref reader); break;
                case "triple": triple = RequiredString(ref reader, name); break;
                case "source_hash": sourceHash = String(ref reader); break;
                case "source_name": sourceName = String(ref reader); break;
                case "optimization_level": optimizationLevel = Int32(ref reader); break;
                case "target_cpu": targetCpu = String(ref reader); break;
                case "helper_set": helperSet = String(ref reader); break;
                case "programs": programs = Array(ref reader, name, ReadProgram); break;
                case "maps": maps = Array(ref reader, name, ReadMap); break;
                default: reader.Skip(); break;
            }
        }
        return new AotMetadata
        {
            Format = format,
            Triple = triple ?? throw Missing("triple", "the metadata"),
            SourceHash = sourceHash,
            SourceName = sourceName,
            OptimizationLevel = optimizationLevel,
            TargetCpu = targetCpu,
            HelperSet = helperSet,
            Programs = programs ?? throw Missing("programs", "the metadata"),
            Maps = maps,
        };
    }

    private static AotProgram ReadProgram(ref Utf8JsonReader reader)
    {
        string? name = null, symbol = null, section = null;
        int stackSize = 0, callDepth = 1, checkedAbi = 0;
        int? contextSize = null;
        bool usesHelperById = false, isChecked = false, proved = false, countsBudget = false, contextLengthInR2 = false;
        bool? terminationProven = null;
        List<AotHelperUse> helpers = [];
        List<int> maps = [];
        StartObject(ref reader, "a program");
        while (NextProperty(ref reader) is { } property)
        {
            switch (property)
            {
                case "name": name = RequiredString(ref reader, property); break;
                case "symbol": symbol = RequiredString(ref reader, property); break;
                case "section": section = String(ref reader); break;
                case "stack_size": stackSize = Int32(ref reader); break;
                case "call_depth": callDepth = Int32(ref reader); break;
                case "helpers": helpers = Array(ref reader, property, ReadHelper); break;
                case "maps": maps = Array(ref reader, property, Int32); break;
                case "uses_helper_by_id": usesHelperById = Boolean(ref reader); break;
                case "checked": isChecked = Boolean(ref reader); break;
                case "proved": proved = Boolean(ref reader); break;
                case "termination_proven": terminationProven = reader.TokenType == JsonTokenType.Null ? null : Boolean(ref reader); break;
                case "counts_budget": countsBudget = Boolean(ref reader); break;
                case "context_size": contextSize = reader.TokenType == JsonTokenType.Null ? null : Int32(ref reader); break;
                case "context_length_in_r2": contextLengthInR2 = Boolean(ref reader); break;
                case "checked_abi": checkedAbi = Int32(ref reader); break;
                default: reader.Skip(); break;
            }
        }
        return new AotProgram
        {
            Name = name ?? throw Missing("name", "a program"),
            Symbol = symbol ?? throw Missing("symbol", "a program"),
            Section = section,
            StackSize = stackSize,
            CallDepth = callDepth,
            Helpers = helpers,
            Maps = maps,
            UsesHelperById = usesHelperById,
            Checked = isChecked,
            Proved = proved,
            TerminationProven = terminationProven,
            CountsBudget = countsBudget,
            ContextSize = contextSize,
            ContextLengthInR2 = contextLengthInR2,
            CheckedAbi = checkedAbi,
        };
    }

    private static AotHelperUse ReadHelper(ref Utf8JsonReader reader)
    {
        var id = 0;
        string? name = null, signature = null;
        var stopsProgramOnZero = false;
        StartObject(ref reader, "a helper");
        while (NextProperty(ref reader) is { } property)
        {
            switch (property)
            {
                case "id": id = Int32(ref reader); break;
                case "name": name = RequiredString(ref reader, property); break;
                case "signature": signature = RequiredString(ref reader, property); break;
                case "stops_program_on_zero": stopsProgramOnZero = Boolean(ref reader); break;
                default: reader.Skip(); break;
            }
        }
        return new AotHelperUse(id, name ?? throw Missing("name", "a helper"), signature ?? throw Missing("signature", "a helper"))
        {
            StopsProgramOnZero = stopsProgramOnZero,
        };
    }

    private static AotMap ReadMap(ref Utf8JsonReader reader)
    {
        string? name = null;
        uint type = 0, keySize = 0, valueSize = 0, maxEntries = 0, flags = 0;
        bool isGlobalData = false, isReadOnly = false;
        byte[]? initialValue = null;
        AotMap? inner = null;
        List<MapSlot>? slots = null;
        StartObject(ref reader, "a map");
        while (NextProperty(ref reader) is { } property)
        {
            switch (property)
            {
                case "name": name = RequiredString(ref reader, property); break;
                case "type": type = UInt32(ref reader); break;
                case "key_size": keySize = UInt32(ref reader); break;
                case "value_size": valueSize = UInt32(ref reader); break;
                case "max_entries": maxEntries = UInt32(ref reader); break;
                case "flags": flags = UInt32(ref reader); break;
                case "is_global_data": isGlobalData = Boolean(ref reader); break;
                case "is_read_only": isReadOnly = Boolean(ref reader); break;
                case "initial_value": initialValue = reader.TokenType == JsonTokenType.Null ? null : Bytes(ref reader); break;
                case "inner": inner = reader.TokenType == JsonTokenType.Null ? null : ReadMap(ref reader); break;
                case "slots": slots = reader.TokenType == JsonTokenType.Null ? null : Array(ref reader, property, ReadSlot); break;
                default: reader.Skip(); break;
            }
        }
        return new AotMap
        {
            Name = name ?? throw Missing("name", "a map"),
            Type = type,
            KeySize = keySize,
            ValueSize = valueSize,
            MaxEntries = maxEntries,
            Flags = flags,
            IsGlobalData = isGlobalData,
            IsReadOnly = isReadOnly,
            InitialValue = initialValue,
            Inner = inner,
            Slots = slots,
        };
    }

    private static MapSlot ReadSlot(ref Utf8JsonReader reader)
    {
        uint? index = null;
        string? target = null;
        StartObject(ref reader, "a map slot");
        while (NextProperty(ref reader) is { } property)
        {
            switch (property)
            {
                case "index": index = UInt32(ref reader); break;
                case "target": target = RequiredString(ref reader, property); break;
                default: reader.Skip(); break;
            }
        }
        return new MapSlot(index ?? throw Missing("index", "a map slot"), target ?? throw Missing("target", "a map slot"));
    }

    private delegate T ElementReader<T>(ref Utf8JsonReader reader);

    private static List<T> Array<T>(ref Utf8JsonReader reader, string property, ElementReader<T> element)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException($"'{property}' must be an array, not {reader.TokenType}");
        }
        var items = new List<T>();
        while (true)
        {
            Next(ref reader);
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                return items;
            }
            items.Add(element(ref reader));
        }
    }

    private static void StartObject(ref Utf8JsonReader reader, string what)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"{what} must be a JSON object, not {reader.TokenType}");
        }
    }

    /// <summary>The next property's name with the reader on its value, or null at the end of the object.</summary>
    private static string? NextProperty(ref Utf8JsonReader reader)
    {
        Next(ref reader);
        if (reader.TokenType == JsonTokenType.EndObject)
        {
            return null;
        }
        var name = reader.GetString()!;
        Next(ref reader);
        return name;
    }

    private static void Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new JsonException("the metadata JSON ends early");
        }
    }

    private static string? String(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Null => null,
        JsonTokenType.String => reader.GetString(),
        _ => throw new JsonException($"expected a string, not {reader.TokenType}"),
    };

    private static string RequiredString(ref Utf8JsonReader reader, string property) =>
        String(ref reader) ?? throw new JsonException($"'{property}' must not be null");

    private static int Int32(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value) ? value
            : throw new JsonException($"expected a 32-bit integer, not {reader.TokenType}");

    private static uint UInt32(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetUInt32(out var value) ? value
            : throw new JsonException($"expected an unsigned 32-bit integer, not {reader.TokenType}");

    private static bool Boolean(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        _ => throw new JsonException($"expected true or false, not {reader.TokenType}"),
    };

    private static byte[] Bytes(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.String && reader.TryGetBytesFromBase64(out var bytes) ? bytes
            : throw new JsonException($"expected base64 bytes, not {reader.TokenType}");

    private static JsonException Missing(string property, string what) => new($"{what} lacks the required property '{property}'");
}
