// This file is compiled into both the tool (net10.0) and the MSBuild tasks (netstandard2.0): the task
// names each object's accessor class and the tool names its programs and maps, and users see both.
using System.Text;

namespace Bpftime.Build;

/// <summary>The C# names the build gives to what an eBPF object holds.</summary>
internal static class CSharpNames
{
    /// <summary>
    /// A C# identifier in PascalCase. Anything but a letter or digit separates words (so <c>_</c>, as
    /// in C names: <c>packets_seen</c> -> <c>PacketsSeen</c>, <c>net.filter</c> -> <c>NetFilter</c>);
    /// a name starting with a digit, or with no letter or digit at all, gets a leading <c>_</c>. The
    /// first letter is upper case, so no result is a C# keyword.
    /// </summary>
    public static string PascalCase(string name)
    {
        var text = new StringBuilder();
        var upperNext = true;
        foreach (var c in name)
        {
            if (char.IsLetterOrDigit(c))
            {
                text.Append(upperNext ? char.ToUpperInvariant(c) : c);
                upperNext = false;
            }
            else
            {
                upperNext = true;
            }
        }
        if (text.Length == 0 || char.IsDigit(text[0]))
        {
            text.Insert(0, '_');
        }
        return text.ToString();
    }
}
