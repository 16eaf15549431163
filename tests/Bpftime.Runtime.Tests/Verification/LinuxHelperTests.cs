using Bpftime.Helpers;
using Bpftime.Objects;
using Bpftime.Verification;
using static Bpftime.Diagnostics.DiagnosticCodes;
using static Bpftime.Tests.Verification.VerifierKit;

namespace Bpftime.Tests.Verification;

/// <summary>
/// The Linux helpers the real-world corpus calls: each passes with the arguments Linux asks for and
/// is refused with a bad one (a wrong map type, a size with no bound, a size past the buffer), or when
/// called from a program type Linux does not offer it to; a helper the host lacks is refused by name.
/// </summary>
public sealed class LinuxHelperTests
{
    /// <summary>VerifierKit's maps (0..6), then 7 a stack-trace map, 8 a perf event array, 9 a devmap, 10 a sockmap, 11 a cgroup array.</summary>
    private static readonly IReadOnlyList<MapSpec> Maps =
    [
        .. VerifierKit.Maps,
        new MapSpec("stacks", MapType.StackTrace, 4, 127 * 8, 1024),
        new MapSpec("events_perf", MapType.PerfEventArray, 4, 4, 64),
        new MapSpec("ports", MapType.DevMap, 4, 4, 64),
        new MapSpec("socks", MapType.SockMap, 4, 4, 64),
        new MapSpec("cgroups", MapType.CgroupArray, 4, 4, 1),
    ];

    private static VerificationResult Run(ProgramType type, string source, HelperTable? helpers = null) =>
        BpfVerifier.Verify(Assemble(source), Maps, new VerifierOptions { ContextSize = 64, Helpers = helpers }, type);

    private const string SkbLoadBytes = """
        mov %r2, 0
        mov %r3, %r10
        add %r3, -16
        mov %r4, 16
        call 26
        ldxdw %r0, [%r10-16]
        exit
        """;

    [Fact]
    public void SkbLoadBytesFillsTheStackBuffer() => AssertPasses(Run(ProgramType.SchedClassifier, SkbLoadBytes));

    [Fact]
    public void SkbLoadBytesPastTheBufferIsRefused() =>
        AssertRefused(Run(ProgramType.SchedClassifier, SkbLoadBytes.Replace("add %r3, -16", "add %r3, -8", StringComparison.Ordinal)), VerifierInvalidHelperSize, 4);

    [Fact]
    public void SkbLoadBytesWithAnUnboundedSizeIsRefused() =>
        AssertRefused(Run(ProgramType.SchedClassifier, SkbLoadBytes.Replace("mov %r4, 16", "ldxw %r4, [%r1+0]", StringComparison.Ordinal)), VerifierInvalidHelperSize, 4);

    [Fact]
    public void SkbLoadBytesIntoAMovedContextIsRefused() =>
        AssertRefused(Run(ProgramType.SchedClassifier, "add %r1, 8\n" + SkbLoadBytes), VerifierInvalidHelperArgument, 5);

    [Theory]
    [InlineData(ProgramType.Kprobe)]
    [InlineData(ProgramType.Xdp)]
    [InlineData(ProgramType.SockOps)]
    public void SkbLoadBytesFromANonSkbProgramIsRefused(ProgramType type)
    {
        var diagnostic = AssertRefused(Run(type, SkbLoadBytes), VerifierHelperNotForProgramType, 4);
        Assert.Contains("skb_load_bytes", diagnostic.Message, StringComparison.Ordinal);
        Assert.Contains(type.ToString(), diagnostic.Message, StringComparison.Ordinal);
    }

    /// <summary>Raw-memory programs (unspecified type) have no Linux type: every declared helper is allowed, as before.</summary>
    [Fact]
    public void UnspecifiedProgramsAreNotRestrictedByType() => AssertPasses(Run(ProgramType.Unspecified, SkbLoadBytes));

    private const string GetStackid = """
        ldmap %r2, 7
        mov %r3, 0
        call 27
        exit
        """;

    [Theory]
    [InlineData(ProgramType.Kprobe)]
    [InlineData(ProgramType.Tracepoint)]
    [InlineData(ProgramType.PerfEvent)]
    public void GetStackidFromTracing(ProgramType type) => AssertPasses(Run(type, GetStackid));

    [Fact]
    public void GetStackidNeedsAStackTraceMap() =>
        AssertRefused(Run(ProgramType.Kprobe, GetStackid.Replace("ldmap %r2, 7", "ldmap %r2, 0", StringComparison.Ordinal)), VerifierMapTypeMismatch, 3);

    [Fact]
    public void GetStackidFromTcIsRefused() => AssertRefused(Run(ProgramType.SchedClassifier, GetStackid), VerifierHelperNotForProgramType, 3);

    private const string PerfEventOutput = """
        stdw [%r10-8], 42
        ldmap %r2, 8
        lddw %r3, 0xffffffff
        mov %r4, %r10
        add %r4, -8
        mov %r5, 8
        call 25
        mov %r0, 0
        exit
        """;

    [Theory]
    [InlineData(ProgramType.Kprobe)]
    [InlineData(ProgramType.SchedClassifier)]
    [InlineData(ProgramType.Xdp)]
    [InlineData(ProgramType.Unspecified)]
    public void PerfEventOutputFromManyTypes(ProgramType type) => AssertPasses(Run(type, PerfEventOutput));

    [Fact]
    public void PerfEventOutputNeedsAPerfEventArray() =>
        AssertRefused(Run(ProgramType.Kprobe, PerfEventOutput.Replace("ldmap %r2, 8", "ldmap %r2, 2", StringComparison.Ordinal)), VerifierMapTypeMismatch, 8);

    [Fact]
    public void PerfEventOutputOfUninitialisedBytesIsRefused() =>
        AssertRefused(Run(ProgramType.Kprobe, PerfEventOutput.Replace("mov %r5, 8", "mov %r5, 16", StringComparison.Ordinal).Replace("add %r4, -8", "add %r4, -16", StringComparison.Ordinal)), VerifierUninitializedStack, 8);

    /// <summary>A context pointer spilled to the stack may not be sent out with the record.</summary>
    [Fact]
    public void PerfEventOutputMayNotLeakAPointer() =>
        AssertRefused(Run(ProgramType.Kprobe, PerfEventOutput.Replace("stdw [%r10-8], 42", "stxdw [%r10-8], %r1", StringComparison.Ordinal)), VerifierPointerLeak, 8);

    private const string RedirectMap = """
        ldmap %r1, 9
        mov %r2, 0
        mov %r3, 0
        call 51
        exit
        """;

    [Fact]
    public void RedirectMapFromXdp() => AssertPasses(Run(ProgramType.Xdp, RedirectMap));

    [Fact]
    public void RedirectMapNeedsADeviceMap() =>
        AssertRefused(Run(ProgramType.Xdp, RedirectMap.Replace("ldmap %r1, 9", "ldmap %r1, 0", StringComparison.Ordinal)), VerifierMapTypeMismatch, 4);

    [Fact]
    public void RedirectMapFromTcIsRefused() => AssertRefused(Run(ProgramType.SchedClassifier, RedirectMap), VerifierHelperNotForProgramType, 4);

    [Theory]
    [InlineData(ProgramType.SchedClassifier, "call 34", true)]              // get_hash_recalc
    [InlineData(ProgramType.Xdp, "call 34", false)]
    [InlineData(ProgramType.SchedClassifier, "mov %r2, 1\nmov %r3, 0\ncall 13", true)]  // clone_redirect
    [InlineData(ProgramType.CgroupSkb, "mov %r2, 1\nmov %r3, 0\ncall 13", false)]
    [InlineData(ProgramType.CgroupSockAddr, "call 122", true)]             // get_netns_cookie(ctx)
    [InlineData(ProgramType.CgroupSockAddr, "mov %r1, 0\ncall 122", true)] // get_netns_cookie(NULL)
    [InlineData(ProgramType.Kprobe, "call 122", false)]
    [InlineData(ProgramType.CgroupSock, "call 46", true)]                  // get_socket_cookie
    [InlineData(ProgramType.SockOps, "mov %r2, 3\ncall 59", true)]        // sock_ops_cb_flags_set
    [InlineData(ProgramType.Kprobe, "mov %r2, 0\ncall 58", true)]         // override_return
    [InlineData(ProgramType.Tracepoint, "mov %r2, 0\ncall 58", false)]
    [InlineData(ProgramType.SchedClassifier, "mov %r2, 1\nmov %r3, 2\nmov %r4, 3\nmov %r5, 4\ncall 10", true)] // l3_csum_replace
    [InlineData(ProgramType.Xdp, "mov %r2, 0\ncall 54", true)]             // xdp_adjust_meta
    [InlineData(ProgramType.Kprobe, "call 35", true)]                      // get_current_task
    [InlineData(ProgramType.SchedClassifier, "call 14", false)]            // get_current_pid_tgid
    [InlineData(ProgramType.Unspecified, "call 118", true)]                // jiffies64
    public void ContextOnlyHelpersByProgramType(ProgramType type, string call, bool offered)
    {
        var result = Run(type, call + "\nmov %r0, 0\nexit");
        if (offered)
        {
            AssertPasses(result);
        }
        else
        {
            Assert.False(result.Passed);
            Assert.Equal(VerifierHelperNotForProgramType, result.Diagnostics[0].Code);
        }
    }

    [Fact]
    public void GetNetnsCookieRefusesAStackPointer() =>
        AssertRefused(Run(ProgramType.CgroupSockAddr, "mov %r1, %r10\nadd %r1, -8\ncall 122\nexit"), VerifierInvalidHelperArgument, 2);

    private const string Setsockopt = """
        stw [%r10-4], 1
        mov %r2, 6
        mov %r3, 13
        mov %r4, %r10
        add %r4, -4
        mov %r5, 4
        call 49
        exit
        """;

    [Fact]
    public void SetsockoptFromSockOps() => AssertPasses(Run(ProgramType.SockOps, Setsockopt));

    [Fact]
    public void SetsockoptWithAZeroSizeIsRefused() =>
        AssertRefused(Run(ProgramType.SockOps, Setsockopt.Replace("mov %r5, 4", "mov %r5, 0", StringComparison.Ordinal)), VerifierInvalidHelperSize, 6);

    [Fact]
    public void SetsockoptFromXdpIsRefused() => AssertRefused(Run(ProgramType.Xdp, Setsockopt), VerifierHelperNotForProgramType, 6);

    [Fact]
    public void SockMapUpdateNeedsASockMap()
    {
        const string source = """
            stw [%r10-4], 0
            ldmap %r2, 10
            mov %r3, %r10
            add %r3, -4
            mov %r4, 0
            call 53
            exit
            """;
        AssertPasses(Run(ProgramType.SockOps, source));
        AssertRefused(Run(ProgramType.SockOps, source.Replace("ldmap %r2, 10", "ldmap %r2, 0", StringComparison.Ordinal)), VerifierMapTypeMismatch, 6);
    }

    /// <summary>fib_lookup reads and rewrites its params: they must be initialised, and no pointer may sit among them.</summary>
    [Fact]
    public void FibLookupParamsAreReadThenWritten()
    {
        const string source = """
            stdw [%r10-16], 0
            stdw [%r10-8], 0
            mov %r2, %r10
            add %r2, -16
            mov %r3, 16
            mov %r4, 0
            call 69
            ldxdw %r0, [%r10-8]
            exit
            """;
        AssertPasses(Run(ProgramType.Xdp, source));
        AssertRefused(Run(ProgramType.Xdp, source.Replace("stdw [%r10-8], 0", "stxdw [%r10-8], %r1", StringComparison.Ordinal)), VerifierPointerLeak, 6);
        AssertRefused(Run(ProgramType.Xdp, source.Replace("stdw [%r10-8], 0", "mov %r0, 0", StringComparison.Ordinal)), VerifierUninitializedStack, 6);
    }

    [Fact]
    public void CsumDiffOverTheStack()
    {
        AssertPasses(Run(ProgramType.SchedClassifier, """
            stdw [%r10-8], 0
            mov %r1, 0
            mov %r2, 0
            mov %r3, %r10
            add %r3, -8
            mov %r4, 8
            mov %r5, 0
            call 28
            exit
            """));
        // A null "from" with a non-zero size.
        AssertRefused(Run(ProgramType.SchedClassifier, "mov %r1, 0\nmov %r2, 4\nmov %r3, 0\nmov %r4, 0\nmov %r5, 0\ncall 28\nexit"), VerifierInvalidHelperSize, 5);
    }

    /// <summary>Tunnel options: tc may read them into the stack and set them from initialised bytes; a socket filter may not.</summary>
    [Fact]
    public void TunnelOptionsGoThroughTheStack()
    {
        const string get = "mov %r2, %r10\nadd %r2, -16\nmov %r3, 16\ncall 29\nexit";
        const string set = "stdw [%r10-16], 0\nstdw [%r10-8], 0\nmov %r2, %r10\nadd %r2, -16\nmov %r3, 16\ncall 30\nexit";
        AssertPasses(Run(ProgramType.SchedClassifier, get));
        AssertPasses(Run(ProgramType.SchedClassifier, set));
        // Past the frame, from uninitialised bytes, or from a program type Linux does not offer them to.
        AssertRefused(Run(ProgramType.SchedClassifier, get.Replace("mov %r3, 16", "mov %r3, 17", StringComparison.Ordinal)), VerifierInvalidHelperSize, 3);
        AssertRefused(Run(ProgramType.SchedClassifier, set.Replace("stdw [%r10-8], 0", "mov %r0, 0", StringComparison.Ordinal)), VerifierUninitializedStack, 5);
        AssertRefused(Run(ProgramType.CgroupSkb, get), VerifierHelperNotForProgramType, 3);
    }

    /// <summary>Helpers whose result is a socket or kernel object the verifier does not track are refused, saying so.</summary>
    [Theory]
    [InlineData(84)]
    [InlineData(85)]
    [InlineData(99)]
    public void SocketLookupsAreRefusedAsUntracked(int id)
    {
        var result = Run(ProgramType.SchedClassifier, $"stdw [%r10-16], 0\nstdw [%r10-8], 0\nmov %r2, %r10\nadd %r2, -16\nmov %r3, 12\nmov %r4, 0\nmov %r5, 0\ncall {id}\nmov %r0, 0\nexit");
        var diagnostic = AssertRefused(result, VerifierUntrackedHelperPointer, 7);
        Assert.Contains("does not track", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SkReleaseIsRefusedAsUntracked() =>
        AssertRefused(Run(ProgramType.SchedClassifier, "mov %r1, 0\ncall 86\nmov %r0, 0\nexit"), VerifierUntrackedHelperPointer, 1);

    /// <summary>The verifier knows skb_load_bytes, but a host whose table lacks it gets a refusal naming it.</summary>
    [Fact]
    public void AHelperTheHostLacksIsRefusedByName()
    {
        var helpers = StandardHelpers.CreateDefault();
        Assert.Null(helpers.Find(HelperIds.SkbLoadBytes));
        var diagnostic = AssertRefused(Run(ProgramType.SchedClassifier, SkbLoadBytes, helpers), VerifierUnknownHelper, 4);
        Assert.Contains("skb_load_bytes", diagnostic.Message, StringComparison.Ordinal);
        Assert.Contains(helpers.Name, diagnostic.Message, StringComparison.Ordinal);
    }

    /// <summary>A helper the host provides under a Linux id is still checked against Linux's rules for it.</summary>
    [Fact]
    public void AHostedLinuxHelperKeepsItsTypeRule()
    {
        var helpers = StandardHelpers.CreateDefault();
        Assert.NotNull(helpers.Find(HelperIds.GetCurrentPidTgid));
        AssertRefused(Run(ProgramType.Xdp, "call 14\nmov %r0, 0\nexit", helpers), VerifierHelperNotForProgramType, 0);
        AssertPasses(Run(ProgramType.Kprobe, "call 14\nmov %r0, 0\nexit", helpers));
    }

    /// <summary>The runtime's helper tables take each Linux helper's name and prototype from its one declaration.</summary>
    [Theory]
    [InlineData("default")]
    [InlineData("xdp")]
    [InlineData("tracing")]
    public void RuntimeTablesUseTheDeclaredPrototypes(string set)
    {
        var table = StandardHelpers.Create(set)!;
        Assert.NotEmpty(table);
        foreach (var helper in table.Where(h => h.Id < HelperIds.FirstHostId))
        {
            var declared = HelperCatalogue.Find(helper.Id);
            Assert.NotNull(declared);
            Assert.Equal(declared.Name, helper.Name);
            Assert.Same(declared.Prototype, helper.Prototype);
        }
    }

    /// <summary>Every helper the corpus calls is declared, with Linux's number and name.</summary>
    [Theory]
    [InlineData(9, "skb_store_bytes")]
    [InlineData(10, "l3_csum_replace")]
    [InlineData(11, "l4_csum_replace")]
    [InlineData(13, "clone_redirect")]
    [InlineData(18, "skb_vlan_push")]
    [InlineData(20, "skb_get_tunnel_key")]
    [InlineData(21, "skb_set_tunnel_key")]
    [InlineData(22, "perf_event_read")]
    [InlineData(25, "perf_event_output")]
    [InlineData(26, "skb_load_bytes")]
    [InlineData(27, "get_stackid")]
    [InlineData(28, "csum_diff")]
    [InlineData(29, "skb_get_tunnel_opt")]
    [InlineData(30, "skb_set_tunnel_opt")]
    [InlineData(31, "skb_change_proto")]
    [InlineData(32, "skb_change_type")]
    [InlineData(33, "skb_under_cgroup")]
    [InlineData(34, "get_hash_recalc")]
    [InlineData(36, "probe_write_user")]
    [InlineData(37, "current_task_under_cgroup")]
    [InlineData(38, "skb_change_tail")]
    [InlineData(39, "skb_pull_data")]
    [InlineData(43, "skb_change_head")]
    [InlineData(46, "get_socket_cookie")]
    [InlineData(49, "setsockopt")]
    [InlineData(50, "skb_adjust_room")]
    [InlineData(51, "redirect_map")]
    [InlineData(53, "sock_map_update")]
    [InlineData(54, "xdp_adjust_meta")]
    [InlineData(55, "perf_event_read_value")]
    [InlineData(56, "perf_prog_read_value")]
    [InlineData(57, "getsockopt")]
    [InlineData(58, "override_return")]
    [InlineData(59, "sock_ops_cb_flags_set")]
    [InlineData(69, "fib_lookup")]
    [InlineData(85, "sk_lookup_udp")]
    [InlineData(86, "sk_release")]
    [InlineData(99, "skc_lookup_tcp")]
    [InlineData(118, "jiffies64")]
    [InlineData(122, "get_netns_cookie")]
    [InlineData(124, "sk_assign")]
    [InlineData(137, "skc_to_tcp_sock")]
    [InlineData(152, "redirect_neigh")]
    [InlineData(155, "redirect_peer")]
    public void TheCorpusHelpersAreDeclared(int id, string name)
    {
        var rule = HelperCatalogue.Find(id);
        Assert.NotNull(rule);
        Assert.Equal(name, rule.Name);
    }
}
