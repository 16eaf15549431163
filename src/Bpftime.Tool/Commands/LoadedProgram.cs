using Bpftime.Diagnostics;
using Bpftime.Hosting;

namespace Bpftime.Tool.Commands;

/// <summary>One program of a file, loaded on the chosen engine with its maps, for the run and bench commands.</summary>
internal sealed class LoadedProgram : IDisposable
{
    private readonly BpfObject _object;
    private readonly BpfProgram _program;

    private LoadedProgram(BpfObject loaded, BpfProgram program)
    {
        _object = loaded;
        _program = program;
    }

    public string ProgramName => _program.Name;

    public string EngineName => _program.EngineName;

    public BpfObject Object => _object;

    public BpfProgram Program => _program;

    /// <param name="contextSize">The memory the program will be given: the verifier proves accesses inside it safe, so a verified program runs unchecked.</param>
    /// <param name="helpers">The helper set (the runtime's default when null).</param>
    /// <param name="maxMapMemory">Bytes the object's maps may take together (null: no limit).</param>
    /// <param name="memoryWithLength">Verify programs other than XDP for the (mem, len) contract (BpfLoadOptions.MemoryWithLength).</param>
    /// <param name="requireTermination">Refuse programs whose loops the verifier cannot prove to end (BpfLoadOptions.RequireTermination).</param>
    /// <param name="executionBudget">Backward jumps, local calls and callbacks an unverified run may take (the runtime's default when null).</param>
    public static LoadedProgram Load(ToolContext context, FileInfo file, string? programName, string engineName, int opt, int? contextSize = null,
        Helpers.HelperTable? helpers = null, long? maxMapMemory = BpfLoadOptions.DefaultMaxMapMemory, long? executionBudget = null, bool requireTermination = false, bool memoryWithLength = false)
    {
        var options = new BpfLoadOptions
        {
            Helpers = helpers,
            MaxMapMemory = maxMapMemory,
            ExecutionBudget = executionBudget ?? Engines.EngineOptions.DefaultExecutionBudget,
            Engine = engineName,
            Engines = context.Engines,
            OptimizationLevel = opt,
            ReadEnvironment = false,
            ContextSize = contextSize,
            RequireTermination = requireTermination,
            MemoryWithLength = memoryWithLength,
        };
        Objects.ObjectReader.EnsureNotDirectory(file.FullName);
        var loaded = BpfObject.Load(file.FullName, options);
        try
        {
            var program = programName is null
                ? loaded.Programs.Values.First()
                : loaded.Programs.TryGetValue(programName, out var named) ? named : throw BpfException.Create(DiagnosticCodes.ToolUnknownProgram,
                    $"no program named '{programName}'; the object has: {string.Join(", ", loaded.Programs.Keys)}", file.FullName);
            return new LoadedProgram(loaded, program);
        }
        catch
        {
            loaded.Dispose();
            throw;
        }
    }

    /// <summary>Runs on the memory, or with no context when it is empty; the program's context rules apply either way.</summary>
    public ulong Run(Span<byte> memory) => memory.Length == 0 ? _program.Run() : _program.Run(memory);

    public void Dispose() => _object.Dispose();
}
