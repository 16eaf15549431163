using System.Runtime.InteropServices;
using Bpftime.Helpers;

namespace Bpftime.Compiler.LlvmJit;

/// <summary>
/// The native function behind <c>_bpf_helper_by_id</c> for one loaded program: calls the helper of its
/// table with the given id. An id the table lacks yields 0, as no exception may cross native frames.
/// </summary>
internal sealed class HelperDispatcher
{
    private readonly Dictionary<ulong, HelperImplementation> _helpers;
    private readonly DispatchFunction _dispatch;

    public HelperDispatcher(HelperTable helpers)
    {
        _helpers = helpers.ToDictionary(h => (ulong)(uint)h.Id, h => h.Implementation);
        _dispatch = Dispatch;
        // The delegate lives as long as this object, which the executable keeps.
        NativeEntry = Marshal.GetFunctionPointerForDelegate(_dispatch);
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate ulong DispatchFunction(ulong id, ulong r1, ulong r2, ulong r3, ulong r4, ulong r5);

    public nint NativeEntry { get; }

    private ulong Dispatch(ulong id, ulong r1, ulong r2, ulong r3, ulong r4, ulong r5) =>
        _helpers.TryGetValue(id, out var helper) ? helper(r1, r2, r3, r4, r5) : 0;
}
