using System.Globalization;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Hosting;
using Bpftime.Isa;
using Bpftime.Maps;
using Bpftime.Objects;
using Bpftime.Sandbox.Fuzz.Generation;
using Bpftime.Sandbox.Fuzz.Sandbox;
using Bpftime.Verification;

namespace Bpftime.Sandbox.Fuzz.Running;

/// <summary>
/// Runs one batch in this process and reports one line per event on standard output, flushed at once, so
/// that a crash still names its program (the last <c>RUN</c> line). Lines: <c>BEGIN</c>, then per program
/// <c>RUN i seed</c> and one of <c>OK i r0</c>, <c>FAULT i code</c>, <c>REFUSED i code</c>, <c>LOADFAIL i code</c>,
/// <c>ERROR i text</c> (a non-BPF exception left the engine), with any <c>CANARY i ...</c>, <c>CANARYREAD i ...</c>
/// and <c>LEAK i ...</c> findings; <c>END</c> last.
/// </summary>
internal sealed unsafe class FuzzChild : IDisposable
{
    private static readonly Instruction[] StackProbe =
    [
        new(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Mov, OperandSource.Register), 0, 10, 0, 0),
        new(Opcodes.Exit, 0, 0, 0, 0),
    ];

    private static readonly Instruction[] TailCallTarget =
    [
        new(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Mov, OperandSource.Immediate), 0, 0, 0, 42),
        new(Opcodes.Exit, 0, 0, 0, 0),
    ];

    private readonly FuzzOptions _options;
    private readonly TextWriter _out;
    private readonly IBpfEngine _engine;
    private readonly EngineOptions _engineOptions;
    private readonly HelperTable _helpers;
    private readonly GuardedContext _context = new();
    private readonly GuardedContext _rerunContext = new();
    private readonly HeapCanaries _heap = new();
    private readonly ProcessMappings _mappings = new();
    private readonly HostPointerRule _rule;
    private readonly IBpfExecutable _stackProbe;
    private readonly IBpfExecutable? _tailTarget;
    private readonly string? _budget;

    public FuzzChild(FuzzOptions options, TextWriter output)
    {
        _options = options;
        _out = output;
        _engine = FuzzEngines.Create(options.Engine);
        if (!_engine.IsAvailable(out var reason))
        {
            throw new InvalidOperationException($"engine {options.Engine} is not available here: {reason}");
        }
        _engineOptions = ExecutionBudget.Apply(EngineOptions.Default, out _budget);
        _helpers = StandardHelpers.CreateDefault(TraceSink.Discard);
        if (options.Plant is not null)
        {
            PlantedBug.Install(_helpers, options.Plant);
        }
        _rule = new HostPointerRule(_mappings);
        _stackProbe = _engine.Load(new ProgramImage("stack_probe", StackProbe, _helpers), _engineOptions);
        try
        {
            _tailTarget = _engine.Load(new ProgramImage("tail_target", TailCallTarget, _helpers), _engineOptions);
        }
        catch (BpfException)
        {
            _tailTarget = null;
        }
    }

    public Counts Totals { get; } = new();

    public sealed class Counts
    {
        public int Programs, Ok, Faults, Refused, LoadFailures, Errors, Canaries, CanaryReads, Leaks;
    }

    public void Run()
    {
        Line($"BEGIN engine={_options.Engine} mode={_options.Mode.ToString().ToLowerInvariant()} seed={_options.Seed} start={_options.Start} count={_options.Count} plant={_options.Plant ?? "none"} budget={_budget ?? "none"} secret=0x{PlantedBug.SecretAddress:x}");
        for (var index = _options.Start; index < _options.Start + _options.Count; index++)
        {
            RunOne(index);
        }
        var t = Totals;
        Line($"END programs={t.Programs} ok={t.Ok} faults={t.Faults} refused={t.Refused} loadfail={t.LoadFailures} errors={t.Errors} canaries={t.Canaries} canaryreads={t.CanaryReads} leaks={t.Leaks}");
    }

    private void Line(string text)
    {
        _out.WriteLine(text);
        _out.Flush();
    }

    private static string Hex(ulong value) => "0x" + value.ToString("x", CultureInfo.InvariantCulture);

    private void RunOne(int index)
    {
        var seed = _options.SeedOf(index);
        var program = new HostileProgramGenerator(seed, _helpers, _options.Plant is not null).Generate();
        if (_options.CodeFile is not null)
        {
            program = program with { Code = ProgramMinimizer.Read(_options.CodeFile) };
        }
        Totals.Programs++;
        Line($"RUN {index} {seed}");
        VerificationResult? verdict = null;
        if (_options.Mode == FuzzMode.Verified)
        {
            verdict = Verify(program);
            if (!verdict.Passed)
            {
                Totals.Refused++;
                Line($"REFUSED {index} {verdict.Errors.FirstOrDefault()?.Code ?? "?"} {FirstLine(verdict.Errors.FirstOrDefault()?.Message ?? "")}");
                return;
            }
        }
        var first = Execute(program, verdict, _context, onOtherThread: false);
        foreach (var canary in first.Canaries)
        {
            Totals.Canaries++;
            Line($"CANARY {index} {canary}");
        }
        foreach (var (slot, value) in first.Outputs.Where(o => Canary.IsCanaryWord(o.Value)))
        {
            Totals.CanaryReads++;
            Line($"CANARYREAD {index} {slot}={Hex(value)} (canary bytes from outside the context reached the program's output)");
        }
        var suspects = new List<(string Slot, ulong Value, ProcessMapping Mapping)>();
        foreach (var (slot, value) in first.Outputs)
        {
            if (!Canary.IsCanaryWord(value) && _rule.Suspect(value, first.Handed) is { } mapping)
            {
                suspects.Add((slot, value, mapping));
            }
        }
        if (suspects.Count > 0)
        {
            // Run again with every handed region elsewhere: what moves with them was computed from them.
            var second = Execute(program, verdict, _rerunContext, onOtherThread: true);
            var rerunValues = second.Outputs.Select(o => o.Value).ToHashSet();
            foreach (var (slot, value, mapping) in suspects)
            {
                if (HostPointerRule.MovedWithHandedRegion(value, first.Handed, second.Handed, rerunValues))
                {
                    continue;
                }
                Totals.Leaks++;
                Line($"LEAK {index} {slot}={Hex(value)} in {mapping}{(rerunValues.Contains(value) ? " (same value on the rerun)" : "")}");
            }
        }
        Report(index, first.Result);
    }

    private void Report(int index, string result)
    {
        switch (result.Split(' ')[0])
        {
            case "OK":
                Totals.Ok++;
                break;
            case "FAULT":
                Totals.Faults++;
                break;
            case "LOADFAIL":
                Totals.LoadFailures++;
                break;
            default:
                Totals.Errors++;
                break;
        }
        var space = result.IndexOf(' ', StringComparison.Ordinal);
        Line(space < 0 ? $"{result} {index}" : $"{result[..space]} {index}{result[space..]}");
    }

    private VerificationResult Verify(GeneratedProgram program)
    {
        var options = new VerifierOptions
        {
            ContextSize = GuardedContext.RawLength,
            VariableContextLength = true,
            Helpers = _helpers,
        };
        return BpfVerifier.Verify(program.Code, FuzzMapLayout.Specs, options, program.Xdp ? ProgramType.Xdp : ProgramType.Unspecified, $"fuzz_{program.Seed}");
    }

    private sealed record RunOutcome(string Result, List<string> Canaries, List<(string Slot, ulong Value)> Outputs, HandedRegions Handed);

    private RunOutcome Execute(GeneratedProgram program, VerificationResult? verdict, GuardedContext context, bool onOtherThread)
    {
        RunOutcome? outcome = null;
        Exception? crash = null;
        void Body()
        {
            try
            {
                outcome = ExecuteHere(program, verdict, context);
            }
            catch (Exception error)
            {
                crash = error;
            }
        }
        if (onOtherThread)
        {
            var thread = new Thread(Body, 16 * 1024 * 1024);
            thread.Start();
            thread.Join();
        }
        else
        {
            Body();
        }
        if (crash is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(crash).Throw();
        }
        return outcome!;
    }

    private RunOutcome ExecuteHere(GeneratedProgram program, VerificationResult? verdict, GuardedContext context)
    {
        var maps = BpfMapFactory.CreateAll(FuzzMapLayout.Specs);
        _heap.AddSmallBlocks(4);
        IBpfExecutable? executable = null;
        try
        {
            var image = new ProgramImage($"fuzz_{program.Seed}", program.Code, _helpers) { Maps = maps };
            if (verdict is not null)
            {
                image = image.WithVerification(verdict);
            }
            context.Prepare(program.Xdp, program.Seed);
            var stackAnchor = _stackProbe.Execute(context.Start, (ulong)context.Length);
            var handed = HandedRegions.Of(context, stackAnchor, maps);
            try
            {
                executable = _engine.Load(image, _engineOptions);
            }
            catch (BpfException error)
            {
                return new RunOutcome($"LOADFAIL {error.Code}", [], [], handed);
            }
            var programs = (ProgramArrayMap)maps[FuzzMapLayout.Programs];
            TrySet(programs, 0, _tailTarget);
            TrySet(programs, 1, executable);
            string result;
            ulong r0 = 0;
            try
            {
                r0 = executable.Execute(context.Start, (ulong)context.Length);
                result = $"OK {Hex(r0)}";
            }
            catch (BpfException error)
            {
                result = $"FAULT {error.Code} {FirstLine(error.Message)}";
            }
            catch (Exception error)
            {
                result = $"ERROR {error.GetType().Name}: {FirstLine(error.Message)}";
            }
            ProgramCallback.TakePendingFault();
            TrySet(programs, 0, null);
            TrySet(programs, 1, null);
            var canaries = new List<string>();
            if (context.CheckCanaries() is { } changed)
            {
                canaries.Add($"context page: word at context{(changed.Address < context.Start ? "-" : "+")}{Math.Abs((long)(changed.Address - context.Start))} is {Hex(changed.Found)}");
            }
            if (_heap.Check() is { } heap)
            {
                canaries.Add($"{heap.Where}: word at {Hex((ulong)heap.Address)} is {Hex(heap.Found)}");
            }
            var outputs = new List<(string, ulong)>();
            if (result.StartsWith("OK", StringComparison.Ordinal))
            {
                outputs.Add(("r0", r0));
            }
            Collect(maps, outputs);
            return new RunOutcome(result, canaries, outputs, handed);
        }
        finally
        {
            executable?.Dispose();
            foreach (var map in maps)
            {
                map.Dispose();
            }
            _heap.ReleaseSmallBlocks();
        }
    }

    private static void TrySet(ProgramArrayMap programs, uint index, IBpfExecutable? executable)
    {
        try
        {
            programs.Set(index, executable);
        }
        catch (Exception)
        {
            // Engines whose programs cannot be tail-call targets leave the slot empty.
        }
    }

    private static string FirstLine(string text)
    {
        var end = text.IndexOfAny(['\r', '\n']);
        return end < 0 ? text : text[..end];
    }

    /// <summary>Every 8-byte window of the maps' values and ring-buffer data (any alignment), and the queue's elements.</summary>
    private static void Collect(IReadOnlyList<BpfMap> maps, List<(string Slot, ulong Value)> outputs)
    {
        for (var m = 0; m < maps.Count; m++)
        {
            var map = maps[m];
            if (map is QueueMap queue)
            {
                var element = new byte[queue.ValueSize];
                for (var k = 0; queue.Pop(element) == 0 && k < 64; k++)
                {
                    if (element.Length >= 8)
                    {
                        outputs.Add(($"map{m}.pop{k}", BitConverter.ToUInt64(element, 0)));
                    }
                }
                continue;
            }
            var r = 0;
            foreach (var region in map.ValueRegions)
            {
                var bytes = (byte*)region.Start;
                for (ulong offset = 0; offset + 8 <= region.Length; offset++)
                {
                    var value = *(ulong*)(bytes + offset);
                    if (value >= HostPointerRule.LowestAddress)
                    {
                        outputs.Add(($"map{m}.region{r}+{offset}", value));
                    }
                }
                r++;
            }
        }
    }

    public void Dispose()
    {
        _stackProbe.Dispose();
        _tailTarget?.Dispose();
        _context.Dispose();
        _rerunContext.Dispose();
        _heap.Dispose();
    }
}
