using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Bpftime.Benchmarks.Tests;

/// <summary>The PNG writer, read back by a decoder written here: signature, chunks and their CRCs, header, pixels.</summary>
public sealed class PngTests
{
    private static List<(string Type, byte[] Data)> Chunks(byte[] png)
    {
        Assert.Equal([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], png[..8]);
        var chunks = new List<(string, byte[])>();
        var at = 8;
        while (at < png.Length)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            var type = Encoding.ASCII.GetString(png, at + 4, 4);
            var data = png[(at + 8)..(at + 8 + length)];
            var crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at + 8 + length));
            Assert.True(Crc32.Compute(png.AsSpan(at + 4, 4 + length)) == crc, $"chunk {type}: the CRC does not match");
            chunks.Add((type, data));
            at += 12 + length;
        }
        Assert.Equal(png.Length, at);
        return chunks;
    }

    /// <summary>Header fields and the raw scanlines (after inflating every IDAT).</summary>
    private static (int Width, int Height, byte[] Rows) Decode(byte[] png)
    {
        var chunks = Chunks(png);
        Assert.Equal("IHDR", chunks[0].Type);
        Assert.Equal("IEND", chunks[^1].Type);
        Assert.Empty(chunks[^1].Data);
        var header = chunks[0].Data;
        Assert.Equal(13, header.Length);
        Assert.Equal([8, 2, 0, 0, 0], header[8..]); // 8 bits, RGB, deflate, no filter method, no interlace
        using var compressed = new MemoryStream([.. chunks.Where(c => c.Type == "IDAT").SelectMany(c => c.Data)]);
        using var zlib = new ZLibStream(compressed, CompressionMode.Decompress);
        using var rows = new MemoryStream();
        zlib.CopyTo(rows);
        return (BinaryPrimitives.ReadInt32BigEndian(header), BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4)), rows.ToArray());
    }

    [Fact]
    public void TheCrcIsTheStandardOne()
    {
        // The check value of CRC-32 (ISO-HDLC), and the CRC every PNG's IEND chunk carries.
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
        Assert.Equal(0xAE426082u, Crc32.Compute("IEND"u8));
    }

    [Fact]
    public void EveryPixelReadsBackAsDrawn()
    {
        var bitmap = new Bitmap(7, 3, new Rgb(1, 2, 3));
        bitmap[0, 0] = new Rgb(255, 0, 0);
        bitmap[6, 2] = new Rgb(0, 255, 0);
        bitmap.FillRectangle(2, 1, 2, 1, new Rgb(10, 20, 30));
        var (width, height, rows) = Decode(Png.Encode(bitmap));
        Assert.Equal((7, 3), (width, height));
        Assert.Equal(3 * (1 + (7 * 3)), rows.Length);
        Rgb Pixel(int x, int y)
        {
            var row = y * (1 + (width * 3));
            Assert.Equal(0, rows[row]); // filter None
            var at = row + 1 + (x * 3);
            return new Rgb(rows[at], rows[at + 1], rows[at + 2]);
        }
        Assert.Equal(new Rgb(255, 0, 0), Pixel(0, 0));
        Assert.Equal(new Rgb(0, 255, 0), Pixel(6, 2));
        Assert.Equal(new Rgb(10, 20, 30), Pixel(2, 1));
        Assert.Equal(new Rgb(10, 20, 30), Pixel(3, 1));
        Assert.Equal(new Rgb(1, 2, 3), Pixel(4, 1));
        Assert.Equal(new Rgb(1, 2, 3), Pixel(1, 0));
    }

    [Fact]
    public void DrawingOutsideTheBitmapIsClipped()
    {
        var bitmap = new Bitmap(4, 4, Rgb.White);
        bitmap.FillRectangle(-2, -2, 3, 3, Rgb.Black);
        bitmap.DrawText(2, 2, "8", Rgb.Black);
        Assert.Equal(Rgb.Black, bitmap[0, 0]);
        Assert.Equal(Rgb.White, bitmap[1, 1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Bitmap(0, 5, Rgb.White));
    }

    [Fact]
    public void AGlyphIsDrawnRowByRowFromItsBits()
    {
        // '1' is 04 0C 04 04 04 04 0E: the column 2 from the left in every row, and the base row 01110.
        var bitmap = new Bitmap(BitmapFont.Width, BitmapFont.Height, Rgb.White);
        bitmap.DrawText(0, 0, "1", Rgb.Black);
        string Row(int y) => string.Concat(Enumerable.Range(0, BitmapFont.Width).Select(x => bitmap[x, y] == Rgb.Black ? '#' : '.'));
        Assert.Equal(["..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."], Enumerable.Range(0, BitmapFont.Height).Select(Row));
        // Every character of the labels has a glyph.
        Assert.All("interpreter/checked llvm-jit O3 aot O0 log2 memcpy strcmp switch-random 0.1x 100x (log scale)" + RatioChart.Legend, c => Assert.True(BitmapFont.HasGlyph(c), $"no glyph for '{c}'"));
    }
}
