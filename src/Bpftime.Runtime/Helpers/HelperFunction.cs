using System.Runtime.InteropServices;

namespace Bpftime.Helpers;

/// <summary>
/// A helper a program may call by id: its Linux number (or 1000 and up for host-defined ones),
/// prototype and body. Native engines call <see cref="NativeEntry"/>; the interpreter calls the body.
/// </summary>
public sealed class HelperFunction
{
    private nint _nativeEntry;
    private readonly HelperImplementation _guarded;
    private readonly nint _directEntry;

    public HelperFunction(int id, string name, HelperPrototype prototype, HelperImplementation implementation, bool stopsProgramOnZero = false)
    {
        Id = id;
        Name = name;
        Prototype = prototype;
        Implementation = implementation;
        StopsProgramOnZero = stopsProgramOnZero;
        // A managed exception must never unwind through native frames (that ends the process): native
        // callers get 0 and the engine raises the recorded fault once the program returns.
        _guarded = (r1, r2, r3, r4, r5) =>
        {
            try
            {
                return Implementation(r1, r2, r3, r4, r5);
            }
            catch (Exception fault)
            {
                Execution.ProgramCallback.RecordFault(fault);
                return 0;
            }
        };
    }

    /// <summary>
    /// A Linux helper: its name and prototype are the ones declared once for the verifier and every
    /// helper table (<see cref="HelperCatalogue"/>), so the two cannot drift apart.
    /// </summary>
    public HelperFunction(int linuxId, HelperImplementation implementation, bool stopsProgramOnZero = false)
        : this(linuxId, Declared(linuxId).Name, Declared(linuxId).Prototype, implementation, stopsProgramOnZero)
    {
    }

    /// <summary>
    /// A Linux helper whose native callers enter through <paramref name="nativeEntry"/>, an
    /// <c>[UnmanagedCallersOnly]</c> method doing what <paramref name="implementation"/> does and
    /// catching every exception itself: a direct entry skips the delegate thunk's marshalling, which
    /// costs more than the body of the common map helpers.
    /// </summary>
    internal unsafe HelperFunction(int linuxId, HelperImplementation implementation, delegate* unmanaged<ulong, ulong, ulong, ulong, ulong, ulong> nativeEntry)
        : this(linuxId, implementation)
    {
        _directEntry = (nint)nativeEntry;
    }

    private static HelperRule Declared(int id) =>
        HelperCatalogue.Find(id) ?? throw new ArgumentOutOfRangeException(nameof(id), id, "no Linux helper with this id is declared in the helper catalogue");

    public int Id { get; }

    public string Name { get; }

    public HelperPrototype Prototype { get; }

    /// <summary>
    /// For a stand-in of a helper this set does not grant: the set that does (e.g. "tracing" for the
    /// helpers that read host memory). The verifier refuses calls to it; a checked run faults at the call.
    /// </summary>
    public string? ProvidedOnlyBy { get; init; }

    public HelperImplementation Implementation { get; }

    /// <summary>
    /// When the helper returns 0 the program stops at once with r0 = 0 (the conformance suite's
    /// "unwind" helper). Engines test the result right after the call.
    /// </summary>
    public bool StopsProgramOnZero { get; }

    /// <summary>A C-callable entry point: <c>uint64_t f(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t)</c>.</summary>
    /// <remarks>
    /// The delegate's thunk is made on first use (the same one for every caller) and stays valid as long
    /// as the helper, which holds the delegate, lives.
    /// </remarks>
    public nint NativeEntry => _directEntry != 0 ? _directEntry
        : _nativeEntry != 0 ? _nativeEntry
        : _nativeEntry = Marshal.GetFunctionPointerForDelegate(_guarded);

    /// <summary>The symbol an AOT object uses for this helper.</summary>
    public string SymbolName => HelperSymbols.SymbolFor(Id);

    public override string ToString() => $"{Name} (#{Id}) {Prototype.Signature}";
}
