using Bpftime.Diagnostics;
using Bpftime.Elf;
using Bpftime.Linking.Native;
using Bpftime.Objects;
using Bpftime.Runtime.Tests.Engines.Aot;
using Bpftime.Tests.Objects;
using Xunit.Abstractions;

namespace Bpftime.Runtime.Tests.Elf;

/// <summary>
/// The object reader's seeded mutations (<see cref="ObjectFuzzTests"/>) applied to every native object
/// under tests/data/aot: the native reader must end in an object whose every index and range the linker
/// relies on holds, or in a BPF31xx diagnostic; the eBPF reader, handed the same bytes, in an object or
/// a BPF1xxx diagnostic. Nothing else may escape.
/// </summary>
public class NativeObjectFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 0x0e1f_5eed;
    private const int CasesPerObject = 400;

    /// <summary>The object fuzzer's mutation kinds that fit any ELF object (not BTF, not bytecode).</summary>
    private static readonly int[] Kinds = [0, 1, 2, 3, 4, 5, 6, 11];

    [Fact]
    public void MutatedNativeObjectsEndInAnObjectOrADiagnostic()
    {
        var names = Directory.GetFiles(AotTestObjects.Directory, "*.o").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        Assert.True(names.Length >= 20, $"only {names.Length} native objects under tests/data/aot");
        var random = new Random(Seed);
        var outcomes = new Dictionary<string, int>();
        var escaped = new List<string>();
        var cases = 0;
        foreach (var name in names)
        {
            var original = AotTestObjects.Read(name!);
            var layout = new ElfLayout(original);
            for (var i = 0; i < CasesPerObject; i++)
            {
                var (mutation, bytes) = Mutate(original, layout, random, i);
                var label = $"{name}#{i} {mutation}";
                var outcome = ReadNative(bytes, label, escaped);
                outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
                ReadAsBpf(bytes, label, escaped);
                cases++;
            }
        }
        output.WriteLine($"{cases} mutated native objects");
        foreach (var (outcome, count) in outcomes.OrderByDescending(o => o.Value))
        {
            output.WriteLine($"  {outcome}: {count}");
        }
        Assert.True(escaped.Count == 0, string.Join(Environment.NewLine, escaped.Take(20)));
        Assert.True(outcomes.GetValueOrDefault("ok") > 0, "no mutation read successfully; the mutations are too coarse");
        Assert.True(outcomes.Keys.Count(k => k.StartsWith("BPF31", StringComparison.Ordinal)) >= 3, "too few distinct diagnostics were reached");
    }

    private static (string Mutation, byte[] Bytes) Mutate(byte[] original, ElfLayout layout, Random random, int index)
    {
        if (index % 9 != 8)
        {
            return ObjectFuzzTests.MutateOnce(original, layout, random, Kinds[index % 9]);
        }
        // Several mutations on top of each other (no truncation, so the layout still applies).
        var bytes = original;
        var steps = new List<string>();
        for (var step = random.Next(2, 5); step > 0; step--)
        {
            var (mutation, next) = ObjectFuzzTests.MutateOnce(bytes, layout, random, Kinds[random.Next(2, Kinds.Length)]);
            steps.Add(mutation);
            bytes = next;
        }
        return (string.Join(" + ", steps), bytes);
    }

    private static string ReadNative(byte[] bytes, string label, List<string> escaped)
    {
        try
        {
            var file = AotObjectFile.Read(bytes, "fuzz.o");
            CheckInvariants(file);
            file.ReadMetadata();
            return "ok";
        }
        catch (BpfException error) when (error.Code.StartsWith("BPF31", StringComparison.Ordinal))
        {
            return error.Code;
        }
        catch (Exception error)
        {
            escaped.Add($"native {label}: {error.GetType().Name}: {error.Message}{Environment.NewLine}{error}");
            return "escaped";
        }
    }

    private static void ReadAsBpf(byte[] bytes, string label, List<string> escaped)
    {
        try
        {
            // A mutant whose e_machine became EM_BPF may even read as bytecode; that is allowed.
            ObjectReader.Read(bytes, "fuzz.o");
        }
        catch (BpfException error) when (error.Code.StartsWith("BPF1", StringComparison.Ordinal))
        {
        }
        catch (Exception error)
        {
            escaped.Add($"bpf {label}: {error.GetType().Name}: {error.Message}{Environment.NewLine}{error}");
        }
    }

    /// <summary>What the linker relies on without checking again: contents inside the file, indexes inside their tables.</summary>
    private static void CheckInvariants(AotObjectFile file)
    {
        foreach (var section in file.Sections)
        {
            var contents = file.Contents(section);
            if (!section.IsNoBits && section.Type != ElfSection.TypeNull && contents.Length != section.Size)
            {
                throw new InvalidOperationException($"section {section.Name}: {contents.Length} bytes read, {section.Size} declared");
            }
            if (section.Alignment == 0 || (section.Alignment & (section.Alignment - 1)) != 0)
            {
                throw new InvalidOperationException($"section {section.Name}: alignment {section.Alignment}");
            }
            foreach (var relocation in file.RelocationsFor(section))
            {
                if (relocation.SymbolIndex < 0 || relocation.SymbolIndex >= file.Symbols.Count || relocation.Offset >= (ulong)section.Size)
                {
                    throw new InvalidOperationException($"section {section.Name}: relocation {relocation} outside its tables");
                }
            }
        }
        foreach (var symbol in file.Symbols)
        {
            if (symbol.IsInSection && symbol.SectionIndex >= file.Sections.Count)
            {
                throw new InvalidOperationException($"symbol {symbol.Name}: section {symbol.SectionIndex}");
            }
        }
    }
}
