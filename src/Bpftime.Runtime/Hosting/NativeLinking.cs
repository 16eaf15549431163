using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Engines.Aot;
using Bpftime.Helpers;
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
    /// A program compiled without run-time checks counts as verified: the build only drops the checks
    /// for programs its verifier proved safe (or that the project explicitly trusts with MemoryChecks=off).
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
                    programs.Add((program, module.GetProgram(program.Name), module.IsChecked(program.Name) ? ProgramVerdict.Unverified : new ProgramVerdict(true, null, 0)));
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
}
