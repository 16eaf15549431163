using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Bpftime.Engines.Aot;

namespace Bpftime.Runtime.Tests.Engines.Aot;

/// <summary>
/// The metadata reader's own integer and base64 decoding against the framework's: an integer field
/// takes what <c>long.TryParse</c> with the invariant culture reads, within the field's range, and
/// refuses the rest with the same message; initial values decode as <see cref="Base64.DecodeFromUtf8(ReadOnlySpan{byte}, Span{byte}, out int, out int, bool)"/>
/// decodes them, canonical or not, and what it refuses is refused.
/// </summary>
public class AotMetadataScalarTests
{
    [Theory]
    [InlineData("0")]
    [InlineData("-0")]
    [InlineData("7")]
    [InlineData("-1")]
    [InlineData("2147483647")]
    [InlineData("2147483648")]
    [InlineData("-2147483648")]
    [InlineData("-2147483649")]
    [InlineData("4294967295")]
    [InlineData("4294967296")]
    [InlineData("9223372036854775807")]
    [InlineData("9223372036854775808")]
    [InlineData("-9223372036854775808")]
    [InlineData("-9223372036854775809")]
    [InlineData("18446744073709551615")]
    [InlineData("18446744073709551616")]
    [InlineData("184467440737095516160")]
    [InlineData("99999999999999999999999999999")]
    [InlineData("1.5")]
    [InlineData("1e3")]
    [InlineData("-1E+2")]
    public void IntegersReadAsTheInvariantParserReadsThem(string number)
    {
        var signed = Expected(number, int.MinValue, int.MaxValue);
        var json = $$"""{"triple":"x","programs":[],"format":{{number}}}""";
        if (signed is { } format)
        {
            Assert.Equal(format, AotMetadata.FromJson(Encoding.UTF8.GetBytes(json)).Format);
        }
        else
        {
            var error = Assert.ThrowsAny<JsonException>(() => AotMetadata.FromJson(Encoding.UTF8.GetBytes(json)));
            Assert.Equal($"expected a 32-bit integer, not {number}", error.Message);
        }

        var unsigned = Expected(number, 0, uint.MaxValue);
        json = $$"""{"triple":"x","programs":[],"maps":[{"name":"m","max_entries":{{number}}}]}""";
        if (unsigned is { } entries)
        {
            Assert.Equal(entries, AotMetadata.FromJson(Encoding.UTF8.GetBytes(json)).Maps[0].MaxEntries);
        }
        else
        {
            var error = Assert.ThrowsAny<JsonException>(() => AotMetadata.FromJson(Encoding.UTF8.GetBytes(json)));
            Assert.Equal($"expected an unsigned 32-bit integer, not {number}", error.Message);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("AA==")]
    [InlineData("AB==")]
    [InlineData("AAB=")]
    [InlineData("AAE=")]
    [InlineData("AQID")]
    [InlineData("+/+/")]
    [InlineData("AQI")]
    [InlineData("AQID=")]
    [InlineData("AQ=D")]
    [InlineData("=AQI")]
    [InlineData("A===")]
    [InlineData("====")]
    [InlineData("AQID====")]
    [InlineData("AQ==AQ==")]
    [InlineData(" AQID")]
    [InlineData("AQ ID")]
    [InlineData("AQID\n")]
    [InlineData("AQ\r\nID")]
    [InlineData("-_8=")]
    [InlineData("AQ\u00e9D")]
    public void InitialValuesDecodeAsTheFrameworkDecodesThem(string text)
    {
        // Serialized, so that '+' and control characters reach the reader escaped as the serializer writes them.
        var json = $$"""{"triple":"x","programs":[],"maps":[{"name":"m","initial_value":{{JsonSerializer.Serialize(text)}}}]}""";
        var utf8 = Encoding.UTF8.GetBytes(text);
        var expected = new byte[Base64.GetMaxDecodedFromUtf8Length(utf8.Length)];
        if (Base64.DecodeFromUtf8(utf8, expected, out var consumed, out var written) == OperationStatus.Done && consumed == utf8.Length)
        {
            Assert.Equal(expected[..written], AotMetadata.FromJson(Encoding.UTF8.GetBytes(json)).Maps[0].InitialValue);
        }
        else
        {
            var error = Assert.ThrowsAny<JsonException>(() => AotMetadata.FromJson(Encoding.UTF8.GetBytes(json)));
            Assert.Equal("expected base64 bytes", error.Message);
        }
    }

    [Fact]
    public void EveryLengthAndByteValueSurvivesTheSerializer()
    {
        var random = new Random(1234);
        for (var length = 0; length <= 48; length++)
        {
            var value = new byte[length];
            random.NextBytes(value);
            if (length > 2)
            {
                value[0] = 0xff;
                value[1] = 0xfb; // encodes to '+' and '/' characters
                value[2] = 0xbf;
            }
            var metadata = new AotMetadata { Triple = "x", Programs = [], Maps = [new AotMap { Name = "m", InitialValue = value }] };
            Assert.Equal(value, AotMetadata.FromJson(metadata.ToJsonBytes()).Maps[0].InitialValue);
        }
    }

    private static long? Expected(string number, long min, long max) =>
        !number.Contains('.', StringComparison.Ordinal) && !number.Contains('e', StringComparison.OrdinalIgnoreCase)
        && (min < 0 || !number.StartsWith('-'))
        && long.TryParse(number, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : null;
}
