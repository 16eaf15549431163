using System.Globalization;
using Bpftime.Diagnostics;

namespace Bpftime.Execution;

/// <summary>
/// The one report of a refused access, so that the same fault gets the same code on every engine and
/// from every helper: a write to read-only memory (BPF4003), an overrun of a map value (BPF4006), of the
/// frames (BPF4002) or of the context (BPF4001), a null pointer (BPF4005), anything else (BPF4004).
/// </summary>
public static class MemoryFaults
{
    /// <summary>How far around the frames or the context a miss still counts as their overrun rather than a wild pointer.</summary>
    private const ulong Nearby = 4096;

    /// <param name="what">Who accessed, e.g. "helper probe_read (#4) argument 1"; null for an instruction.</param>
    public static BpfException Create(ActiveRun? run, AccessVerdict verdict, ulong address, ulong size, bool write, string? what, int? instruction = null) =>
        Create(new FaultScene(run?.StackLow ?? 0, run?.StackTop ?? 0, run?.ContextStart ?? 0, run?.ContextLength ?? 0, run?.ProgramName, run?.Origin),
            verdict, address, size, write, what, instruction);

    /// <summary>
    /// The report for a refused access of native code, from the bounds its run state held. A miss that
    /// starts inside one of <paramref name="maps"/>' values is reported as an overrun of that value.
    /// </summary>
    public static BpfException ForInstruction(FaultScene scene, IReadOnlyList<IMapMemory> maps, bool readOnly, ulong address, ulong size, bool write, int instruction)
    {
        ArgumentNullException.ThrowIfNull(maps);
        var verdict = readOnly ? AccessVerdict.ReadOnly
            : AccessPolicy.ClassifyMaps(maps, address, size, write) == AccessVerdict.PastEnd ? AccessVerdict.PastEnd
            : AccessVerdict.OutOfBounds;
        return Create(scene, verdict, address, size, write, null, instruction);
    }

    private static BpfException Create(FaultScene scene, AccessVerdict verdict, ulong address, ulong size, bool write, string? what, int? instruction)
    {
        var access = $"{(what is null ? "" : what + ": ")}{(write ? "write" : "read")} of {size.ToString(CultureInfo.InvariantCulture)} byte(s) at {Hex(address)}";
        var (stackLow, stackTop, contextStart, contextLength, program, origin) = scene;
        var where = instruction is { } pc ? $"instruction {pc.ToString(CultureInfo.InvariantCulture)}: " : "";
        string code;
        string message;
        if (verdict == AccessVerdict.ReadOnly)
        {
            code = DiagnosticCodes.WriteToReadOnlyMemory;
            message = $"{access} targets read-only map memory; programs and the helpers they call may only read these values (.rodata or BPF_F_RDONLY_PROG)";
        }
        else if (stackTop != 0 && Near(address, size, stackLow, stackTop))
        {
            code = DiagnosticCodes.StackAccessOutOfBounds;
            message = $"{access} is outside the live stack frames [{Hex(stackLow)}, {Hex(stackTop)}); keep the access between r10 - stack size and r10 of a live frame";
        }
        else if (address < 4096)
        {
            code = DiagnosticCodes.NullPointerAccess;
            message = $"{access} goes through a null pointer; check the pointer (for example a map lookup's result) against 0 before using it";
        }
        else if (contextLength != 0 && Near(address, size, contextStart, contextStart + contextLength))
        {
            code = DiagnosticCodes.ContextAccessOutOfBounds;
            message = $"{access} is outside the context memory [{Hex(contextStart)}, {Hex(contextStart + contextLength)}) of {contextLength.ToString(CultureInfo.InvariantCulture)} bytes";
        }
        else if (verdict == AccessVerdict.PastEnd)
        {
            code = DiagnosticCodes.MapValueAccessOutOfBounds;
            message = $"{access} starts inside memory the program may use (a map value or record) but runs past its end; shorten the size";
        }
        else
        {
            code = DiagnosticCodes.UnknownMemoryAccess;
            message = $"{access} names no memory the program may reach; expected its context, its stack or a value of one of its maps (a stale or forged pointer?)";
        }
        return new BpfException(new BpfDiagnostic(code, where + message, File: origin, Program: program, InstructionIndex: instruction));
    }

    /// <summary>What a fault report says about where the run's memory was.</summary>
    public readonly record struct FaultScene(ulong StackLow, ulong StackTop, ulong ContextStart, ulong ContextLength, string? Program, string? Origin);

    private static bool Near(ulong address, ulong size, ulong low, ulong high) =>
        address < high + Nearby && address + size > low - Math.Min(low, Nearby);

    private static string Hex(ulong value) => "0x" + value.ToString("x", CultureInfo.InvariantCulture);
}
