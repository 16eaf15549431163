using Bpftime.Diagnostics;

namespace Bpftime.Elf;

/// <summary>
/// What a caller of <see cref="ElfImage"/> reads: which machines, whether REL entries are allowed, and
/// which diagnostic each <see cref="ElfProblem"/> becomes, so eBPF objects speak BPF1xxx and native
/// objects the linker's BPF31xx.
/// </summary>
public abstract class ElfReadPolicy
{
    public abstract bool AcceptsMachine(ushort machine);

    public virtual bool AcceptsRel => true;

    /// <param name="problem">What is wrong.</param>
    /// <param name="message">The reader's description of it.</param>
    /// <param name="value">The offending header field for header problems (class, data encoding, machine, type), otherwise 0.</param>
    /// <param name="origin">The file, for the diagnostic.</param>
    public abstract BpfException Refuse(ElfProblem problem, string message, ulong value, string? origin);
}
