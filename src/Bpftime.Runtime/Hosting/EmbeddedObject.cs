using System.Reflection;
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
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        assembly ??= Assembly.GetEntryAssembly() ?? throw BpfException.Create(DiagnosticCodes.EmbeddedObjectNotFound,
            $"there is no entry assembly to look for the embedded eBPF object '{name}' in; pass the assembly that embeds it");
        var resources = assembly.GetManifestResourceNames();

        var bytecodeResource = Match(resources, EmbeddedResourceNames.Bytecode(name));
        if (bytecodeResource is null)
        {
            var embedded = Array.FindAll(Array.ConvertAll(resources, EmbeddedResourceNames.NameOfBytecode), n => n is not null);
            throw BpfException.Create(DiagnosticCodes.EmbeddedObjectNotFound,
                $"assembly '{assembly.GetName().Name}' embeds no eBPF object named '{name}' " +
                $"({(embedded.Length == 0 ? "it embeds none; list the object as a <BpfProgram> item" : "it embeds: " + string.Join(", ", embedded))})");
        }
        // The native object must come from the same build as the bytecode: take the exact-cased name's sibling.
        var canonicalName = EmbeddedResourceNames.NameOfBytecode(bytecodeResource)!;
        var rid = HostPlatform.NativeRuntimeIdentifier;
        var nativeResource = rid is null ? null : Match(resources, EmbeddedResourceNames.Native(canonicalName, rid));
        return new EmbeddedObject(canonicalName, assembly, bytecodeResource, nativeResource, nativeResource is null ? null : Read(assembly, nativeResource));
    }

    private static string? Match(string[] resources, string wanted) =>
        Array.Find(resources, r => r == wanted) ?? Array.Find(resources, r => string.Equals(r, wanted, StringComparison.OrdinalIgnoreCase));

    private static byte[] Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource) ?? throw BpfException.Create(DiagnosticCodes.EmbeddedObjectNotFound,
            $"the resource '{resource}' is listed but cannot be opened");
        if (stream.CanSeek && stream.Length <= Array.MaxLength)
        {
            // One copy straight from the mapped image.
            var bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
            return bytes;
        }
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
