using System.Globalization;

namespace Bpftime.Benchmarks;

/// <summary>
/// A 5 x 7 pixel font for the chart's labels: printable ASCII letters, digits and the punctuation the
/// labels use. Each glyph is seven rows of five bits, the leftmost pixel the highest bit, written as
/// 14 hex digits. A character without a glyph is drawn as a hollow box.
/// </summary>
internal static class BitmapFont
{
    public const int Width = 5;
    public const int Height = 7;

    /// <summary>Pixels from one character's left edge to the next one's.</summary>
    public const int Advance = Width + 1;

    private static readonly Dictionary<char, byte[]> Glyphs = Parse(new Dictionary<char, string>
    {
        [' '] = "00000000000000",
        ['.'] = "00000000000C0C",
        [','] = "000000000C0408",
        [':'] = "000C0C000C0C00",
        ['-'] = "0000001F000000",
        ['/'] = "00010204081000",
        ['('] = "02040808080402",
        [')'] = "08040202020408",
        ['%'] = "18190204081303",
        ['='] = "00001F001F0000",
        ['+'] = "0004041F040400",
        ['_'] = "0000000000001F",
        ['<'] = "02040810080402",
        ['>'] = "08040201020408",
        ['*'] = "0004150E150400",
        ['?'] = "0E110102040004",
        ['0'] = "0E11131519110E",
        ['1'] = "040C040404040E",
        ['2'] = "0E11010204081F",
        ['3'] = "1F02040201110E",
        ['4'] = "02060A121F0202",
        ['5'] = "1F101E0101110E",
        ['6'] = "0608101E11110E",
        ['7'] = "1F010204080808",
        ['8'] = "0E11110E11110E",
        ['9'] = "0E11110F01020C",
        ['a'] = "00000E010F110F",
        ['b'] = "1010161911111E",
        ['c'] = "00000E1010110E",
        ['d'] = "01010D1311110F",
        ['e'] = "00000E111F100E",
        ['f'] = "0609081C080808",
        ['g'] = "000F11110F010E",
        ['h'] = "10101619111111",
        ['i'] = "04000C0404040E",
        ['j'] = "0200060202120C",
        ['k'] = "10101214181412",
        ['l'] = "0C04040404040E",
        ['m'] = "00001A15151111",
        ['n'] = "00001619111111",
        ['o'] = "00000E1111110E",
        ['p'] = "00001E111E1010",
        ['q'] = "00000D130F0101",
        ['r'] = "00001619101010",
        ['s'] = "00000E100E011E",
        ['t'] = "08081C08080906",
        ['u'] = "0000111111130D",
        ['v'] = "00001111110A04",
        ['w'] = "0000111115150A",
        ['x'] = "0000110A040A11",
        ['y'] = "000011110F010E",
        ['z'] = "00001F0204081F",
        ['A'] = "0E11111F111111",
        ['B'] = "1E11111E11111E",
        ['C'] = "0E11101010110E",
        ['D'] = "1C12111111121C",
        ['E'] = "1F10101E10101F",
        ['F'] = "1F10101E101010",
        ['G'] = "0E11101711110F",
        ['H'] = "1111111F111111",
        ['I'] = "0E04040404040E",
        ['J'] = "0702020202120C",
        ['K'] = "11121418141211",
        ['L'] = "1010101010101F",
        ['M'] = "111B1515111111",
        ['N'] = "11111915131111",
        ['O'] = "0E11111111110E",
        ['P'] = "1E11111E101010",
        ['Q'] = "0E11111115120D",
        ['R'] = "1E11111E141211",
        ['S'] = "0F10100E01011E",
        ['T'] = "1F040404040404",
        ['U'] = "1111111111110E",
        ['V'] = "11111111110A04",
        ['W'] = "1111111515150A",
        ['X'] = "11110A040A1111",
        ['Y'] = "1111110A040404",
        ['Z'] = "1F01020408101F",
        ['\''] = "0C040800000000",
        [';'] = "000C0C000C0408",
    });

    private static readonly byte[] Missing = [0x1F, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1F];

    /// <summary>Seven rows of five bits for <paramref name="c"/>.</summary>
    public static byte[] Glyph(char c) => Glyphs.TryGetValue(c, out var rows) ? rows : Missing;

    public static bool HasGlyph(char c) => Glyphs.ContainsKey(c);

    private static Dictionary<char, byte[]> Parse(Dictionary<char, string> hex) => hex.ToDictionary(g => g.Key, g =>
    {
        var digits = g.Value;
        if (digits.Length != Height * 2)
        {
            throw new InvalidOperationException($"the glyph of '{g.Key}' has {digits.Length} hex digits, not {Height * 2}");
        }
        return Enumerable.Range(0, Height).Select(i => byte.Parse(digits.AsSpan(i * 2, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray();
    });
}
