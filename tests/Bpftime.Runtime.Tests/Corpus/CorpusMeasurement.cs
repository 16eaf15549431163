using System.Diagnostics;
using Bpftime.Diagnostics;
using Bpftime.Objects;
using Bpftime.Verification;

namespace Bpftime.Tests.Corpus;

/// <summary>
/// Reads every object of the corpus and verifies every program with the default options, the program
/// type and context its loader gives it (<see cref="AsLoaded"/>), and a per-program time cap (a program that reaches it counts as refused).
/// </summary>
public sealed class CorpusMeasurement
{
    private CorpusMeasurement(IReadOnlyList<CorpusProgramResult> results, int objects, TimeSpan timeCap)
    {
        Results = results;
        ObjectCount = objects;
        TimeCap = timeCap;
    }

    /// <summary>One result per program, and one per object the reader refused.</summary>
    public IReadOnlyList<CorpusProgramResult> Results { get; }

    public int ObjectCount { get; }

    public TimeSpan TimeCap { get; }

    public IEnumerable<CorpusProgramResult> Programs => Results.Where(r => r.Outcome != CorpusOutcome.ObjectUnreadable);

    public IEnumerable<CorpusProgramResult> UnreadableObjects => Results.Where(r => r.Outcome == CorpusOutcome.ObjectUnreadable);

    public IEnumerable<CorpusProgramResult> Crashes => Results.Where(r => r.Outcome == CorpusOutcome.Crashed);

    /// <summary>
    /// The results for a PREVAIL row: its named program, else every program of its section; an unreadable
    /// object's one result. A row naming a .text function that is no program of ours (the object has
    /// other program sections, so the reader links .text into them, as libbpf does) takes every program
    /// that links the function: the loader never runs such a function alone (see docs/verifier-precision.md).
    /// </summary>
    public IReadOnlyList<CorpusProgramResult> For(PrevailRow row)
    {
        var ofObject = Results.Where(r => r.Project == row.Project && r.File == row.File).ToList();
        if (ofObject.Count == 1 && ofObject[0].Section is null)
        {
            return ofObject;
        }
        var named = ofObject.Where(r => r.Section == row.Section && (row.Program is null || r.Program == row.Program)).ToList();
        if (named.Count == 0 && row.Section == ".text" && row.Program is { } function)
        {
            return ofObject.Where(r => r.Subprograms.Contains(function)).ToList();
        }
        return named;
    }

    public static CorpusMeasurement Run(string root, TimeSpan timeCap)
    {
        var options = VerifierOptions.Default with { MaxTime = timeCap };
        var results = new List<CorpusProgramResult>();
        var files = Directory.EnumerateFiles(root, "*.o", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        foreach (var path in files)
        {
            var relative = Path.GetRelativePath(root, path).Replace('\\', '/');
            var project = relative.Contains('/') ? relative[..relative.LastIndexOf('/')] : string.Empty;
            var name = Path.GetFileName(path);
            BpfObjectFile file;
            try
            {
                file = ObjectReader.ReadFile(path);
            }
            catch (BpfException error)
            {
                var first = error.Diagnostics.FirstOrDefault(d => d.Severity == DiagnosticSeverity.Error) ?? error.Diagnostics.FirstOrDefault();
                var outcome = first?.Code == DiagnosticCodes.ObjectMalformed ? CorpusOutcome.Crashed : CorpusOutcome.ObjectUnreadable;
                results.Add(new CorpusProgramResult(project, name, null, null, outcome, first, TimeSpan.Zero));
                continue;
            }
            catch (Exception error)
            {
                results.Add(new CorpusProgramResult(project, name, null, null, CorpusOutcome.Crashed,
                    new BpfDiagnostic("exception", $"{error.GetType().Name}: {error.Message}"), TimeSpan.Zero));
                continue;
            }
            foreach (var program in file.Programs)
            {
                results.Add(Verify(project, name, file, program, options));
            }
        }
        return new CorpusMeasurement(results, files.Count, timeCap);
    }

    /// <summary>
    /// Objects whose sections name no program type and that their own scripts load with tc (iproute2's
    /// `tc filter ... bpf obj FILE sec NAME`, which makes them sched_cls programs): the Linux samples'
    /// tc_l2_redirect.sh, test_cgrp2_tc.sh, xdp2skb_meta.sh and tcbpf1 instructions, Open vSwitch's
    /// eBPF datapath, and the prototype-kernel tc samples.
    /// </summary>
    private static readonly HashSet<string> LoadedByTc =
    [
        "linux/tc_l2_redirect_kern.o", "linux/tcbpf1_kern.o", "linux/test_cgrp2_tc_kern.o", "linux/xdp2skb_meta_kern.o",
        "ovs/datapath.o", "prototype-kernel/tc_bench01_redirect_kern.o", "prototype-kernel/xdp_vlan01_kern.o",
    ];

    /// <summary>
    /// The program as its loader hands it to the kernel. Sections that name no program type are what
    /// their loader gives a type: cilium's "2/1", "from-netdev" are tc programs (xdp in its XDP objects),
    /// as are the sections of <see cref="LoadedByTc"/>; everything else named by no type, and socket
    /// sections, runs on the socket filter's __sk_buff, as on Linux (this runtime's own socket sections
    /// mean raw memory instead).
    /// </summary>
    public static (BpfProgramInfo Program, VerifierOptions Options) AsLoaded(string project, string name, BpfProgramInfo program, VerifierOptions options)
    {
        if (program.Type == ProgramType.Unspecified && project.StartsWith("cilium", StringComparison.Ordinal))
        {
            return (program with { Type = name.StartsWith("bpf_xdp", StringComparison.Ordinal) ? ProgramType.Xdp : ProgramType.SchedClassifier }, options);
        }
        if (program.Type == ProgramType.Unspecified && LoadedByTc.Contains($"{project}/{name}"))
        {
            return (program with { Type = ProgramType.SchedClassifier }, options);
        }
        if (program.Type is ProgramType.Unspecified or ProgramType.SocketFilter)
        {
            return (program with { Type = ProgramType.SocketFilter }, options with { Context = LinuxContexts.SocketFilter });
        }
        return (program, options);
    }

    private static CorpusProgramResult Verify(string project, string name, BpfObjectFile file, BpfProgramInfo program, VerifierOptions options)
    {
        (program, options) = AsLoaded(project, name, program, options);
        var clock = Stopwatch.StartNew();
        VerificationResult result;
        try
        {
            result = BpfVerifier.Verify(program, file.Maps, options, file.Path);
        }
        catch (Exception error)
        {
            return new CorpusProgramResult(project, name, program.Section, program.Name, CorpusOutcome.Crashed,
                new BpfDiagnostic("exception", $"{error.GetType().Name}: {error.Message}"), clock.Elapsed)
            {
                Subprograms = [.. program.Subprograms.Select(s => s.Name)],
            };
        }
        var elapsed = clock.Elapsed;
        var first = result.Errors.FirstOrDefault();
        var outcome = result.Passed ? CorpusOutcome.Accepted
            : first?.Code == DiagnosticCodes.VerifierInternalError ? CorpusOutcome.Crashed
            : first?.Code == DiagnosticCodes.VerifierResourceLimit && options.MaxTime is { } cap && elapsed >= cap ? CorpusOutcome.TimedOut
            : CorpusOutcome.Refused;
        return new CorpusProgramResult(project, name, program.Section, program.Name, outcome, result.Passed ? null : first, elapsed)
        {
            Statistics = result.Statistics,
            Subprograms = [.. program.Subprograms.Select(s => s.Name)],
        };
    }
}
