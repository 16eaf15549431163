namespace Bpftime.Benchmarks;

/// <summary>An RGB colour.</summary>
internal readonly record struct Rgb(byte R, byte G, byte B)
{
    public static readonly Rgb White = new(255, 255, 255);
    public static readonly Rgb Black = new(0, 0, 0);

    /// <summary>This colour mixed with white: 0 keeps it, 1 is white.</summary>
    public Rgb Lighter(double amount) => new(Mix(R, amount), Mix(G, amount), Mix(B, amount));

    private static byte Mix(byte channel, double amount) => (byte)Math.Round(channel + ((255 - channel) * amount));
}

/// <summary>An RGB raster, 3 bytes per pixel row by row, with the few drawing operations a bar chart needs.</summary>
internal sealed class Bitmap
{
    public Bitmap(int width, int height, Rgb background)
    {
        if (width <= 0 || height <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(width), $"a bitmap of {width} x {height} pixels has nothing to draw on");
        }
        Width = width;
        Height = height;
        Pixels = new byte[width * height * 3];
        FillRectangle(0, 0, width, height, background);
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>R, G, B of each pixel, rows from the top.</summary>
    public byte[] Pixels { get; }

    public Rgb this[int x, int y]
    {
        get
        {
            var at = ((y * Width) + x) * 3;
            return new Rgb(Pixels[at], Pixels[at + 1], Pixels[at + 2]);
        }
        set
        {
            // Drawing is clipped to the bitmap.
            if (x < 0 || y < 0 || x >= Width || y >= Height)
            {
                return;
            }
            var at = ((y * Width) + x) * 3;
            Pixels[at] = value.R;
            Pixels[at + 1] = value.G;
            Pixels[at + 2] = value.B;
        }
    }

    /// <summary>Fills <paramref name="width"/> x <paramref name="height"/> pixels from (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public void FillRectangle(int x, int y, int width, int height, Rgb colour)
    {
        for (var row = y; row < y + height; row++)
        {
            for (var column = x; column < x + width; column++)
            {
                this[column, row] = colour;
            }
        }
    }

    public void HorizontalLine(int x0, int x1, int y, Rgb colour, int dash = 0)
    {
        for (var x = x0; x <= x1; x++)
        {
            if (dash == 0 || (x - x0) / dash % 2 == 0)
            {
                this[x, y] = colour;
            }
        }
    }

    public void VerticalLine(int x, int y0, int y1, Rgb colour)
    {
        for (var y = y0; y <= y1; y++)
        {
            this[x, y] = colour;
        }
    }

    /// <summary>Draws <paramref name="text"/> with its top-left corner at (x, y); returns the x after it.</summary>
    public int DrawText(int x, int y, string text, Rgb colour, int scale = 1)
    {
        foreach (var c in text)
        {
            var rows = BitmapFont.Glyph(c);
            for (var row = 0; row < BitmapFont.Height; row++)
            {
                for (var column = 0; column < BitmapFont.Width; column++)
                {
                    if ((rows[row] & (1 << (BitmapFont.Width - 1 - column))) != 0)
                    {
                        FillRectangle(x + (column * scale), y + (row * scale), scale, scale, colour);
                    }
                }
            }
            x += BitmapFont.Advance * scale;
        }
        return x;
    }

    /// <summary>Draws text turned a quarter anticlockwise (read bottom to top), starting at (x, y) and going up.</summary>
    public void DrawTextUpwards(int x, int y, string text, Rgb colour)
    {
        foreach (var c in text)
        {
            var rows = BitmapFont.Glyph(c);
            for (var row = 0; row < BitmapFont.Height; row++)
            {
                for (var column = 0; column < BitmapFont.Width; column++)
                {
                    if ((rows[row] & (1 << (BitmapFont.Width - 1 - column))) != 0)
                    {
                        this[x + row, y - column] = colour;
                    }
                }
            }
            y -= BitmapFont.Advance;
        }
    }

    public static int TextWidth(string text, int scale = 1) => text.Length * BitmapFont.Advance * scale;
}
