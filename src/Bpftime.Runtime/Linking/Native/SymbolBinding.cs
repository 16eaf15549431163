using System.Runtime.CompilerServices;
using Bpftime.Helpers;
using Bpftime.Maps;

namespace Bpftime.Linking.Native;

/// <summary>
/// What an undefined symbol of the object is bound to. A class, not a record: a load needs no
/// equality, and its description is written only when a message or warning asks for it.
/// </summary>
internal sealed class SymbolBinding(SymbolBindingKind kind, string symbol, nint address = 0, HelperFunction? helper = null, BpfMap? map = null)
{
    public SymbolBindingKind Kind => kind;

    /// <summary>The symbol's name in the object.</summary>
    public string Symbol => symbol;

    public nint Address => address;

    public HelperFunction? Helper => helper;

    /// <summary>The map whose handle, value or storage the symbol is; null for any other binding.</summary>
    public BpfMap? Map => map;

    /// <summary>The builtin's name, for a <see cref="SymbolBindingKind.Builtin"/> binding.</summary>
    public string? Builtin => kind == SymbolBindingKind.Builtin ? symbol : null;

    public int Slot { get; set; } = -1;

    /// <summary>What the symbol is bound to, for messages.</summary>
    public string Description
    {
        [MethodImpl(MethodImplOptions.NoInlining)]
        get => kind switch
        {
            SymbolBindingKind.Helper or SymbolBindingKind.CheckedHelper => $"helper #{helper!.Id} {helper.Name}",
            SymbolBindingKind.Runtime => $"checked-code runtime function {symbol}",
            SymbolBindingKind.RuntimeData => "the checked-code runtime's handle",
            SymbolBindingKind.Dispatcher => "the helper-by-id dispatcher",
            SymbolBindingKind.Builtin => $"builtin {symbol}",
            SymbolBindingKind.GotBase => "the global offset table",
            SymbolBindingKind.MapHandle => $"the handle of map '{map!.Name}'",
            SymbolBindingKind.MapValue => $"the value of map '{map!.Name}'",
            SymbolBindingKind.MapStorage => map is null ? "the per-CPU slot count" : $"the storage of map '{map.Name}'",
            SymbolBindingKind.NativeFunction => "sched_getcpu",
            _ => $"unresolved weak symbol {symbol}",
        };
    }
}
