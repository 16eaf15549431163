using System.Runtime.CompilerServices;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Engines.Aot;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Linking.Native;
using Bpftime.Maps;
using Bpftime.Objects;
using Bpftime.Verification;

namespace Bpftime.Hosting;

/// <summary>
/// Links an embedded native object through the runtime's own linker against the object's maps and
/// helpers; the linker checks every expectation in the object's metadata (helpers and their
/// signatures, map layouts, stack sizes) and refuses with BPF31xx when one is not met.
/// </summary>
internal static class NativeLinking
{
    /// <summary>
    /// The programs the module provides, in the object's order; the module goes to <paramref name="owner"/>.
    /// A program compiled without run-time checks is verified only when the metadata says the build's
    /// verifier proved it; otherwise (MemoryChecks=off, bpftime compile --memory-checks off, objects
    /// older than the field) it is trusted unchecked. With <paramref name="hostReadOnlyData"/> (the host
    /// set .rodata bytes the build's verdict was not given for), code without run-time checks is
    /// verified again against <paramref name="file"/>'s maps, which hold the new bytes (see <see cref="Reverify"/>).
    /// <paramref name="read"/>, when given, is <paramref name="native"/> as the linker already read it.
    /// </summary>
    /// <remarks>An array of the runtime's own struct: a list, or a tuple, is a family of framework types loaded (or compiled) on every start.</remarks>
    public static LinkedProgram[] Link(byte[] native, string resource, BpfObjectFile file,
        IReadOnlyList<BpfMap> maps, HelperTable helpers, BpfObject owner, long executionBudget = EngineOptions.DefaultExecutionBudget,
        bool hostReadOnlyData = false, bool requireTermination = false, AotObjectFile? read = null)
    {
        var linkOptions = new AotLinkOptions { Helpers = helpers, Maps = maps, Origin = resource };
        var module = read is null ? AotLinker.Link(native, linkOptions) : AotLinker.Link(read, linkOptions);
        module.Checks.ExecutionBudget = executionBudget;
        try
        {
            // By index: an enumerator over the object's programs is one more framework type to load.
            var all = file.Programs;
            var provided = 0;
            for (var i = 0; i < all.Count; i++)
            {
                provided += module.HasProgram(all[i].Name) ? 1 : 0;
            }
            if (provided == 0)
            {
                throw NoneProvided(file, resource);
            }
            var programs = new LinkedProgram[provided];
            var next = 0;
            for (var i = 0; i < all.Count; i++)
            {
                var program = all[i];
                if (module.HasProgram(program.Name))
                {
                    var verdict = Verdict(program, module);
                    if (hostReadOnlyData && !module.IsChecked(program.Name))
                    {
                        verdict = Reverify(program, module, file, helpers, resource, requireTermination);
                    }
                    programs[next++] = new LinkedProgram(program, module.GetProgram(program.Name), verdict);
                }
            }
            owner.Own(module);
            return programs;
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    // Apart from Link, so that a load that succeeds never resolves LINQ.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static BpfException NoneProvided(BpfObjectFile file, string resource) => BpfException.Create(DiagnosticCodes.ObjectHasNoPrograms,
        $"the native object provides none of the object's programs ({string.Join(", ", file.Programs.Select(p => p.Name))})", resource);

    /// <summary>The build's verdict as the metadata records it, and the context the program was compiled for: an XDP frame by section, a socket buffer when the metadata records one, else raw memory of the proved size.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ProgramVerdict Verdict(BpfProgramInfo program, AotModule module)
    {
        var recorded = AotModule.FindProgram(module.Metadata, program.Name);
        var isChecked = module.IsChecked(program.Name);
        var proved = !isChecked && recorded?.Proved == true;
        var context = ContextOf(program, recorded, proved);
        // Objects from before the field recorded only programs proved to end.
        return new ProgramVerdict(proved, null, context) { IsTrustedUnchecked = !isChecked && !proved, TerminationProven = proved && recorded?.TerminationProven != false };
    }

    /// <summary>
    /// Native code without run-time checks relies on the build's proof, which took the build's .rodata
    /// bytes as constants (the compiler folds none of them: the code reads the section's memory). With
    /// the host's bytes the proof is redone on the embedded bytecode, for the context the build verified
    /// it for: refused, the native code cannot run (BPF4136; the caller may fall back to checked
    /// bytecode); verified but with loops no longer proven to end, code compiled without the budget
    /// counter cannot run either (BPF4137). Without bytecode (a native object loaded alone) nothing can
    /// be verified (BPF4135).
    /// </summary>
    private static ProgramVerdict Reverify(BpfProgramInfo program, AotModule module, BpfObjectFile file, HelperTable helpers, string resource, bool requireTermination)
    {
        if (program.Instructions.Count == 0)
        {
            throw BpfException.Create(DiagnosticCodes.ReadOnlyDataNativeNotReverifiable,
                $"the host set .rodata bytes, but program '{program.Name}' is native code without run-time checks, proved only for the .rodata it was compiled with, and its bytecode is not at hand to verify it again; load it through BpfObject.LoadEmbedded (which has the bytecode), compile it with run-time checks (bpftime compile --memory-checks on), or load without BpfLoadOptions.ReadOnlyData",
                resource, program.Name);
        }
        var recorded = AotModule.FindProgram(module.Metadata, program.Name);
        var options = VerifierOptions.ForNativeCode(program.Type, recorded?.SocketBuffer == true, recorded?.ContextLengthInR2 == true, recorded?.ContextSize ?? 0, helpers, requireTermination);
        var result = BpfVerifier.Verify(program, file.Maps, options, resource);
        if (!result.Passed)
        {
            var reason = result.Errors.FirstOrDefault() ?? result.Diagnostics.FirstOrDefault();
            throw BpfException.Create(DiagnosticCodes.ReadOnlyDataNativeRefused,
                $"program '{program.Name}' is native code without run-time checks, proved for the .rodata it was compiled with; with the .rodata bytes the host set, the verifier refuses it ({reason?.ToCanonicalString() ?? "no reason given"}): give bytes the program is safe with, or run the bytecode with run-time checks (engine auto falls back to it; build with MemoryChecks=on for native code that checks itself)",
                resource, program.Name);
        }
        if (recorded?.CountsBudget != true && !result.TerminationProven)
        {
            throw BpfException.Create(DiagnosticCodes.ReadOnlyDataNativeUnbounded,
                $"program '{program.Name}' is native code compiled without the execution-budget counter, since its loops were proven to end with the .rodata it was compiled with; with the .rodata bytes the host set, the verifier cannot prove they end: give bounds the verifier can prove, or run the bytecode, which counts the budget (engine auto falls back to it)",
                resource, program.Name);
        }
        return new ProgramVerdict(true, result, ContextOf(program, recorded, proved: true)) { TerminationProven = result.TerminationProven };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ProgramContext ContextOf(BpfProgramInfo program, AotProgram? recorded, bool proved) =>
        program.Type == ProgramType.Xdp ? ProgramContext.Xdp
        : recorded?.SocketBuffer == true ? ProgramContext.ForSocketBuffer(program.Type)
        : recorded?.ContextLengthInR2 == true ? ProgramContext.MemoryWithLength
        : ProgramContext.Raw(recorded?.ContextSize ?? 0, proved);
}

/// <summary>A program of a loaded object, what runs it, and the verdict it runs under.</summary>
/// <remarks>The runtime's own struct rather than a tuple, whose framework types a load would load and compile.</remarks>
internal readonly struct LinkedProgram(BpfProgramInfo program, IBpfExecutable executable, ProgramVerdict verdict)
{
    public BpfProgramInfo Program { get; } = program;

    public IBpfExecutable Executable { get; } = executable;

    public ProgramVerdict Verdict { get; } = verdict;
}
