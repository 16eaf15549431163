using Bpftime.Helpers;

namespace Bpftime.Linking.Native;

/// <summary>What an undefined symbol of the object is bound to.</summary>
internal sealed record SymbolBinding(SymbolBindingKind Kind, string Description, nint Address = 0, HelperFunction? Helper = null, string? Builtin = null)
{
    public int Slot { get; set; } = -1;
}
