using Bpftime.Isa;

namespace Bpftime.Tests.Architecture;

/// <summary>
/// The runtime's namespaces form layers, each using only the layers below it (docs/architecture.md draws
/// them). Read from the compiled assembly, so a dependency hidden in a method body, a local, a lambda or an
/// attribute counts as much as one in a signature.
/// </summary>
public class NamespaceLayeringTests
{
    /// <summary>Bottom first; a namespace may use those on lower rows only (one row's namespaces not each other).</summary>
    private static readonly string[][] Layers =
    [
        ["Diagnostics"],
        ["Isa", "Elf"],
        ["Objects"],
        ["Execution"],
        ["Maps"],
        ["Helpers"],
        ["Verification"],
        ["Engines"],
        ["Linking"],
        ["Hosting"],
    ];

    private static readonly Lazy<NamespaceDependencies> Runtime =
        new(() => NamespaceDependencies.Read(typeof(Instruction).Assembly.Location, "Bpftime"));

    [Fact]
    public void EveryNamespaceHasALayer()
    {
        var declared = Layers.SelectMany(row => row).ToHashSet(StringComparer.Ordinal);
        var undeclared = Runtime.Value.Namespaces.Where(ns => !declared.Contains(ns)).Order(StringComparer.Ordinal).ToList();
        Assert.True(undeclared.Count == 0,
            $"Bpftime.Runtime has namespaces with no layer: {string.Join(", ", undeclared)}; add each to {nameof(Layers)} (and to the picture in docs/architecture.md)");
    }

    [Fact]
    public void DependenciesPointDownTheLayers()
    {
        var level = LevelOf();
        var offending = new List<string>();
        foreach (var ((from, to), uses) in Runtime.Value.Edges.OrderBy(e => e.Key.From, StringComparer.Ordinal).ThenBy(e => e.Key.To, StringComparer.Ordinal))
        {
            if (!level.TryGetValue(from, out var fromLevel) || !level.TryGetValue(to, out var toLevel) || toLevel < fromLevel)
            {
                continue;
            }
            offending.Add($"{from} -> {to} ({(toLevel == fromLevel ? "same layer" : "upward")}), e.g.:\n    "
                + string.Join("\n    ", uses.Take(5).Select(u => u.ToString())));
        }
        Assert.True(offending.Count == 0,
            "dependencies against the layering (" + string.Join(" < ", Layers.Select(row => string.Join("|", row))) + "):\n"
            + string.Join("\n", offending)
            + "\nmove the used type down to the user's layer or lower, or the using member up; see docs/architecture.md");
    }

    [Fact]
    public void NoNamespaceCycle()
    {
        var cycle = NamespaceDependencies.FindCycle(Runtime.Value.Edges.Keys);
        Assert.True(cycle is null, $"namespace cycle: {string.Join(" -> ", cycle ?? [])}; {Describe(cycle)}");
    }

    /// <summary>The reader sees a base type, a field's type and a type used only inside a method body.</summary>
    [Fact]
    public void ReaderSeesBaseTypesFieldsAndMethodBodies()
    {
        var edges = Runtime.Value.Edges;
        Assert.Contains(edges[("Objects", "Elf")], use => use.Kind == "base type" && use.Target == "Bpftime.Elf.ElfReadPolicy");
        Assert.Contains(edges[("Engines", "Isa")], use => use.Kind == "field type" && use.Target == "Bpftime.Isa.Instruction");
        Assert.Contains(edges[("Hosting", "Linking")], use => use.Kind == "method body");
        Assert.Contains(edges[("Maps", "Execution")], use => use.Kind == "interface" && use.Target == "Bpftime.Execution.IMapMemory");
    }

    [Fact]
    public void CycleFinderNamesTheCycle()
    {
        Assert.Null(NamespaceDependencies.FindCycle([("Maps", "Execution"), ("Helpers", "Maps"), ("Helpers", "Execution")]));
        Assert.Equal(["Execution", "Maps", "Execution"], NamespaceDependencies.FindCycle([("Helpers", "Maps"), ("Maps", "Execution"), ("Execution", "Maps")]));
    }

    private static Dictionary<string, int> LevelOf()
    {
        var level = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Layers.Length; i++)
        {
            foreach (var ns in Layers[i])
            {
                level[ns] = i;
            }
        }
        return level;
    }

    private static string Describe(IReadOnlyList<string>? cycle)
    {
        if (cycle is null)
        {
            return "";
        }
        var steps = new List<string>();
        for (var i = 0; i + 1 < cycle.Count; i++)
        {
            if (Runtime.Value.Edges.TryGetValue((cycle[i], cycle[i + 1]), out var uses))
            {
                steps.Add(uses[0].ToString());
            }
        }
        return "through " + string.Join("; ", steps);
    }
}
