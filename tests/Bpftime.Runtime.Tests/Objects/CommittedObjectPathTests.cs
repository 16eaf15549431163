using Bpftime.Diagnostics;
using Bpftime.Elf;
using Bpftime.Objects;

namespace Bpftime.Tests.Objects;

/// <summary>
/// The eBPF objects committed under tests/data name their C sources relative to themselves, never by
/// the absolute path of the machine that built them: diagnostics then point at the source in any
/// clone, and the objects say nothing about where they were built.
/// </summary>
public sealed class CommittedObjectPathTests
{
    private const ushort MachineBpf = 247;

    public static TheoryData<string> CommittedObjects() => new(CommittedObjectPaths());

    private static List<string> CommittedObjectPaths()
    {
        var data = new List<string>();
        foreach (var path in Directory.EnumerateFiles(TestPaths.DataDirectory, "*.o", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var bytes = File.ReadAllBytes(path);
            if (ElfImage.PeekHeader(bytes) is { Machine: MachineBpf })
            {
                data.Add(Path.GetRelativePath(TestPaths.DataDirectory, path));
            }
        }
        return data;
    }

    [Fact]
    public void TheDataFolderHoldsEbpfObjectsWithLineInfo()
    {
        // Guards the theory below against passing vacuously on an empty or unreadable folder.
        var withLines = CommittedObjectPaths().Count(path => ReadOrNull(path) is { } file && file.Programs.Any(p => p.LineInfo.Count > 0));
        Assert.True(withLines >= 40, $"only {withLines} committed objects carry line info");
    }

    [Theory]
    [MemberData(nameof(CommittedObjects))]
    public void ACommittedObjectNamesItsSourcesRelativeToItself(string relativePath)
    {
        if (ReadOrNull(relativePath) is not { } file)
        {
            return; // Objects kept malformed on purpose are tested for their errors elsewhere.
        }
        var objectFolder = Path.GetDirectoryName(Path.Combine(TestPaths.DataDirectory, relativePath))!;
        foreach (var program in file.Programs)
        {
            foreach (var line in program.LineInfo.Where(l => !string.IsNullOrEmpty(l.FileName)))
            {
                // System headers (libbpf's, the C library's) are the same on every machine.
                if (line.FileName.StartsWith("/usr/", StringComparison.Ordinal))
                {
                    continue;
                }
                Assert.False(Path.IsPathRooted(line.FileName), $"{relativePath}: {program.Name} names '{line.FileName}', an absolute path of the machine that built it");
                // The build samples' objects are copied beside their C source into a project, so they name it as beside them.
                var folder = relativePath.StartsWith("obj/build/", StringComparison.Ordinal) ? Path.Combine(TestPaths.DataDirectory, "c", "build") : objectFolder;
                var source = Path.GetFullPath(Path.Combine(folder, line.FileName));
                Assert.True(File.Exists(source), $"{relativePath}: {program.Name} names '{line.FileName}', which is not a file relative to the object ({source})");
            }
        }
    }

    private static BpfObjectFile? ReadOrNull(string relativePath)
    {
        try
        {
            return ObjectReader.ReadFile(Path.Combine(TestPaths.DataDirectory, relativePath));
        }
        catch (BpfException)
        {
            return null;
        }
    }
}
