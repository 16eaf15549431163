using Bpftime.Execution;

namespace Bpftime.Engines.Interpreter;

/// <summary>
/// The reference engine: runs eBPF instructions one by one with RFC 9669 (ISA v4) semantics. For
/// unverified programs it checks every memory access at run time and faults with a BPF40xx error
/// instead of touching memory the program does not own.
/// </summary>
public sealed class InterpreterEngine : IBpfEngine
{
    public const string EngineName = "interpreter";

    /// <summary>Frames a program may have live at once: the entry frame and up to seven nested local calls.</summary>
    public const int MaxFrames = 8;

    /// <summary>Largest per-frame stack the interpreter provides (the kernel's limit is 512).</summary>
    public const int MaxStackSize = 4096;

    public static InterpreterEngine Instance { get; } = new();

    public string Name => EngineName;

    public string Description => "reference semantics; checks every memory access of unverified programs";

    public bool IsAvailable(out string? reason)
    {
        // Byte swaps (le/be) are written for a little-endian host, as are the memory layouts of maps.
        reason = BitConverter.IsLittleEndian ? null : "the interpreter needs a little-endian host";
        return reason is null;
    }

    public IBpfExecutable Load(ProgramImage program, EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(program);
        return new InterpreterExecutable(program, options ?? EngineOptions.Default);
    }
}
