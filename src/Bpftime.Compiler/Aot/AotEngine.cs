using System.Runtime.InteropServices;
using Bpftime.Compiler.IrGen;
using Bpftime.Compiler.Llvm;
using Bpftime.Engines;
using Bpftime.Engines.Aot;
using Bpftime.Execution;
using Bpftime.Linking.Native;

namespace Bpftime.Compiler.Aot;

/// <summary>
/// The AOT path in one process: compile a <see cref="ProgramImage"/> to an ELF object in memory at the
/// requested level, then load it with the runtime's own <see cref="AotLinker"/> exactly as an app
/// loads an object compiled at build time. Lets every conformance vector exercise the linker.
/// </summary>
public sealed class AotEngine : IBpfEngine
{
    public const string EngineName = "aot";

    public string Name => EngineName;

    /// <remarks>
    /// Verified images compile to unchecked code; unverified ones to checked code, whose entry takes a
    /// run state and whose slow path and faults the linker binds (<see cref="AotCheckedAbi"/>).
    /// </remarks>
    public string Description => "eBPF -> LLVM IR -> O0..O3 -> ELF object, loaded by the runtime's linker (needs libLLVM to compile; unverified programs are checked at run time)";

    /// <summary>Compile time of the last <see cref="Load"/>.</summary>
    public CompileTimings? LastTimings { get; private set; }

    /// <summary>Size in bytes of the last object compiled.</summary>
    public int LastObjectSize { get; private set; }

    public bool IsAvailable(out string? reason)
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            reason = $"the runtime's AOT linker links x86-64 objects only; this host is {RuntimeInformation.ProcessArchitecture}";
            return false;
        }
        return LlvmLibrary.TryLoad(out reason);
    }

    /// <summary>
    /// Value blocks of the image's array and global-data maps: the object is linked at once against
    /// these maps, so its checked code may test them inline (the run state says whether the module's
    /// maps are all still alive).
    /// </summary>
    private static List<Bpftime.Execution.MemoryRegion> FixedRegionsOf(IReadOnlyList<Bpftime.Maps.BpfMap> maps)
    {
        var regions = new List<Bpftime.Execution.MemoryRegion>();
        Engines.Checked.FixedRegions.Collect(maps, regions);
        return regions;
    }

    public IBpfExecutable Load(ProgramImage program, EngineOptions options)
    {
        var compiled = AotCompiler.Compile(new AotCompilation
        {
            Programs = [new AotProgramSource(program.Name, program.Instructions) { StackSize = program.StackSize, Verified = program.Verified, TerminationProven = program.TerminationProven, SocketBuffer = program.SocketBuffer }],
            Maps = [.. program.Maps.Select(m => m.Spec)],
            Helpers = program.Helpers,
            Triple = LlvmTargets.HostTriple,
            OptimizationLevel = options.OptimizationLevel,
            TargetCpu = options.TargetCpu,
            SourceName = program.Origin ?? program.Name,
            FixedRegions = program.Verified ? [] : FixedRegionsOf(program.Maps),
        });
        LastTimings = compiled.Timings;
        LastObjectSize = compiled.Bytes.Length;
        var module = AotLinker.Link(compiled.Bytes, new AotLinkOptions
        {
            Helpers = program.Helpers,
            Maps = program.Maps,
            Origin = program.Origin ?? program.Name,
        });
        module.Checks.ExecutionBudget = options.ExecutionBudget;
        try
        {
            return new AotEngineExecutable(module, module.GetProgram(program.Name));
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }
}
