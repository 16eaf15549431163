using System.Diagnostics;
using System.Globalization;
using Bpftime.Diagnostics;
using Bpftime.Hosting;

namespace Bpftime.Tool.Commands;

/// <summary>One program of a file, loaded on the chosen engine with its maps, for the run and bench commands.</summary>
internal sealed class LoadedProgram : IDisposable
{
    private readonly BpfObject _object;
    private readonly BpfProgram _program;
    private readonly string _path;
    private SocketBuffer? _socketBuffer;

    private LoadedProgram(BpfObject loaded, BpfProgram program, string path)
    {
        _object = loaded;
        _program = program;
        _path = path;
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
    /// <param name="announce">Say on a terminal that the programs are being verified and how long it took (the verifier can take many seconds).</param>
    public static LoadedProgram Load(ToolContext context, FileInfo file, string? programName, string engineName, int opt, int? contextSize = null,
        Helpers.HelperTable? helpers = null, long? maxMapMemory = BpfLoadOptions.DefaultMaxMapMemory, long? executionBudget = null, bool requireTermination = false,
        bool memoryWithLength = false, bool announce = true)
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
        if (announce)
        {
            context.Progress($"loading {file.Name} for {engineName}: reading, verifying and compiling its programs...");
        }
        var clock = Stopwatch.StartNew();
        var loaded = BpfObject.Load(file.FullName, options);
        if (announce)
        {
            var verification = loaded.Programs.Values.Aggregate(TimeSpan.Zero, (sum, p) => sum + (p.Verification?.Statistics.Elapsed ?? TimeSpan.Zero));
            context.Progress(string.Create(CultureInfo.InvariantCulture,
                $"loaded {file.Name} for {engineName} in {clock.Elapsed.TotalSeconds:F1} s, of which the verifier took {verification.TotalSeconds:F1} s for {loaded.Programs.Count} program(s)"));
        }
        try
        {
            var program = programName is null
                ? loaded.Programs.Values.First()
                : loaded.Programs.TryGetValue(programName, out var named) ? named : throw BpfException.Create(DiagnosticCodes.ToolUnknownProgram,
                    $"no program named '{programName}'; the object has: {string.Join(", ", loaded.Programs.Keys)}", file.FullName);
            return new LoadedProgram(loaded, program, file.FullName);
        }
        catch
        {
            loaded.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs on the memory, or with no context when it is empty; the program's context rules apply
    /// either way. A program loaded for a socket buffer runs on one holding the memory as its packet
    /// (empty included). Without memory r1 is 0, so a program that reads its memory faults on a null
    /// pointer: that fault is reported with what to do about it first.
    /// </summary>
    public ulong Run(Span<byte> memory)
    {
        if (_program.ContextKind == BpfContextKind.SocketBuffer)
        {
            // The memory is the packet, after the __sk_buff the program reads; the buffer holds it whatever its size.
            if (_socketBuffer is null || _socketBuffer.Capacity < memory.Length)
            {
                _socketBuffer?.Dispose();
                _socketBuffer = new SocketBuffer(Math.Max(memory.Length, 4096));
            }
            _socketBuffer.SetPacket(memory);
            return _program.RunSocketBuffer(_socketBuffer);
        }
        if (memory.Length > 0)
        {
            return _program.Run(memory);
        }
        try
        {
            return _program.Run();
        }
        catch (BpfException fault) when (fault.Code == DiagnosticCodes.NullPointerAccess)
        {
            var hint = new BpfDiagnostic(DiagnosticCodes.ToolNoMemoryGiven,
                $"program '{ProgramName}' was given no memory: without --mem, r1 is a null pointer, and the program dereferenced one; if it reads its memory (r1), give --mem FILE with the bytes it expects",
                File: _path, Program: ProgramName);
            throw new BpfException([hint, .. fault.Diagnostics]);
        }
    }

    public void Dispose()
    {
        _socketBuffer?.Dispose();
        _object.Dispose();
    }
}
