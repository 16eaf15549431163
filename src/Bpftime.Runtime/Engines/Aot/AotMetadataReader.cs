using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Bpftime.Objects;

namespace Bpftime.Engines.Aot;

/// <summary>
/// Reads <see cref="AotMetadata"/> JSON with a parser of its own over the UTF-8 bytes. Both the
/// serializer (its property tables and converters, compiled at run time for each property type) and
/// System.Text.Json's reader (loading that assembly and building its search tables on first use) cost
/// more at an app's start than the whole link; this is plain code that ships precompiled. It takes
/// RFC 8259 JSON as <see cref="AotMetadata.ToJsonBytes"/> writes it and follows the serializer's rules:
/// snake_case names, unknown properties skipped, the last of a repeated property wins; malformed JSON
/// (trailing commas, comments, control characters or invalid UTF-8 in strings, nesting deeper than
/// <see cref="MaxDepth"/>), a missing required property, a null where a value must be, or a value of
/// the wrong kind is a <see cref="JsonException"/>, created only on that path. What it touches is kept
/// small for an app's start (docs/startup.md): lists read into arrays grown by hand, no delegates,
/// integers and base64 decoded by loops of its own rather than the culture-aware parser and the
/// framework's decoder, which stays the fallback for base64 that is not in canonical form.
/// </summary>
internal ref struct AotMetadataReader
{
    private const int MaxDepth = 16;

    private readonly ReadOnlySpan<byte> _json;
    private int _position;
    private int _depth;

    // Set when an object was just entered: its first member owes no comma.
    private bool _afterOpen;

    private AotMetadataReader(ReadOnlySpan<byte> json) => _json = json;

    private enum ValueKind
    {
        Object,
        Array,
        String,
        Number,
        True,
        False,
        Null,
    }

    public static AotMetadata Read(ReadOnlySpan<byte> utf8)
    {
        var reader = new AotMetadataReader(utf8);
        reader.SkipWhitespace();
        if (reader._position == utf8.Length)
        {
            throw Invalid("the metadata section is empty");
        }
        var metadata = reader.ReadMetadata();
        reader.SkipWhitespace();
        if (reader._position != utf8.Length)
        {
            throw Invalid("the metadata has data after its top-level object");
        }
        return metadata;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private AotMetadata ReadMetadata()
    {
        var format = AotMetadata.CurrentFormat;
        string? triple = null, sourceHash = null, sourceName = null, targetCpu = null, helperSet = null;
        var optimizationLevel = 0;
        AotProgram[]? programs = null;
        // Null until read, not [] (Array.Empty loads a type per element type and its initializer at start).
        AotMap[]? maps = null;
        StartObject("the metadata");
        while (NextProperty() is { } name)
        {
            switch (name)
            {
                case "format": format = Int32(); break;
                case "triple": triple = RequiredString(name); break;
                case "source_hash": sourceHash = String(); break;
                case "source_name": sourceName = String(); break;
                case "optimization_level": optimizationLevel = Int32(); break;
                case "target_cpu": targetCpu = String(); break;
                case "helper_set": helperSet = String(); break;
                case "programs": programs = ReadArray<AotProgram>(name, Element.Program); break;
                case "maps": maps = ReadArray<AotMap>(name, Element.Map); break;
                default: SkipValue(); break;
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
            Maps = maps ?? None<AotMap>(),
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private AotProgram ReadProgram()
    {
        string? name = null, symbol = null, section = null;
        int stackSize = 0, callDepth = 1, checkedAbi = 0;
        int? contextSize = null;
        bool usesHelperById = false, isChecked = false, proved = false, countsBudget = false, contextLengthInR2 = false, socketBuffer = false;
        bool? terminationProven = null;
        AotHelperUse[]? helpers = null;
        int[]? maps = null;
        StartObject("a program");
        while (NextProperty() is { } property)
        {
            switch (property)
            {
                case "name": name = RequiredString(property); break;
                case "symbol": symbol = RequiredString(property); break;
                case "section": section = String(); break;
                case "stack_size": stackSize = Int32(); break;
                case "call_depth": callDepth = Int32(); break;
                case "helpers": helpers = ReadArray<AotHelperUse>(property, Element.Helper); break;
                case "maps": maps = ReadArray<int>(property, Element.Int32); break;
                case "uses_helper_by_id": usesHelperById = Boolean(); break;
                case "checked": isChecked = Boolean(); break;
                case "proved": proved = Boolean(); break;
                case "termination_proven": terminationProven = TryNull() ? null : Boolean(); break;
                case "counts_budget": countsBudget = Boolean(); break;
                case "context_size": contextSize = TryNull() ? null : Int32(); break;
                case "context_length_in_r2": contextLengthInR2 = Boolean(); break;
                case "socket_buffer": socketBuffer = Boolean(); break;
                case "checked_abi": checkedAbi = Int32(); break;
                default: SkipValue(); break;
            }
        }
        return new AotProgram
        {
            Name = name ?? throw Missing("name", "a program"),
            Symbol = symbol ?? throw Missing("symbol", "a program"),
            Section = section,
            StackSize = stackSize,
            CallDepth = callDepth,
            Helpers = helpers ?? None<AotHelperUse>(),
            Maps = maps ?? None<int>(),
            UsesHelperById = usesHelperById,
            Checked = isChecked,
            Proved = proved,
            TerminationProven = terminationProven,
            CountsBudget = countsBudget,
            ContextSize = contextSize,
            ContextLengthInR2 = contextLengthInR2,
            SocketBuffer = socketBuffer,
            CheckedAbi = checkedAbi,
        };
    }

    private AotHelperUse ReadHelper()
    {
        var id = 0;
        string? name = null, signature = null;
        var stopsProgramOnZero = false;
        StartObject("a helper");
        while (NextProperty() is { } property)
        {
            switch (property)
            {
                case "id": id = Int32(); break;
                case "name": name = RequiredString(property); break;
                case "signature": signature = RequiredString(property); break;
                case "stops_program_on_zero": stopsProgramOnZero = Boolean(); break;
                default: SkipValue(); break;
            }
        }
        return new AotHelperUse(id, name ?? throw Missing("name", "a helper"), signature ?? throw Missing("signature", "a helper"))
        {
            StopsProgramOnZero = stopsProgramOnZero,
        };
    }

    private AotMap ReadMap()
    {
        string? name = null;
        uint type = 0, keySize = 0, valueSize = 0, maxEntries = 0, flags = 0;
        bool isGlobalData = false, isReadOnly = false;
        byte[]? initialValue = null;
        AotMap? inner = null;
        MapSlot[]? slots = null;
        StartObject("a map");
        while (NextProperty() is { } property)
        {
            switch (property)
            {
                case "name": name = RequiredString(property); break;
                case "type": type = UInt32(); break;
                case "key_size": keySize = UInt32(); break;
                case "value_size": valueSize = UInt32(); break;
                case "max_entries": maxEntries = UInt32(); break;
                case "flags": flags = UInt32(); break;
                case "is_global_data": isGlobalData = Boolean(); break;
                case "is_read_only": isReadOnly = Boolean(); break;
                case "initial_value": initialValue = TryNull() ? null : Bytes(); break;
                case "inner": inner = TryNull() ? null : ReadMap(); break;
                case "slots": slots = TryNull() ? null : ReadArray<MapSlot>(property, Element.Slot); break;
                default: SkipValue(); break;
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

    private MapSlot ReadSlot()
    {
        uint? index = null;
        string? target = null, refusal = null;
        StartObject("a map slot");
        while (NextProperty() is { } property)
        {
            switch (property)
            {
                case "index": index = UInt32(); break;
                case "target": target = RequiredString(property); break;
                case "refusal": refusal = String(); break;
                default: SkipValue(); break;
            }
        }
        return new MapSlot(index ?? throw Missing("index", "a map slot"), target ?? throw Missing("target", "a map slot")) { Refusal = refusal };
    }

    /// <summary>What <see cref="ReadArray{T}"/> reads each element as.</summary>
    private enum Element
    {
        Program,
        Map,
        Helper,
        Slot,
        Int32,
    }

    // An array grown by hand and an element kind rather than a List<T> and a delegate: each list type, delegate
    // type and lambda's closure class is a set of types a start would load.
    private T[] ReadArray<T>(string property, Element element)
    {
        T[]? items = null;
        var count = 0;
        for (var more = StartArray(property); more; more = NextElement())
        {
            var item = (T)ReadElement(element);
            if (items is null || count == items.Length)
            {
                var grown = new T[count == 0 ? 4 : (int)Math.Min(2L * count, Array.MaxLength)];
                if (items is not null)
                {
                    Array.Copy(items, grown, count);
                }
                items = grown;
            }
            items[count++] = item;
        }
        if (items is null)
        {
            // A new array of length 0 (count is 0 here), not Array.Empty: see None.
            return new T[count];
        }
        if (count == items.Length)
        {
            return items;
        }
        var exact = new T[count];
        Array.Copy(items, exact, count);
        return exact;
    }

    // A list the metadata leaves out: rare (the writer writes every list), so Array.Empty, whose generic
    // type per element type a start would load, is named only here.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static T[] None<T>() => [];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private object ReadElement(Element element) => element switch
    {
        Element.Program => ReadProgram(),
        Element.Map => ReadMap(),
        Element.Helper => ReadHelper(),
        Element.Slot => ReadSlot(),
        _ => Int32(),
    };

    /// <summary>Enters the object the reader is on; <see cref="NextProperty"/> then walks its members.</summary>
    private void StartObject(string what)
    {
        Open(ValueKind.Object, what);
        _afterOpen = true;
    }

    /// <summary>The next property's name with the reader on its value, or null at the end of the object.</summary>
    private string? NextProperty()
    {
        SkipWhitespace();
        if (_afterOpen)
        {
            _afterOpen = false;
            if (Peek() == (byte)'}')
            {
                _position++;
                _depth--;
                return null;
            }
        }
        else
        {
            var next = Peek();
            if (next == (byte)'}')
            {
                _position++;
                _depth--;
                return null;
            }
            if (next != (byte)',')
            {
                throw ExpectedAt("',' or '}'", _position);
            }
            _position++;
            SkipWhitespace();
        }
        if (Peek() != (byte)'"')
        {
            throw ExpectedAt("a property name", _position);
        }
        var name = Text(ReadStringBytes());
        SkipWhitespace();
        if (Peek() != (byte)':')
        {
            throw Invalid($"expected ':' after property '{name}'");
        }
        _position++;
        SkipWhitespace();
        return name;
    }

    /// <summary>Enters the array the reader is on: true with the reader on its first element, false when it is empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool StartArray(string property)
    {
        Open(ValueKind.Array, property);
        if (Peek() == (byte)']')
        {
            _position++;
            _depth--;
            return false;
        }
        return true;
    }

    /// <summary>After an element: true with the reader on the next element, false past the array's end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool NextElement()
    {
        SkipWhitespace();
        var next = Peek();
        _position++;
        if (next == (byte)']')
        {
            _depth--;
            return false;
        }
        if (next != (byte)',')
        {
            throw ExpectedAt("',' or ']'", _position - 1);
        }
        SkipWhitespace();
        return true;
    }

    /// <summary>Steps into the object or array (<paramref name="kind"/>) the reader must be on, named <paramref name="what"/> in errors.</summary>
    private void Open(ValueKind kind, string what)
    {
        if (Kind() != kind)
        {
            throw Invalid(kind == ValueKind.Object
                ? $"{what} must be a JSON object, not {Describe(Kind())}"
                : $"'{what}' must be an array, not {Describe(Kind())}");
        }
        if (++_depth > MaxDepth)
        {
            throw Invalid($"the metadata nests deeper than {MaxDepth} levels");
        }
        _position++;
        SkipWhitespace();
    }

    private void SkipValue()
    {
        switch (Kind())
        {
            case ValueKind.Object:
                StartObject("a value");
                while (NextProperty() is not null)
                {
                    SkipValue();
                }
                break;
            case ValueKind.Array:
                for (var more = StartArray("a value"); more; more = NextElement())
                {
                    SkipValue();
                }
                break;
            case ValueKind.String:
                ReadStringBytes();
                break;
            case ValueKind.Number:
                ReadNumber(out _);
                break;
            default:
                ReadLiteral();
                break;
        }
    }

    private string? String() => TryNull() ? null
        : Kind() == ValueKind.String ? Text(ReadStringBytes())
        : throw Expected("a string", Kind());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private string RequiredString(string property) => String() ?? throw Invalid($"'{property}' must not be null");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Int32() => (int)Integer(int.MinValue, int.MaxValue, "a 32-bit integer");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint UInt32() => (uint)Integer(0, uint.MaxValue, "an unsigned 32-bit integer");

    /// <summary>A number without fraction or exponent within [<paramref name="min"/>, <paramref name="max"/>]; an unsigned one has no sign at all.</summary>
    private long Integer(long min, long max, string what)
    {
        if (Kind() != ValueKind.Number)
        {
            throw Expected(what, Kind());
        }
        var digits = ReadNumber(out var integral);
        return integral && (min < 0 || digits[0] != (byte)'-') && TryParseInteger(digits, out var value) && value >= min && value <= max ? value
            : throw NotAnInteger(what, digits);
    }

    /// <summary>
    /// An integer as <see cref="ReadNumber"/> found it (an optional '-', then digits): what
    /// <c>long.TryParse</c> with the invariant culture makes of it, without setting up that culture's number format.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryParseInteger(ReadOnlySpan<byte> digits, out long value)
    {
        var negative = digits[0] == (byte)'-';
        var limit = negative ? (ulong)long.MaxValue + 1 : long.MaxValue;
        ulong magnitude = 0;
        for (var i = negative ? 1 : 0; i < digits.Length; i++)
        {
            var digit = (uint)(digits[i] - (byte)'0');
            if (digit > 9 || magnitude > (limit - digit) / 10)
            {
                value = 0;
                return false;
            }
            magnitude = (magnitude * 10) + digit;
        }
        value = negative ? (long)(0 - magnitude) : (long)magnitude;
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static JsonException NotAnInteger(string what, ReadOnlySpan<byte> digits) => Invalid($"expected {what}, not {Encoding.ASCII.GetString(digits)}");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Boolean() => Kind() switch
    {
        ValueKind.True => ReadLiteral() == ValueKind.True,
        ValueKind.False => ReadLiteral() == ValueKind.True,
        var other => throw Expected("true or false", other),
    };

    // Checked first and decoded by Encoding.UTF8 rather than a strict UTF8Encoding, whose type alone
    // loads one more assembly on every start.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static string Text(ReadOnlySpan<byte> utf8) =>
        System.Text.Unicode.Utf8.IsValid(utf8) ? Encoding.UTF8.GetString(utf8) : throw Invalid("a string is not valid UTF-8");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte[] Bytes()
    {
        if (Kind() != ValueKind.String)
        {
            throw Expected("base64 bytes", Kind());
        }
        var text = ReadStringBytes();
        return DecodeCanonicalBase64(text) ?? DecodeBase64(text);
    }

    /// <summary>
    /// Base64 as the serializer writes it (whole quads of the standard alphabet, '=' only as the last one
    /// or two, unused bits zero), or null for anything else, which <see cref="DecodeBase64"/> then judges:
    /// any decoder reads such text the same way, so the result is the framework decoder's.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte[]? DecodeCanonicalBase64(ReadOnlySpan<byte> text)
    {
        if (text.Length % 4 != 0)
        {
            return null;
        }
        var padding = text.Length == 0 || text[^1] != (byte)'=' ? 0 : text[^2] == (byte)'=' ? 2 : 1;
        var bytes = new byte[(text.Length / 4 * 3) - padding];
        for (int i = 0, o = 0; i < text.Length; i += 4, o += 3)
        {
            var missing = i + 4 == text.Length ? padding : 0;
            var a = Base64Value(text[i]);
            var b = Base64Value(text[i + 1]);
            var c = missing == 2 ? 0 : Base64Value(text[i + 2]);
            var d = missing >= 1 ? 0 : Base64Value(text[i + 3]);
            var quad = (a << 18) | (b << 12) | (c << 6) | d;
            // The bits a padded quad leaves over are zero in canonical text.
            if ((a | b | c | d) < 0 || (quad & ((1 << (8 * missing)) - 1)) != 0)
            {
                return null;
            }
            bytes[o] = (byte)(quad >> 16);
            if (missing < 2)
            {
                bytes[o + 1] = (byte)(quad >> 8);
            }
            if (missing < 1)
            {
                bytes[o + 2] = (byte)quad;
            }
        }
        return bytes;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Base64Value(byte c) => c switch
    {
        >= (byte)'A' and <= (byte)'Z' => c - 'A',
        >= (byte)'a' and <= (byte)'z' => c - 'a' + 26,
        >= (byte)'0' and <= (byte)'9' => c - '0' + 52,
        (byte)'+' => 62,
        (byte)'/' => 63,
        _ => -1,
    };

    // The framework's decoder, for base64 outside the canonical form: kept apart so that a start never loads it.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static byte[] DecodeBase64(ReadOnlySpan<byte> text)
    {
        var bytes = new byte[Base64.GetMaxDecodedFromUtf8Length(text.Length)];
        if (Base64.DecodeFromUtf8(text, bytes, out var consumed, out var written) != OperationStatus.Done || consumed != text.Length)
        {
            throw Invalid("expected base64 bytes");
        }
        return bytes.AsSpan(0, written).ToArray();
    }

    /// <summary>Consumes a null and says so; anything else is left for the caller.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryNull()
    {
        if (Kind() != ValueKind.Null)
        {
            return false;
        }
        ReadLiteral();
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte Peek() => _position < _json.Length ? _json[_position] : throw Invalid("the metadata JSON ends early");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ValueKind Kind() => Peek() switch
    {
        (byte)'{' => ValueKind.Object,
        (byte)'[' => ValueKind.Array,
        (byte)'"' => ValueKind.String,
        (byte)'-' or (>= (byte)'0' and <= (byte)'9') => ValueKind.Number,
        (byte)'t' => ValueKind.True,
        (byte)'f' => ValueKind.False,
        (byte)'n' => ValueKind.Null,
        var other => throw Unexpected(other, _position),
    };

    private ValueKind ReadLiteral()
    {
        var kind = Kind();
        // Compared as a string rather than a UTF-8 literal, whose data's type would load one type per literal size of the assembly.
        var literal = kind switch
        {
            ValueKind.True => "true",
            ValueKind.False => "false",
            _ => "null",
        };
        if (_json.Length - _position < literal.Length)
        {
            throw Invalid($"malformed literal at byte {_position}");
        }
        for (var i = 0; i < literal.Length; i++)
        {
            if (_json[_position + i] != literal[i])
            {
                throw Invalid($"malformed literal at byte {_position}");
            }
        }
        _position += literal.Length;
        return kind;
    }

    /// <summary>A number as JSON spells it (-?int frac? exp?); <paramref name="integral"/> when it has neither fraction nor exponent.</summary>
    private ReadOnlySpan<byte> ReadNumber(out bool integral)
    {
        var start = _position;
        if (Peek() == (byte)'-')
        {
            _position++;
        }
        if (Peek() == (byte)'0')
        {
            _position++;
        }
        else if (!SkipDigits())
        {
            throw Invalid($"malformed number at byte {start}");
        }
        integral = true;
        if (_position < _json.Length && _json[_position] == (byte)'.')
        {
            integral = false;
            _position++;
            if (!SkipDigits())
            {
                throw Invalid($"malformed number at byte {start}");
            }
        }
        if (_position < _json.Length && _json[_position] is (byte)'e' or (byte)'E')
        {
            integral = false;
            _position++;
            if (_position < _json.Length && _json[_position] is (byte)'+' or (byte)'-')
            {
                _position++;
            }
            if (!SkipDigits())
            {
                throw Invalid($"malformed number at byte {start}");
            }
        }
        return _json[start.._position];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool SkipDigits()
    {
        var start = _position;
        while (_position < _json.Length && _json[_position] is >= (byte)'0' and <= (byte)'9')
        {
            _position++;
        }
        return _position > start;
    }

    /// <summary>The string the reader is on, unescaped, as UTF-8 (checked when it becomes text).</summary>
    private ReadOnlySpan<byte> ReadStringBytes()
    {
        var start = ++_position;
        while (true)
        {
            var c = Peek();
            if (c == (byte)'"')
            {
                _position++;
                return _json[start..(_position - 1)];
            }
            if (c == (byte)'\\')
            {
                _position = start - 1;
                return Unescape();
            }
            if (c < 0x20)
            {
                throw Invalid($"a string holds control character 0x{c:x2} at byte {_position}");
            }
            _position++;
        }
    }

    private byte[] Unescape()
    {
        var text = new ArrayBufferWriter<byte>();
        _position++;
        Span<byte> encoded = stackalloc byte[4];
        while (true)
        {
            var c = Peek();
            _position++;
            if (c == (byte)'"')
            {
                return text.WrittenSpan.ToArray();
            }
            if (c < 0x20)
            {
                throw Invalid($"a string holds control character 0x{c:x2} at byte {_position - 1}");
            }
            if (c != (byte)'\\')
            {
                text.Write([c]);
                continue;
            }
            var escape = Peek();
            _position++;
            byte simple = escape switch
            {
                (byte)'"' => (byte)'"',
                (byte)'\\' => (byte)'\\',
                (byte)'/' => (byte)'/',
                (byte)'b' => 8,
                (byte)'f' => 12,
                (byte)'n' => 10,
                (byte)'r' => 13,
                (byte)'t' => 9,
                (byte)'u' => 0,
                _ => throw Invalid($"unknown escape '\\{(char)escape}' at byte {_position - 2}"),
            };
            if (escape != (byte)'u')
            {
                text.Write([simple]);
                continue;
            }
            var codePoint = Hex4();
            if (char.IsHighSurrogate((char)codePoint))
            {
                if (Peek() != (byte)'\\' || _position + 1 >= _json.Length || _json[_position + 1] != (byte)'u')
                {
                    throw Invalid($"a lone surrogate escape at byte {_position}");
                }
                _position += 2;
                var low = Hex4();
                if (!char.IsLowSurrogate((char)low))
                {
                    throw Invalid($"a lone surrogate escape at byte {_position}");
                }
                codePoint = char.ConvertToUtf32((char)codePoint, (char)low);
            }
            else if (char.IsLowSurrogate((char)codePoint))
            {
                throw Invalid($"a lone surrogate escape at byte {_position}");
            }
            new Rune(codePoint).TryEncodeToUtf8(encoded, out var length);
            text.Write(encoded[..length]);
        }
    }

    private int Hex4()
    {
        if (_position + 4 > _json.Length
            || !int.TryParse(_json.Slice(_position, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
        {
            throw Invalid($"a malformed \\u escape at byte {_position}");
        }
        _position += 4;
        return value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SkipWhitespace()
    {
        while (_position < _json.Length && _json[_position] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
        {
            _position++;
        }
    }

    private static string Describe(ValueKind kind) => kind switch
    {
        ValueKind.Object => "an object",
        ValueKind.Array => "an array",
        ValueKind.String => "a string",
        ValueKind.Number => "a number",
        ValueKind.Null => "null",
        _ => "true or false",
    };

    // Messages built apart from the small readers that are inlined into their callers.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static JsonException Unexpected(byte character, int position) => Invalid($"unexpected character 0x{character:x2} at byte {position}");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static JsonException Expected(string what, ValueKind kind) => Invalid($"expected {what}, not {Describe(kind)}");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static JsonException ExpectedAt(string what, int position) => Invalid($"expected {what} at byte {position}");

    // Kept apart so that System.Text.Json is loaded only when metadata is malformed.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static JsonException Invalid(string message) => new(message);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static JsonException Missing(string property, string what) => new($"{what} lacks the required property '{property}'");
}
