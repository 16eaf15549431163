namespace Bpftime.Tests.Tool;

/// <summary>
/// Truncated and bit-flipped objects through the commands that read them: every case ends in
/// success or a BPF1xxx message with exit code 2, never a stack trace.
/// </summary>
public sealed class ToolFuzzTests
{
    private const int Cases = 10_000;

    [Fact]
    public void MutatedObjectsNeverEscapeAsStackTraces()
    {
        var seeds = Directory.GetFiles(Path.Combine(TestPaths.DataDirectory, "obj"), "*.bpf.o").Order(StringComparer.Ordinal)
            .Select(File.ReadAllBytes).ToArray();
        Assert.NotEmpty(seeds);
        var random = new Random(20261125);
        var path = Path.Combine(Path.GetTempPath(), $"bpftime-fuzz-{Environment.ProcessId}.o");
        var refused = 0;
        try
        {
            for (var i = 0; i < Cases; i++)
            {
                var bytes = Mutate(seeds[i % seeds.Length], random);
                File.WriteAllBytes(path, bytes);
                var command = (i & 1) == 0 ? "inspect" : "disasm";
                var result = ToolRunner.Run([command, path]);
                if (result.ExitCode == 0)
                {
                    continue;
                }
                refused++;
                Assert.True(result.ExitCode == 2, $"case {i}: exit {result.ExitCode}: {result.Error}");
                Assert.Matches(@"error BPF1\d{3}: ", result.Error);
                Assert.DoesNotContain("   at ", result.Error);
            }
        }
        finally
        {
            File.Delete(path);
        }
        // The mutations must really reach the error paths, not only harmless bytes.
        Assert.True(refused > Cases / 10, $"only {refused} of {Cases} mutated objects were refused");
    }

    private static byte[] Mutate(byte[] seed, Random random)
    {
        var bytes = (byte[])seed.Clone();
        switch (random.Next(4))
        {
            case 0:
                return bytes.AsSpan(0, random.Next(bytes.Length)).ToArray();
            case 1:
                for (var flips = random.Next(1, 8); flips > 0; flips--)
                {
                    var at = random.Next(bytes.Length);
                    bytes[at] ^= (byte)(1 << random.Next(8));
                }
                return bytes;
            case 2:
                // The ELF header and section headers hold the offsets and sizes everything else depends on.
                var headerByte = random.Next(Math.Min(64, bytes.Length));
                bytes[headerByte] = (byte)random.Next(256);
                return bytes;
            default:
                var start = random.Next(bytes.Length);
                var length = Math.Min(bytes.Length - start, random.Next(1, 16));
                random.NextBytes(bytes.AsSpan(start, length));
                return bytes;
        }
    }
}
