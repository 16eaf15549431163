using System.Runtime.InteropServices;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Execution;
using Bpftime.Helpers;

namespace Bpftime.Compiler.LlvmJit;

/// <summary>
/// The native function behind <c>_bpf_helper_by_id</c> for one loaded program: calls the helper of its
/// table with the given id. Nothing may unwind through the generated code, so a failing helper or
/// an id the table lacks is recorded with <see cref="ProgramCallback.RecordFault"/> (raised when the
/// program returns) and the call yields 0.
/// </summary>
internal sealed class HelperDispatcher
{
    private readonly Dictionary<ulong, HelperFunction> _helpers;
    private readonly string _tableName;
    private readonly DispatchFunction _dispatch;

    public HelperDispatcher(HelperTable helpers)
    {
        _helpers = helpers.ToDictionary(h => (ulong)(uint)h.Id, h => h);
        _tableName = helpers.Name;
        _dispatch = Dispatch;
        // The delegate lives as long as this object, which the executable keeps.
        NativeEntry = Marshal.GetFunctionPointerForDelegate(_dispatch);
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate ulong DispatchFunction(ulong id, ulong r1, ulong r2, ulong r3, ulong r4, ulong r5);

    public nint NativeEntry { get; }

    private ulong Dispatch(ulong id, ulong r1, ulong r2, ulong r3, ulong r4, ulong r5)
    {
        if (!_helpers.TryGetValue(id, out var helper))
        {
            ProgramCallback.RecordFault(BpfException.Create(DiagnosticCodes.JitUnknownHelperAtRunTime,
                $"callx with id {id}, which helper set '{_tableName}' does not hold"));
            return 0;
        }
        try
        {
            return helper.Implementation(r1, r2, r3, r4, r5);
        }
        catch (Exception fault)
        {
            ProgramCallback.RecordFault(fault);
            return 0;
        }
    }
}
