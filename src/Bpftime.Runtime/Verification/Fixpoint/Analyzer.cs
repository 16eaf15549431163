using System.Diagnostics;
using Bpftime.Diagnostics;
using Bpftime.Isa;
using Bpftime.Objects;

namespace Bpftime.Verification;

/// <summary>
/// The abstract interpreter: follows every path of a program from its entry, one state per path,
/// checking each instruction against the state (types, bounds, initialisation) and splitting at
/// branches both of whose outcomes are possible. States kept at prune points let later paths stop
/// when an already proven state covers them.
/// </summary>
internal sealed partial class Analyzer
{
    private const int FramePointer = 10;

    /// <summary>Offsets and sizes beyond this are treated as unbounded (keeps offset arithmetic in range).</summary>
    private const long MaxOffset = 1 << 29;

    /// <summary>The same for the variable part of a pointer into the (mem, len) buffer, related to the length (at most 2^32 - 1).</summary>
    private const long MaxLengthOffset = 1L << 33;

    private readonly Instruction[] _code;
    private readonly ProgramShape _shape;
    /// <summary>The object's maps, then the inner-map layouts of its maps of maps.</summary>
    private readonly List<MapSpec> _maps;
    private readonly Dictionary<int, int> _innerMaps = [];
    private readonly int _declaredMaps;
    private readonly VerifierOptions _options;
    private readonly ContextLayout _context;
    private readonly string _programName;
    private readonly BpfProgramInfo? _info;
    private readonly string? _file;
    private readonly List<Checkpoint>?[] _checkpoints;
    private readonly bool[] _reached;
    private readonly Dictionary<int, int> _stackDepth = [];
    private readonly SortedDictionary<int, ContextRewrite> _rewrites = [];
    private readonly Stack<VerifierState> _pending = new();
    private int _nextId = 1;
    private int _processed;
    private int _explored;
    private int _pruned;
    private int _stored;
    private int _peakStored;
    private int _kept;
    private long _peakStateBytes;

    public Analyzer(Instruction[] code, ProgramShape shape, IReadOnlyList<MapSpec> maps, ContextLayout context, VerifierOptions options, string programName, BpfProgramInfo? info, string? file)
    {
        _code = code;
        _shape = shape;
        _maps = [.. maps];
        _declaredMaps = maps.Count;
        for (var i = 0; i < maps.Count; i++)
        {
            if (maps[i].InnerMap is { } inner)
            {
                _innerMaps[i] = _maps.Count;
                _maps.Add(inner);
            }
        }
        _context = context;
        _options = options;
        _programName = programName;
        _info = info;
        _file = file;
        _checkpoints = new List<Checkpoint>?[code.Length];
        _reached = new bool[code.Length];
        _arrivals = new int[code.Length];
        _joinsAt = new int[code.Length];
        _assertions = new Assertion[code.Length][];
        _extractor = new AssertionExtractor(options.Helpers);
    }

    private readonly Stopwatch _clock = new();

    public VerificationResult Run()
    {
        var clock = _clock;
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        clock.Start();
        var diagnostics = new List<BpfDiagnostic>();
        var passed = true;
        var combined = 0;
        try
        {
            Explore(InitialState());
            combined = CheckCombinedStack();
            CheckTermination();
            if (_options.WarnUnreachable)
            {
                ReportUnreachable(diagnostics);
            }
        }
        catch (VerificationError error)
        {
            passed = false;
            diagnostics.Insert(0, Diagnose(error.Code, error.Instruction, error.Message));
        }
        clock.Stop();
        var stats = new VerificationStatistics(_processed, _explored, _pruned, _peakStored, clock.Elapsed)
        {
            AllocatedBytes = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore,
            StatesKept = _kept,
            StatesJoined = _joins,
            PeakStateBytes = _peakStateBytes,
        };
        return new VerificationResult(_programName, passed, diagnostics, stats)
        {
            MaxStackDepth = _stackDepth.Count == 0 ? 0 : _stackDepth.Values.Max(),
            CombinedStackDepth = combined,
            FunctionStackDepths = new Dictionary<int, int>(_stackDepth),
            ContextRewrites = [.. _rewrites.Values],
            Context = _context,
            TerminationProven = passed && _unprovenLoops.Count == 0,
            UnprovenLoops = passed ? [.. _unprovenLoops] : [],
        };
    }

    public BpfDiagnostic Diagnose(string code, int instruction, string message, DiagnosticSeverity severity = DiagnosticSeverity.Error)
    {
        var line = _info?.LineAt(instruction);
        if (line is not null && !string.IsNullOrWhiteSpace(line.SourceLine))
        {
            message += $" (in: {line.SourceLine.Trim()})";
        }
        return new BpfDiagnostic(code, message, severity,
            File: line?.FileName is { Length: > 0 } name ? name : _file,
            Line: line?.Line ?? 0,
            Column: line?.Column ?? 0,
            Program: _programName,
            InstructionIndex: instruction);
    }

    private VerifierState InitialState()
    {
        var frame = new FrameState(_options.FrameStackSize, functionStart: 0, callSite: -1);
        frame.Registers[1] = RegisterState.Pointer(RegisterType.Context);
        frame.Registers[2] = _context.IsRawMemory && _options.ContextLengthInR2 ? LengthFacts.InitialLength()
            : _context.IsRawMemory && !_options.VariableContextLength ? RegisterState.Constant((ulong)_context.Size) : RegisterState.Unknown;
        frame.Registers[FramePointer] = RegisterState.Pointer(RegisterType.Stack, target: 0);
        _stackDepth[0] = 0;
        return new VerifierState([frame]) { Pc = 0 };
    }

    private void Explore(VerifierState start)
    {
        VerifierState? state = start;
        while (true)
        {
            if (state is null)
            {
                if (_pending.Count == 0)
                {
                    return;
                }
                state = _pending.Pop();
            }
            var pc = state.Pc;
            if (pc < 0 || pc >= _code.Length || _shape.SecondSlot[pc])
            {
                throw new VerificationError(DiagnosticCodes.VerifierJumpOutOfFunction, Math.Clamp(pc, 0, _code.Length - 1),
                    "execution reaches a point that is not an instruction of the program");
            }
            if (++_processed > _options.MaxProcessedInstructions)
            {
                throw new VerificationError(DiagnosticCodes.VerifierTooComplex, pc,
                    $"the program is too complex to prove safe: {_options.MaxProcessedInstructions} instructions processed over all paths without reaching the end; a loop may not terminate within the budget (bound it with a small constant) or there are too many paths");
            }
            if ((_processed & 0x3ff) == 0)
            {
                CheckTimeLimit(pc);
            }
            _reached[pc] = true;
            if (_shape.PrunePoint[pc] && IsCovered(state))
            {
                _pruned++;
                FinishPath(state);
                state = null;
                continue;
            }
            if (!Step(state))
            {
                NoteLeft(state);
                FinishPath(state);
                state = null;
            }
        }
    }

    /// <summary>Queues a second path from a branch; the current one continues.</summary>
    private void Push(VerifierState branch)
    {
        if (branch.Parent is not null)
        {
            branch.Parent.Branches++;
        }
        _pending.Push(branch);
        CheckStateLimit(branch.Pc, branch);
    }

    /// <summary>Refuses the program once the states held in memory pass <see cref="VerifierOptions.MaxStates"/>.</summary>
    private void CheckStateLimit(int pc, VerifierState added)
    {
        _peakStored = Math.Max(_peakStored, _stored + _pending.Count);
        _peakStateBytes = Math.Max(_peakStateBytes, (long)(_stored + _pending.Count) * added.ApproximateBytes);
        if (_stored + _pending.Count > _options.MaxStates)
        {
            throw new VerificationError(DiagnosticCodes.VerifierResourceLimit, pc,
                $"verification of {_programName} stopped after {_clock.ElapsedMilliseconds} ms with {_stored + _pending.Count} states held (the limit is {_options.MaxStates}); the program is too complex to prove: simplify its loops and branches, bound loop counters with small constants, or split it into tail calls");
        }
    }

    private void CheckTimeLimit(int pc)
    {
        if (_options.MaxTime is { } limit && _clock.Elapsed > limit)
        {
            throw new VerificationError(DiagnosticCodes.VerifierResourceLimit, pc,
                $"verification of {_programName} stopped after {_clock.ElapsedMilliseconds} ms ({_processed} instructions processed, {_stored + _pending.Count} states held; the limit is {limit.TotalMilliseconds:0} ms); the program is too complex to prove: simplify its loops and branches, bound loop counters with small constants, or split it into tail calls");
        }
    }

    /// <summary>A path ended safely (exit or pruned): the checkpoints it came through may be complete.</summary>
    private static void FinishPath(VerifierState state)
    {
        for (var checkpoint = state.Parent; checkpoint is not null; checkpoint = checkpoint.Parent)
        {
            if (--checkpoint.Branches > 0)
            {
                break;
            }
        }
    }

    /// <summary>Executes the instruction at the state's pc. Returns false when the path ends.</summary>
    private bool Step(VerifierState state)
    {
        var pc = state.Pc;
        var insn = _code[pc];
        // What must hold before the instruction, then how it changes the state.
        CheckAssertions(state, pc);
        switch (insn.Class)
        {
            case InstructionClass.Alu:
            case InstructionClass.Alu64:
                ExecuteAlu(state, pc, insn);
                state.Pc = pc + 1;
                break;
            case InstructionClass.Ldx:
                ExecuteLoad(state, pc, insn);
                state.Pc = pc + 1;
                break;
            case InstructionClass.St:
            case InstructionClass.Stx:
                if (insn.MemoryMode == MemoryMode.Atomic)
                {
                    ExecuteAtomic(state, pc, insn);
                }
                else
                {
                    ExecuteStore(state, pc, insn);
                }
                state.Pc = pc + 1;
                break;
            case InstructionClass.Ld when ProgramValidator.IsLegacyPacketLoad(insn):
                ExecuteLegacyPacketLoad(state, pc, insn);
                break;
            case InstructionClass.Ld:
                ExecuteLoadImm64(state, pc, insn);
                state.Pc = pc + 2;
                break;
            default:
                return ExecuteJump(state, pc, insn);
        }
        CheckFallThrough(state, pc);
        return true;
    }

    private void CheckFallThrough(VerifierState state, int pc)
    {
        var next = state.Pc;
        if (next >= _code.Length || _shape.FunctionOf[next] != _shape.FunctionOf[pc])
        {
            throw new VerificationError(DiagnosticCodes.VerifierJumpOutOfFunction, pc,
                next >= _code.Length
                    ? "execution runs past the last instruction; end every path with exit"
                    : $"execution runs from the function at {_shape.FunctionOf[pc]} into the next function (at {next}); end the function with exit");
        }
    }

    private int NewId() => _nextId++;

    private string MapName(int index) => index >= 0 && index < _maps.Count ? _maps[index].Name : $"#{index}";

    private string Describe(in RegisterState register) => register.Describe(MapName);

    private static string R(int register) => $"R{register}";

    private static RegisterState ReadRegister(VerifierState state, int register) => state.Current.Registers[register];

    /// <summary>The register's value, which must have been written.</summary>
    private static RegisterState Use(VerifierState state, int register, int pc, string role)
    {
        var value = state.Current.Registers[register];
        if (value.Type == RegisterType.NotInitialized && value.Target == RegisterState.JoinedKinds)
        {
            throw new VerificationError(DiagnosticCodes.VerifierUninitializedRegister, pc,
                $"{R(register)} is read as {role}, but at a loop head before here it holds different kinds of value (or is unset) on different paths around the loop, so it has no single type; give it the same kind of value on every path");
        }
        if (value.Type == RegisterType.NotInitialized)
        {
            throw new VerificationError(DiagnosticCodes.VerifierUninitializedRegister, pc,
                $"{R(register)} is not initialised but is read as {role}; assign it on every path that reaches here");
        }
        return value;
    }

    /// <summary>One warning listing the instructions no path reached (dead code the compiler left, or a bug).</summary>
    private void ReportUnreachable(List<BpfDiagnostic> diagnostics)
    {
        var ranges = new List<string>();
        var first = -1;
        var count = 0;
        for (var i = 0; i < _code.Length; i++)
        {
            if (_reached[i] || _shape.SecondSlot[i])
            {
                continue;
            }
            var end = i;
            while (end + 1 < _code.Length && (!_reached[end + 1] || _shape.SecondSlot[end + 1]))
            {
                end++;
            }
            ranges.Add(end == i ? $"{i}" : $"{i}-{end}");
            count += end - i + 1;
            first = first < 0 ? i : first;
            i = end;
        }
        if (first >= 0)
        {
            var listed = ranges.Count > 8 ? string.Join(", ", ranges.Take(8)) + ", ..." : string.Join(", ", ranges);
            diagnostics.Add(Diagnose(DiagnosticCodes.VerifierUnreachableCode, first,
                $"{count} instruction(s) are never reached on any path ({listed})", DiagnosticSeverity.Warning));
        }
    }

    private void NoteStackDepth(VerifierState state, int frame, long lowest)
    {
        var function = state.Frames[frame].FunctionStart;
        var depth = (int)-lowest;
        if (!_stackDepth.TryGetValue(function, out var known) || depth > known)
        {
            _stackDepth[function] = depth;
        }
    }

    /// <summary>The deepest stack over every chain of calls, checked against the combined limit.</summary>
    private int CheckCombinedStack()
    {
        var memo = new Dictionary<int, int>();
        int Depth(int function, int site, int level)
        {
            if (memo.TryGetValue(function, out var known))
            {
                return known;
            }
            if (level > _options.MaxCallDepth + 1)
            {
                return 0;
            }
            var own = RoundUp8(_stackDepth.GetValueOrDefault(function));
            var deepest = 0;
            var deepestSite = site < 0 ? function : site;
            if (_shape.Callees.TryGetValue(function, out var callees))
            {
                foreach (var (callSite, callee) in callees)
                {
                    var depth = Depth(callee, callSite, level + 1);
                    if (depth > deepest)
                    {
                        deepest = depth;
                        deepestSite = callSite;
                    }
                }
            }
            var total = own + deepest;
            if (total > _options.MaxCombinedStackSize)
            {
                throw new VerificationError(DiagnosticCodes.VerifierStackDepthExceeded, deepestSite,
                    $"the call chain from here needs {total} bytes of stack ({own} in this function), more than the {_options.MaxCombinedStackSize} bytes allowed for all frames together; make locals smaller or move data to a per-CPU array map");
            }
            memo[function] = total;
            return total;
        }
        return Depth(0, -1, 0);
    }

    private static int RoundUp8(int value) => (value + 7) & ~7;
}
