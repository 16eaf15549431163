// This file is compiled into both the runtime (net10.0) and the MSBuild tasks (netstandard2.0), so
// that the names the build embeds and the names the runtime looks for cannot drift apart.
namespace Bpftime.Hosting;

/// <summary>
/// The logical names under which the build embeds an eBPF object: its original bytecode, and the
/// native code compiled ahead of time for one runtime identifier. The runtime finds them by these
/// names alone, with no reflection over types.
/// </summary>
internal static class EmbeddedResourceNames
{
    /// <summary>Every embedded eBPF resource name starts with this.</summary>
    public const string Prefix = "Bpftime.Bpf/";

    public const string BytecodeSuffix = ".bpf.o";

    /// <summary>The original eBPF object, e.g. <c>Bpftime.Bpf/filter.bpf.o</c>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static string Bytecode(string name) => Prefix + name + BytecodeSuffix;

    /// <summary>The native object for one runtime identifier, e.g. <c>Bpftime.Bpf/filter.linux-x64.o</c>.</summary>
    /// <remarks>Two concatenations of three, as <see cref="Bytecode"/> makes: one framework method at start rather than two.</remarks>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static string Native(string name, string runtimeIdentifier) => string.Concat(Prefix, name, string.Concat(".", runtimeIdentifier, ".o"));

    /// <summary>The name an embedded bytecode resource was stored under, or null when it is not one.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static string? NameOfBytecode(string resourceName) =>
        resourceName.StartsWith(Prefix, System.StringComparison.Ordinal) && resourceName.EndsWith(BytecodeSuffix, System.StringComparison.Ordinal)
            ? resourceName.Substring(Prefix.Length, resourceName.Length - Prefix.Length - BytecodeSuffix.Length)
            : null;
}
