using System.Reflection;
using System.Runtime.CompilerServices;
using Bpftime.Diagnostics;

namespace Bpftime.Hosting;

/// <summary>
/// An eBPF object the build embedded in an assembly: its bytecode, and the native code for this
/// machine when the build produced it. Found by logical name through
/// <see cref="Assembly.GetManifestResourceNames"/> on that one assembly; no type is inspected. The
/// bytecode is read on first use: native code linked from its metadata never needs it.
/// </summary>
internal sealed class EmbeddedObject(string name, Assembly assembly, string bytecodeResource, string? nativeResource, byte[]? native)
{
    private byte[]? _bytecode;

    /// <summary>An object whose bytes are at hand, as the build would embed them (for loading paths that take bytes).</summary>
    internal EmbeddedObject(string name, byte[] bytecode, string? nativeResource, byte[]? native)
        : this(name, typeof(EmbeddedObject).Assembly, EmbeddedResourceNames.Bytecode(name), nativeResource, native)
    {
        _bytecode = bytecode;
    }

    public string Name => name;

    public string BytecodeResource => bytecodeResource;

    public byte[] Bytecode => _bytecode ??= Read(assembly, bytecodeResource);

    public string? NativeResource => nativeResource;

    public byte[]? Native => native;

    public static EmbeddedObject Find(string name, Assembly? assembly)
    {
        if (name is null || IsEmptyOrWhiteSpace(name))
        {
            ThrowBadName(name);
        }
        assembly ??= Assembly.GetEntryAssembly() ?? throw NoEntryAssembly(name);
        var resources = assembly.GetManifestResourceNames();

        var bytecodeResource = Match(resources, EmbeddedResourceNames.Bytecode(name)) ?? throw NotEmbedded(name, assembly, resources);
        // The native object must come from the same build as the bytecode: take the exact-cased name's sibling.
        var canonicalName = EmbeddedResourceNames.NameOfBytecode(bytecodeResource)!;
        var rid = HostPlatform.NativeRuntimeIdentifier;
        var nativeResource = rid is null ? null : Match(resources, EmbeddedResourceNames.Native(canonicalName, rid));
        return new EmbeddedObject(canonicalName, assembly, bytecodeResource, nativeResource, nativeResource is null ? null : Read(assembly, nativeResource));
    }

    /// <summary>
    /// As <see cref="string.IsNullOrWhiteSpace"/> for a string that is not null, without its call (a lookup
    /// at start) in the common case: a printable ASCII character that is not a space ends the scan.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsEmptyOrWhiteSpace(string name)
    {
        foreach (var c in name)
        {
            if (c is > ' ' and < '\u007f' || !char.IsWhiteSpace(c))
            {
                return false;
            }
        }
        return true;
    }

    // The framework's own refusal, so the exception and its message are the ones it has always been.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadName([System.Diagnostics.CodeAnalysis.NotNull] string? name) => ArgumentException.ThrowIfNullOrWhiteSpace(name);

    // Error messages apart from Find and Read, which every embedded load runs: precompiled code resolves
    // what a method names (the delegates, the string builder) before its first run.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static BpfException NoEntryAssembly(string name) => BpfException.Create(DiagnosticCodes.EmbeddedObjectNotFound,
        $"there is no entry assembly to look for the embedded eBPF object '{name}' in; pass the assembly that embeds it");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static BpfException NotEmbedded(string name, Assembly assembly, string[] resources)
    {
        var embedded = Array.FindAll(Array.ConvertAll(resources, EmbeddedResourceNames.NameOfBytecode), n => n is not null);
        return BpfException.Create(DiagnosticCodes.EmbeddedObjectNotFound,
            $"assembly '{assembly.GetName().Name}' embeds no eBPF object named '{name}' " +
            $"({(embedded.Length == 0 ? "it embeds none; list the object as a <BpfProgram> item" : "it embeds: " + string.Join(", ", embedded))})");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static BpfException CannotOpen(string resource) => BpfException.Create(DiagnosticCodes.EmbeddedObjectNotFound,
        $"the resource '{resource}' is listed but cannot be opened");

    /// <summary>The exact name when listed, else the first that differs only in case.</summary>
    private static string? Match(string[] resources, string wanted)
    {
        foreach (var resource in resources)
        {
            if (string.Equals(resource, wanted, StringComparison.Ordinal))
            {
                return resource;
            }
        }
        foreach (var resource in resources)
        {
            if (string.Equals(resource, wanted, StringComparison.OrdinalIgnoreCase))
            {
                return resource;
            }
        }
        return null;
    }

    private static byte[] Read(Assembly assembly, string resource)
    {
        var stream = assembly.GetManifestResourceStream(resource) ?? throw CannotOpen(resource);
        if (stream is UnmanagedMemoryStream image && image.Length <= Array.MaxLength)
        {
            // A resource of the loaded image: one copy straight from its mapped memory, from the start
            // (the stream was just opened). The stream is a view that holds nothing to release (closing
            // it only marks it closed), and Stream.Dispose's precompiled code loads the file stream's
            // types, so it is left to the collector.
            unsafe
            {
                return new ReadOnlySpan<byte>(image.PositionPointer, (int)image.Length).ToArray();
            }
        }
        return ReadStream(stream);
    }

    /// <summary>Another stream (an assembly that is not a loaded image): read to its end, and closed.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static byte[] ReadStream(Stream stream)
    {
        using (stream)
        {
            if (stream.CanSeek && stream.Length <= Array.MaxLength)
            {
                var bytes = new byte[stream.Length];
                stream.ReadExactly(bytes);
                return bytes;
            }
            return Copy(stream);
        }
    }

    private static byte[] Copy(Stream stream)
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
