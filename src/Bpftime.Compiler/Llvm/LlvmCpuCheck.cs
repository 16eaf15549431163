using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;
using Bpftime.Diagnostics;

namespace Bpftime.Compiler.Llvm;

/// <summary>
/// Whether libLLVM knows a CPU name for a triple, asked before any code is generated for it. LLVM
/// itself only warns on stderr about an unknown processor ("... is not a recognized processor for
/// this target") and then, for x86-64, aborts the whole process when it builds the subtarget
/// ("64-bit code requested on a subtarget that doesn't support it"). The C API has no call that
/// lists or checks processors, so the check creates a target machine for the CPU (which consults
/// the target's processor table and prints that warning, but does not abort) while the process's
/// stderr is captured, and reads LLVM's verdict from what it printed.
/// </summary>
internal static partial class LlvmCpuCheck
{
    /// <summary>
    /// x86 processors LLVM knows that cannot run 64-bit code: for an x86-64 triple LLVM aborts on
    /// them. These are historical 32-bit parts (every such name of LLVM 19's x86 processor table,
    /// aliases included); the list does not grow.
    /// </summary>
    private static readonly HashSet<string> X86ThirtyTwoBitOnly = new(StringComparer.Ordinal)
    {
        "i386", "i486", "i586", "i686", "pentium", "pentium-mmx", "pentiumpro", "pentium2", "pentium3", "pentium3m",
        "pentium-m", "pentium4", "pentium4m", "prescott", "yonah", "lakemont", "winchip-c6", "winchip2", "c3", "c3-2",
        "k6", "k6-2", "k6-3", "athlon", "athlon-tbird", "athlon-4", "athlon-xp", "athlon-mp", "geode",
        "pentium_4", "pentium_4_sse3", "pentium_ii", "pentium_iii", "pentium_iii_no_xmm_regs", "pentium_m", "pentium_mmx", "pentium_pro",
    };

    private static readonly ConcurrentDictionary<(string Triple, string Cpu), string?> Verdicts = new();

    /// <summary>Stderr is one per process: one capture at a time.</summary>
    private static readonly Lock CaptureGate = new();

    /// <summary>Throws BPF3031 when <paramref name="cpu"/> is not a processor LLVM can generate code for on <paramref name="triple"/>.</summary>
    public static void EnsureKnown(LLVMTargetRef target, string triple, string cpu)
    {
        if (Verdicts.GetOrAdd((triple, cpu), key => Check(target, key.Triple, key.Cpu)) is { } problem)
        {
            throw BpfException.Create(DiagnosticCodes.TargetCpuUnknown, problem);
        }
    }

    private static string? Check(LLVMTargetRef target, string triple, string cpu)
    {
        if (triple.StartsWith("x86_64", StringComparison.Ordinal) && X86ThirtyTwoBitOnly.Contains(cpu))
        {
            return $"target CPU '{cpu}' cannot run 64-bit code, and the programs are compiled for {triple}; name a 64-bit CPU (x86-64, x86-64-v3, skylake, znver3, ...), 'generic' or 'native'";
        }
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        var printed = CaptureStandardError(() =>
        {
            var machine = LLVM.CreateTargetMachine(target, triple, cpu, "", LLVMCodeGenOptLevel.LLVMCodeGenLevelNone,
                LLVMRelocMode.LLVMRelocDefault, LLVMCodeModel.LLVMCodeModelDefault);
            if (!machine.IsNull)
            {
                LLVM.DisposeTargetMachine(machine);
            }
        });
        if (printed is null || !printed.Contains("is not a recognized processor", StringComparison.Ordinal))
        {
            return null;
        }
        return $"target CPU '{cpu}' is not a processor this libLLVM ({LlvmLibrary.LoadedPath}) knows for {triple}; use 'generic' (portable), 'native' (this machine) or an LLVM CPU name such as {(triple.StartsWith("aarch64", StringComparison.Ordinal) ? "neoverse-n1, cortex-a72 or apple-m1" : "x86-64-v3, skylake or znver3")} (llc -march={(triple.StartsWith("aarch64", StringComparison.Ordinal) ? "aarch64" : "x86-64")} -mcpu=help lists them)";
    }

    /// <summary>
    /// Runs <paramref name="action"/> with file descriptor 2 sent to a pipe and returns what was
    /// written to it (null when the descriptors could not be set up; the action then runs as is).
    /// Lines that are not LLVM's processor warning are passed on to the real stderr.
    /// </summary>
    private static string? CaptureStandardError(Action action)
    {
        lock (CaptureGate)
        {
            Console.Error.Flush();
            Span<int> ends = stackalloc int[2];
            // Close-on-exec keeps a child started meanwhile from holding the pipe open; non-blocking
            // reads stop at the end of what was written even if something else still holds it.
            if (Pipe2(ref MemoryMarshal.GetReference(ends), CloseOnExec | NonBlocking) != 0)
            {
                action();
                return null;
            }
            var saved = Dup(2);
            if (saved < 0 || Dup2(ends[1], 2) < 0)
            {
                _ = Close(ends[0]);
                _ = Close(ends[1]);
                if (saved >= 0)
                {
                    _ = Close(saved);
                }
                action();
                return null;
            }
            try
            {
                action();
            }
            finally
            {
                // Restoring a descriptor that was just duplicated does not fail short of a kernel fault.
                _ = Dup2(saved, 2);
                _ = Close(saved);
                _ = Close(ends[1]);
            }
            var text = ReadAll(ends[0]);
            _ = Close(ends[0]);
            var others = string.Concat(text.Split('\n').Where(l => l.Length > 0 && !l.Contains("is not a recognized processor", StringComparison.Ordinal)).Select(l => l + "\n"));
            if (others.Length > 0)
            {
                Console.Error.Write(others);
            }
            return text;
        }
    }

    private static string ReadAll(int descriptor)
    {
        var bytes = new List<byte>();
        var buffer = new byte[4096];
        while (true)
        {
            var count = Read(descriptor, buffer, buffer.Length);
            if (count <= 0)
            {
                return Encoding.UTF8.GetString(bytes.ToArray());
            }
            bytes.AddRange(buffer.AsSpan(0, (int)count));
        }
    }

    private const int NonBlocking = 0x800;
    private const int CloseOnExec = 0x80000;

    [LibraryImport("libc", EntryPoint = "pipe2")]
    private static partial int Pipe2(ref int ends, int flags);

    [LibraryImport("libc", EntryPoint = "dup")]
    private static partial int Dup(int descriptor);

    [LibraryImport("libc", EntryPoint = "dup2")]
    private static partial int Dup2(int from, int to);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int descriptor);

    [LibraryImport("libc", EntryPoint = "read")]
    private static partial nint Read(int descriptor, byte[] buffer, nint count);
}
