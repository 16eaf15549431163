using Bpftime.Verification;

namespace Bpftime.Hosting;

/// <summary>Turns the host's context declarations into what the verifier checks against.</summary>
public static class ContextLayoutExtensions
{
    /// <summary>The verifier's view of a <see cref="BpfContextType"/>: its size and its readable (and writable) fields.</summary>
    public static ContextLayout ToContextLayout(this BpfContextType type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return ContextLayout.Struct(type.Name, type.Size, [.. type.Fields.Select(f => new ContextField(f.Name, f.Offset, f.Size, f.Writable))]);
    }
}
