namespace Bpftime.Linking.Native;

/// <summary>Block offsets of the support routines once emitted.</summary>
internal sealed class AotSupportEntries(int run, int dispatcher, int returnZero, int[] checkedHelpers, int[] stubs,
    int memcpy, int memset, int memmove, int memcmp, int stackCheckFail)
{
    public int Run => run;

    public int Dispatcher => dispatcher;

    public int ReturnZero => returnZero;

    public IReadOnlyList<int> CheckedHelpers => checkedHelpers;

    public IReadOnlyList<int> Stubs => stubs;

    /// <summary>The entry of checked helper wrapper <paramref name="slot"/>.</summary>
    public int CheckedHelper(int slot) => checkedHelpers[slot];

    /// <summary>The entry of far-call stub <paramref name="slot"/>.</summary>
    public int Stub(int slot) => stubs[slot];

    /// <summary>The entry of builtin <paramref name="name"/> (one of <see cref="AotSupportCode.BuiltinNames"/>).</summary>
    public int Builtin(string name) => name switch
    {
        AotSupportCode.Memcpy => memcpy,
        AotSupportCode.Memset => memset,
        AotSupportCode.Memmove => memmove,
        AotSupportCode.Memcmp or AotSupportCode.Bcmp => memcmp,
        AotSupportCode.StackCheckFail => stackCheckFail,
        _ => throw new ArgumentException($"{name} is not a builtin of the support code", nameof(name)),
    };

    /// <summary>Every builtin's entry by name (for tests and tools; the linker asks <see cref="Builtin"/>).</summary>
    public IReadOnlyDictionary<string, int> Builtins
    {
        get
        {
            var builtins = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var name in AotSupportCode.BuiltinNames)
            {
                builtins[name] = Builtin(name);
            }
            return builtins;
        }
    }
}
