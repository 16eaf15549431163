using System.Security.Cryptography;
using System.Text;

namespace Bpftime.Build.Tasks;

/// <summary>
/// Turns an object's path into the stable name it is embedded and loaded under, and into the C#
/// class name of its accessor. Names come from the path relative to the project, so two
/// <c>filter.bpf.o</c> in different folders get different names (<c>filter</c>, <c>net.filter</c>).
/// </summary>
internal static class ProgramNaming
{
    /// <summary>
    /// The name for an object at <paramref name="relativePath"/> (relative to the project; may start
    /// with ".." when the object lives outside it, then the file name and a short path hash are used).
    /// </summary>
    public static string NameFor(string relativePath)
    {
        var path = relativePath.Replace('\\', '/');
        var outside = path.StartsWith("../", StringComparison.Ordinal) || Path.IsPathRooted(path);
        var stem = outside ? Path.GetFileName(path) : path;
        stem = StripObjectSuffix(stem).Replace('/', '.').Trim('.');
        if (stem.Length == 0)
        {
            stem = "object";
        }
        return outside ? stem + "." + ShortHash(path) : stem;
    }

    public static string StripObjectSuffix(string fileName)
    {
        foreach (var suffix in new[] { ".bpf.o", ".o" })
        {
            if (fileName.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) && fileName.Length > suffix.Length)
            {
                return fileName.Substring(0, fileName.Length - suffix.Length);
            }
        }
        return fileName;
    }

    /// <summary>The skeleton class name of an embedded name: <c>net.filter</c> -> <c>NetFilter</c>, <c>my-probe_v2</c> -> <c>MyProbeV2</c>.</summary>
    public static string ClassNameFor(string name) => CSharpNames.PascalCase(name);

    /// <summary>
    /// The skeleton class of each of a project's objects: its file name in PascalCase without the
    /// object suffix (<c>bpf/xdp_count.bpf.o</c> -> <c>XdpCount</c>, so the folder does not repeat in
    /// <c>Bpf.XdpCount</c>); objects whose file names give the same class take their whole embedded
    /// name instead (<c>filter.bpf.o</c> -> <c>Filter</c>, <c>nested/filter.bpf.o</c> -> <c>NestedFilter</c>).
    /// <paramref name="objects"/> holds each object's file name (or logical name) and embedded name.
    /// </summary>
    public static string[] ClassNamesFor(IReadOnlyList<KeyValuePair<string, string>> objects)
    {
        var shortNames = objects.Select(o => CSharpNames.PascalCase(StripObjectSuffix(o.Key))).ToArray();
        var counts = shortNames.GroupBy(n => n, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var names = new string[objects.Count];
        for (var i = 0; i < objects.Count; i++)
        {
            var full = ClassNameFor(objects[i].Value);
            names[i] = counts[shortNames[i]] == 1 || full == shortNames[i] ? shortNames[i] : full;
        }
        return names;
    }

    /// <summary>Eight hex digits of SHA-256, stable across runs and machines.</summary>
    public static string ShortHash(string text)
    {
        using var sha = SHA256.Create();
        var hash = sha.ComputeHash(Encoding.UTF8.GetBytes(text));
        var hex = new StringBuilder();
        for (var i = 0; i < 4; i++)
        {
            hex.Append(hash[i].ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return hex.ToString();
    }
}
