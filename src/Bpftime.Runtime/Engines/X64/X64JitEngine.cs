using System.Runtime.InteropServices;
using Bpftime.Diagnostics;
using Bpftime.Execution;

namespace Bpftime.Engines.X64;

/// <summary>
/// The direct JIT: eBPF to x86-64 in one pass, no IR and no optimiser, so it compiles in
/// microseconds. Verified programs run without checks; unverified ones check every memory access
/// inline and fault with a BPF403x code instead of touching memory they do not own.
/// </summary>
public sealed class X64JitEngine : IBpfEngine
{
    public const string EngineName = "jit";

    public static X64JitEngine Instance { get; } = new();

    public string Name => EngineName;

    public string Description => "direct x86-64 translation without IR; compiles in microseconds";

    public bool IsAvailable(out string? reason)
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            reason = $"the direct JIT emits x86-64 code and this process runs on {RuntimeInformation.ProcessArchitecture}; use the interpreter or llvm-jit engine";
            return false;
        }
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD())
        {
            reason = "the direct JIT needs a POSIX host for executable memory (mmap/mprotect); use the interpreter engine";
            return false;
        }
        reason = null;
        return true;
    }

    public IBpfExecutable Load(ProgramImage program, EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(program);
        if (!IsAvailable(out var reason))
        {
            throw BpfException.Create(DiagnosticCodes.JitUnavailable, reason!, file: program.Origin, program: program.Name);
        }
        return new X64JitExecutable(program, options);
    }
}
