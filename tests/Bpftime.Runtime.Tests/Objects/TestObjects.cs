using Bpftime.Objects;

namespace Bpftime.Tests.Objects;

/// <summary>The committed test objects (tests/data/obj, built from tests/data/c by tests/data/build.sh).</summary>
internal static class TestObjects
{
    public static string ObjectPath(string name) => Path.Combine(TestPaths.DataDirectory, "obj", name + ".bpf.o");

    public static string SourcePath(string name) => Path.Combine(TestPaths.DataDirectory, "c", name + ".bpf.c");

    public static byte[] Bytes(string name) => File.ReadAllBytes(ObjectPath(name));

    public static BpfObjectFile Read(string name) => ObjectReader.ReadFile(ObjectPath(name));

    public static IEnumerable<string> AllNames() =>
        Directory.GetFiles(Path.Combine(TestPaths.DataDirectory, "obj"), "*.bpf.o")
            .Select(p => Path.GetFileName(p)[..^".bpf.o".Length])
            .Order(StringComparer.Ordinal);

    /// <summary>The 1-based line of the C source that contains <paramref name="text"/>.</summary>
    public static int SourceLineOf(string name, string text)
    {
        var lines = File.ReadAllLines(SourcePath(name));
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Contains(text, StringComparison.Ordinal))
            {
                return i + 1;
            }
        }
        throw new InvalidOperationException($"'{text}' is not in {name}.bpf.c");
    }
}
