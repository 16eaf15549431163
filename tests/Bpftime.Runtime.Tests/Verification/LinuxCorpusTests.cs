using Bpftime.Objects;
using Bpftime.Verification;
using Xunit.Abstractions;

namespace Bpftime.Tests.Verification;

/// <summary>
/// Real-world objects (the ebpf-samples corpus: the kernel's samples, cilium, ...) that need Linux's
/// contexts and helpers pass; skipped when the corpus is absent ($BPF_SAMPLES_DIR, else
/// ../shared/corpus/ebpf-samples beside the repository).
/// </summary>
public sealed class LinuxCorpusTests(ITestOutputHelper output)
{
    private static string? CorpusDirectory
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("BPF_SAMPLES_DIR");
            if (!string.IsNullOrEmpty(configured))
            {
                return Directory.Exists(configured) ? configured : null;
            }
            var beside = Path.GetFullPath(Path.Combine(TestPaths.RepositoryRoot, "..", "shared", "corpus", "ebpf-samples"));
            return Directory.Exists(beside) ? beside : null;
        }
    }

    /// <summary>Objects and the program types their sections give (a legacy "xdp1" name included).</summary>
    [SkippableTheory]
    [InlineData("linux/xdp1_kern.o", ProgramType.Xdp)]                 // SEC("xdp1"): xdp_md packet access
    [InlineData("linux/xdp_fwd_kern.o", ProgramType.Xdp)]              // fib_lookup, redirect_map
    [InlineData("linux/xdp_redirect_map_kern.o", ProgramType.Xdp)]     // redirect_map on a devmap
    [InlineData("linux/offwaketime_kern.o", ProgramType.Kprobe)]       // get_stackid, pt_regs and a tracepoint record
    [InlineData("linux/trace_output_kern.o", ProgramType.Kprobe)]      // perf_event_output
    [InlineData("linux/sampleip_kern.o", ProgramType.PerfEvent)]       // bpf_perf_event_data
    [InlineData("linux/test_overhead_raw_tp_kern.o", ProgramType.RawTracepoint)]
    [InlineData("linux/syscall_tp_kern.o", ProgramType.Tracepoint)]
    [InlineData("linux/tcp_basertt_kern.o", ProgramType.SockOps)]      // bpf_sock_ops, getsockopt
    [InlineData("linux/tcp_bufs_kern.o", ProgramType.SockOps)]         // setsockopt
    [InlineData("linux/sock_flags_kern.o", ProgramType.CgroupSockAddr)]
    public void LinuxSamplesPass(string relative, ProgramType type)
    {
        var directory = CorpusDirectory;
        Skip.If(directory is null, "the ebpf-samples corpus is absent");
        var file = ObjectReader.ReadFile(Path.Combine(directory, relative));
        Assert.Contains(file.Programs, p => p.Type == type);
        foreach (var result in BpfVerifier.Verify(file, new VerifierOptions { ContextSize = 64 }))
        {
            output.WriteLine($"{relative}: {result}");
            VerifierKit.AssertPasses(result);
        }
    }

    /// <summary>
    /// cilium's iproute2 sections ("2/1", "from-netdev") say no type; verified as the tc programs they
    /// are, with __sk_buff, they pass.
    /// </summary>
    [SkippableTheory]
    [InlineData("cilium/bpf_lb.o", "2/1")]
    [InlineData("cilium/bpf_lb.o", "from-netdev")]
    [InlineData("cilium/bpf_lxc.o", "1/0x1010")]
    [InlineData("cilium/bpf_overlay.o", "2/1")]
    public void CiliumTcProgramsPassAsSchedClassifier(string relative, string section)
    {
        var directory = CorpusDirectory;
        Skip.If(directory is null, "the ebpf-samples corpus is absent");
        var file = ObjectReader.ReadFile(Path.Combine(directory, relative));
        var program = file.Programs.First(p => p.Section == section);
        Assert.Equal(ProgramType.Unspecified, program.Type);
        var result = BpfVerifier.Verify(program with { Type = ProgramType.SchedClassifier }, file.Maps, new VerifierOptions { ContextSize = 64 }, file.Path);
        output.WriteLine(result.ToString());
        VerifierKit.AssertPasses(result);
    }
}
