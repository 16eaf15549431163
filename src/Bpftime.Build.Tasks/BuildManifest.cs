using System.Globalization;
using System.Text;
using Microsoft.Build.Framework;

namespace Bpftime.Build.Tasks;

/// <summary>
/// Writes the JSON manifest that <c>bpftime build</c> reads: one entry per object with where it is,
/// what to produce and how. Hand-written JSON keeps the task free of serializer packages.
/// </summary>
internal static class BuildManifest
{
    private static readonly string[] Fields =
    [
        "BpfName", "ClassName", "RelativePath", "OptimizationLevel", "Engine", "Verify", "Programs", "TargetCpu",
        "HelperSet", "RuntimeIdentifier", "Triple", "BytecodeCopy", "NativeObject", "Accessor", "MemoryChecks",
        "ContextSize", "MaxMapMemory", "RequireTermination", "Context",
    ];

    public static string Write(IEnumerable<ITaskItem> programs, string? accessorNamespace)
    {
        var json = new StringBuilder();
        json.Append("{\n  \"format\": 1,\n  \"namespace\": ").Append(Quote(accessorNamespace ?? "Bpf")).Append(",\n  \"objects\": [");
        var first = true;
        foreach (var program in programs)
        {
            json.Append(first ? "\n" : ",\n");
            first = false;
            json.Append("    {\n      \"source\": ").Append(Quote(program.ItemSpec));
            foreach (var field in Fields)
            {
                json.Append(",\n      ").Append(Quote(CamelCase(field))).Append(": ").Append(Quote(program.GetMetadata(field)));
            }
            json.Append("\n    }");
        }
        json.Append("\n  ]\n}\n");
        return json.ToString();
    }

    private static string CamelCase(string name) => char.ToLowerInvariant(name[0]) + name.Substring(1);

    public static string Quote(string text)
    {
        var quoted = new StringBuilder(text.Length + 2).Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': quoted.Append("\\\""); break;
                case '\\': quoted.Append("\\\\"); break;
                case '\n': quoted.Append("\\n"); break;
                case '\r': quoted.Append("\\r"); break;
                case '\t': quoted.Append("\\t"); break;
                default:
                    if (c < 0x20)
                    {
                        quoted.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        quoted.Append(c);
                    }
                    break;
            }
        }
        return quoted.Append('"').ToString();
    }
}
