using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Engines.Aot;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Linking.Native;
using Bpftime.Maps;
using Bpftime.Objects;

namespace Bpftime.Hosting;

/// <summary>
/// Links an embedded native object through the runtime's own linker against the object's maps and
/// helpers; the linker checks every expectation in the object's metadata (helpers and their
/// signatures, map layouts, stack sizes) and refuses with BPF31xx when one is not met.
/// </summary>
internal static class NativeLinking
{
    /// <summary>
    /// The programs the module provides, in the object's order; the module goes to <paramref name="owned"/>.
    /// A program compiled without run-time checks is verified only when the metadata says the build's
    /// verifier proved it; otherwise (MemoryChecks=off, bpftime compile --memory-checks off, objects
    /// older than the field) it is trusted unchecked.
    /// </summary>
    public static IReadOnlyList<(BpfProgramInfo Program, IBpfExecutable Executable, ProgramVerdict Verdict)> Link(byte[] native, string resource, BpfObjectFile file,
        IReadOnlyList<BpfMap> maps, HelperTable helpers, List<IDisposable> owned, long executionBudget = EngineOptions.DefaultExecutionBudget)
    {
        var module = AotLinker.Link(native, new AotLinkOptions { Helpers = helpers, Maps = maps, Origin = resource });
        module.Checks.ExecutionBudget = executionBudget;
        try
        {
            var programs = new List<(BpfProgramInfo, IBpfExecutable, ProgramVerdict)>();
            foreach (var program in file.Programs)
            {
                if (module.Programs.Contains(program.Name))
                {
                    programs.Add((program, module.GetProgram(program.Name), Verdict(program, module)));
                }
            }
            if (programs.Count == 0)
            {
                throw BpfException.Create(DiagnosticCodes.ObjectHasNoPrograms,
                    $"the native object provides none of the object's programs ({string.Join(", ", file.Programs.Select(p => p.Name))})", resource);
            }
            owned.Add(module);
            return programs;
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    /// <summary>The build's verdict as the metadata records it, and the context the program was compiled for: an XDP frame by section, a socket buffer when the metadata records one, else raw memory of the proved size.</summary>
    private static ProgramVerdict Verdict(BpfProgramInfo program, AotModule module)
    {
        var recorded = module.Metadata?.Programs.FirstOrDefault(p => p.Name == program.Name);
        var isChecked = module.IsChecked(program.Name);
        var proved = !isChecked && recorded?.Proved == true;
        var context = program.Type == ProgramType.Xdp ? ProgramContext.Xdp
            : recorded?.SocketBuffer == true ? ProgramContext.ForSocketBuffer(program.Type)
            : recorded?.ContextLengthInR2 == true ? ProgramContext.MemoryWithLength
            : ProgramContext.Raw(recorded?.ContextSize ?? 0, proved);
        // Objects from before the field recorded only programs proved to end.
        return new ProgramVerdict(proved, null, context) { IsTrustedUnchecked = !isChecked && !proved, TerminationProven = proved && recorded?.TerminationProven != false };
    }
}
