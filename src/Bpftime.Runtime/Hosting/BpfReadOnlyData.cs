using System.Runtime.InteropServices;
using Bpftime.Diagnostics;
using Bpftime.Objects;

namespace Bpftime.Hosting;

/// <summary>
/// New bytes for an object's read-only global data (<c>const volatile</c> globals in <c>.rodata</c>),
/// set by the host before the load as libbpf allows between open and load. Pass it as
/// <see cref="BpfLoadOptions.ReadOnlyData"/>: the load creates the sections with these bytes and
/// verifies every program against them, since the verifier takes <c>.rodata</c> as constants (a
/// bound or a size that was safe with the compiled-in value may not be with the new one). Each
/// section is given whole, as bytes or as a struct of exactly the section's size.
/// </summary>
/// <remarks>
/// The first load that takes the bytes freezes them: a later <see cref="Set(string, ReadOnlySpan{byte})"/>
/// throws BPF4134, since the loaded object keeps the bytes it was verified with. The same frozen
/// bytes may be passed to further loads.
/// </remarks>
public sealed class BpfReadOnlyData
{
    private readonly Dictionary<string, byte[]> _sections = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private bool _frozen;

    /// <summary>The sections given, by name (".rodata", ".rodata.config", ...).</summary>
    public IReadOnlyCollection<string> Sections
    {
        get
        {
            lock (_lock)
            {
                return [.. _sections.Keys];
            }
        }
    }

    /// <summary>True once a load took the bytes; they can no longer change.</summary>
    public bool IsFrozen
    {
        get
        {
            lock (_lock)
            {
                return _frozen;
            }
        }
    }

    /// <summary>Gives <paramref name="section"/> (".rodata") the bytes <paramref name="bytes"/>, copied; the whole section, exactly its size.</summary>
    public BpfReadOnlyData Set(string section, ReadOnlySpan<byte> bytes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(section);
        lock (_lock)
        {
            if (_frozen)
            {
                throw BpfException.Create(DiagnosticCodes.ReadOnlyDataAlreadyLoaded,
                    $"read-only data for '{section}' was set after a load took these bytes; the loaded object keeps the bytes it was verified with. Set every section before the load, or load again with a new BpfReadOnlyData");
            }
            _sections[section] = bytes.ToArray();
        }
        return this;
    }

    /// <summary>Gives <paramref name="section"/> the bytes of <paramref name="value"/>, a struct laid out as the section (the typed skeleton's section struct).</summary>
    public BpfReadOnlyData Set<T>(string section, in T value) where T : unmanaged =>
        Set(section, MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value)));

    /// <summary>
    /// The object's map specs with the given sections' initial bytes replaced; freezes these bytes.
    /// Each name must be a read-only global-data section of exactly the given size.
    /// </summary>
    internal IReadOnlyList<MapSpec> ApplyTo(IReadOnlyList<MapSpec> specs, string? origin)
    {
        Dictionary<string, byte[]> sections;
        lock (_lock)
        {
            _frozen = true;
            sections = new Dictionary<string, byte[]>(_sections, StringComparer.Ordinal);
        }
        if (sections.Count == 0)
        {
            return specs;
        }
        var readOnly = specs.Where(s => s.IsGlobalData && s.IsReadOnlyForPrograms).Select(s => s.Name).ToList();
        foreach (var (name, bytes) in sections)
        {
            var spec = specs.FirstOrDefault(s => s.IsGlobalData && s.Name == name);
            if (spec is null)
            {
                throw BpfException.Create(DiagnosticCodes.ReadOnlyDataSectionNotFound,
                    $"BpfLoadOptions.ReadOnlyData sets section '{name}', which the object does not have as global data; its read-only sections are: {(readOnly.Count == 0 ? "none" : string.Join(", ", readOnly))}", origin);
            }
            if (!spec.IsReadOnlyForPrograms)
            {
                throw BpfException.Create(DiagnosticCodes.ReadOnlyDataSectionWritable,
                    $"BpfLoadOptions.ReadOnlyData sets section '{name}', which programs may write: only read-only sections ({(readOnly.Count == 0 ? "the object has none" : string.Join(", ", readOnly))}) are set before the load. Write '{name}' after the load, through BpfObject.Maps[\"{name}\"] or the skeleton's property", origin);
            }
            if (bytes.Length != spec.ValueSize)
            {
                throw BpfException.Create(DiagnosticCodes.ReadOnlyDataSizeMismatch,
                    $"BpfLoadOptions.ReadOnlyData gives section '{name}' {bytes.Length} bytes, but the section is {spec.ValueSize} bytes; give the whole section (start from its current bytes, or the skeleton's section struct)", origin);
            }
        }
        // The same array becomes the map's initial value and the verifier's constants: they cannot differ.
        return [.. specs.Select(s => s.IsGlobalData && sections.TryGetValue(s.Name, out var bytes) ? s with { InitialValue = bytes } : s)];
    }
}
