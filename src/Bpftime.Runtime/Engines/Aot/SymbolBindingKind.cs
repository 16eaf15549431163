namespace Bpftime.Engines.Aot;

/// <summary>How an undefined symbol is satisfied.</summary>
internal enum SymbolBindingKind
{
    /// <summary>A helper's C-callable entry, outside the block (reached through a stub when far).</summary>
    Helper,
    /// <summary>A helper with StopsProgramOnZero, reached through an in-block wrapper.</summary>
    CheckedHelper,
    Dispatcher,
    Builtin,
    MapHandle,
    MapValue,
    GotBase,
    /// <summary>An unresolved weak symbol: address 0.</summary>
    Zero,
}
