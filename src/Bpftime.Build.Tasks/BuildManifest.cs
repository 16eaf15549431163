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
    public static string Write(IEnumerable<ITaskItem> programs, string? accessorNamespace, bool skeletonOnly = false)
    {
        var json = new StringBuilder();
        json.Append("{\n  ").Append(Quote(BuildManifestFormat.FormatKey)).Append(": ").Append(BuildManifestFormat.Version.ToString(CultureInfo.InvariantCulture))
            .Append(",\n  ").Append(Quote(BuildManifestFormat.NamespaceKey)).Append(": ").Append(Quote(accessorNamespace ?? "Bpf"))
            .Append(",\n  ").Append(Quote(BuildManifestFormat.ModeKey)).Append(": ").Append(Quote(skeletonOnly ? BuildManifestFormat.SkeletonMode : "build"))
            .Append(",\n  ").Append(Quote(BuildManifestFormat.ObjectsKey)).Append(": [");
        var first = true;
        foreach (var program in programs)
        {
            json.Append(first ? "\n" : ",\n");
            first = false;
            json.Append("    {\n      ").Append(Quote(BuildManifestFormat.SourceKey)).Append(": ").Append(Quote(program.ItemSpec));
            foreach (var field in BuildManifestFormat.ItemFields)
            {
                json.Append(",\n      ").Append(Quote(BuildManifestFormat.Key(field))).Append(": ").Append(Quote(program.GetMetadata(field)));
            }
            json.Append("\n    }");
        }
        json.Append("\n  ]\n}\n");
        return json.ToString();
    }

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
