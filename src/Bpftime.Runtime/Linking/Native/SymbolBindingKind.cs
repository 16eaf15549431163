using Bpftime.Engines.Aot;

namespace Bpftime.Linking.Native;

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
    /// <summary>A function of the checked-code runtime (<see cref="AotCheckedAbi"/>), outside the block like a helper.</summary>
    Runtime,
    /// <summary>A data symbol of the checked-code runtime whose address is a value (the owner handle).</summary>
    RuntimeData,
    /// <summary>
    /// The storage of a map whose lookups the code does itself (<see cref="Maps.InlineLookup"/>), or
    /// the per-CPU slot count, a value in place of an address: bound only after the layout check.
    /// </summary>
    MapStorage,
    /// <summary>A native function of the host (sched_getcpu for per-CPU lookups), outside the block like a helper.</summary>
    NativeFunction,
    /// <summary>An unresolved weak symbol: address 0.</summary>
    Zero,
}
