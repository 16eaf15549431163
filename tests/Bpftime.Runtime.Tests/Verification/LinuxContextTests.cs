using Bpftime.Engines;
using Bpftime.Objects;
using Bpftime.Verification;
using static Bpftime.Diagnostics.DiagnosticCodes;
using static Bpftime.Tests.Verification.VerifierKit;

namespace Bpftime.Tests.Verification;

/// <summary>
/// Linux's context structs by program type: the reads and writes Linux allows pass, the others are
/// refused with the rule they break (out of range, misaligned, wrong width, a read-only field, a field
/// the type may not touch, a pointer stored into the context), and __sk_buff's data/data_end give
/// packet pointers that must be checked before use.
/// </summary>
public sealed class LinuxContextTests
{
    private static VerificationResult Run(ProgramType type, string source, VerifierOptions? options = null) =>
        Verify(source, options ?? new VerifierOptions { ContextSize = 64 }, type);

    // ---- __sk_buff (tc) ----

    [Theory]
    [InlineData("ldxw %r0, [%r1+0]")]      // len
    [InlineData("ldxb %r0, [%r1+0]")]      // narrow load of len
    [InlineData("ldxh %r0, [%r1+18]")]     // the upper half of protocol
    [InlineData("ldxw %r0, [%r1+140]")]    // data_meta (tc): a packet pointer
    [InlineData("ldxdw %r0, [%r1+152]")]   // tstamp
    [InlineData("ldxw %r0, [%r1+100]\nldxw %r0, [%r1+112]")] // remote_ip6[0], [3]
    public void TcReadsPass(string load) =>
        AssertPasses(Run(ProgramType.SchedClassifier, $"{load}\nmov %r0, 0\nexit"));

    [Theory]
    [InlineData("stxw [%r1+8], %r2")]      // mark
    [InlineData("stxw [%r1+32], %r2")]     // priority
    [InlineData("stxw [%r1+44], %r2")]     // tc_index
    [InlineData("stxw [%r1+72], %r2")]     // tc_classid
    [InlineData("stxw [%r1+48], %r2")]     // cb[0]
    [InlineData("stxw [%r1+64], %r2")]     // cb[4]
    [InlineData("stxdw [%r1+56], %r2")]    // cb[2..3] at once
    [InlineData("stw [%r1+52], 7")]        // cb[1], an immediate
    public void TcWritesWhereLinuxAllows(string store) =>
        AssertPasses(Run(ProgramType.SchedClassifier, $"mov %r2, 5\n{store}\nmov %r0, 0\nexit"));

    [Theory]
    [InlineData(ProgramType.SchedClassifier, "stxw [%r1+0], %r2", VerifierReadOnlyWrite)]       // len
    [InlineData(ProgramType.SchedClassifier, "stxw [%r1+68], %r2", VerifierReadOnlyWrite)]      // hash
    [InlineData(ProgramType.SchedClassifier, "stxw [%r1+76], %r2", VerifierReadOnlyWrite)]      // data
    [InlineData(ProgramType.SchedClassifier, "stxh [%r1+8], %r2", VerifierContextFieldSize)]    // half of mark
    [InlineData(ProgramType.SchedClassifier, "stxdw [%r1+8], %r2", VerifierContextFieldSize)]   // mark and queue_mapping at once
    [InlineData(ProgramType.SchedClassifier, "ldxdw %r0, [%r1+0]", VerifierContextFieldSize)]   // len and pkt_type at once
    [InlineData(ProgramType.SchedClassifier, "ldxw %r0, [%r1+2]", VerifierMisalignedAccess)]
    [InlineData(ProgramType.SchedClassifier, "ldxh %r0, [%r1+49]", VerifierMisalignedAccess)]
    [InlineData(ProgramType.SchedClassifier, "ldxw %r0, [%r1+192]", VerifierInvalidContextAccess)] // past the struct
    [InlineData(ProgramType.SchedClassifier, "ldxw %r0, [%r1-4]", VerifierInvalidContextAccess)]
    [InlineData(ProgramType.SchedClassifier, "ldxdw %r0, [%r1+168]", VerifierContextFieldNotAccessible)] // sk
    [InlineData(ProgramType.SchedClassifier, "ldxdw %r0, [%r1+144]", VerifierContextFieldNotAccessible)] // flow_keys
    [InlineData(ProgramType.SchedClassifier, "ldxh %r0, [%r1+76]", VerifierMisalignedAccess)]   // half of data
    [InlineData(ProgramType.CgroupSkb, "stxw [%r1+44], %r2", VerifierReadOnlyWrite)]            // tc_index
    [InlineData(ProgramType.CgroupSkb, "stxw [%r1+72], %r2", VerifierContextFieldNotAccessible)] // tc_classid
    [InlineData(ProgramType.CgroupSkb, "ldxw %r0, [%r1+140]", VerifierContextFieldNotAccessible)] // data_meta
    [InlineData(ProgramType.LwtIn, "ldxw %r0, [%r1+92]", VerifierContextFieldNotAccessible)]    // remote_ip4
    [InlineData(ProgramType.SkSkb, "stxw [%r1+8], %r2", VerifierContextFieldNotAccessible)]     // mark
    public void SkBuffAccessesLinuxRefuses(ProgramType type, string access, string code) =>
        AssertRefused(Run(type, $"mov %r2, 5\n{access}\nmov %r0, 0\nexit"), code, 1);

    /// <summary>A socket filter loaded with Linux's __sk_buff (the host asks for it) may write cb[] only and may not read data.</summary>
    [Fact]
    public void SocketFilterWithLinuxContext()
    {
        var options = new VerifierOptions { Context = LinuxContexts.SocketFilter };
        AssertPasses(Run(ProgramType.SocketFilter, "stw [%r1+48], 1\nldxw %r0, [%r1+0]\nexit", options));
        AssertRefused(Run(ProgramType.SocketFilter, "stw [%r1+8], 1\nmov %r0, 0\nexit", options), VerifierReadOnlyWrite, 0);
        AssertRefused(Run(ProgramType.SocketFilter, "ldxw %r2, [%r1+76]\nmov %r0, 0\nexit", options), VerifierContextFieldNotAccessible, 0);
    }

    // ---- packet access through __sk_buff ----

    private const string CheckedTcRead = """
        ldxw %r2, [%r1+76]
        ldxw %r3, [%r1+80]
        mov %r4, %r2
        add %r4, 14
        jgt %r4, %r3, drop
        ldxh %r0, [%r2+12]
        exit
        drop:
        mov %r0, 0
        exit
        """;

    [Theory]
    [InlineData(ProgramType.SchedClassifier)]
    [InlineData(ProgramType.SchedAction)]
    [InlineData(ProgramType.CgroupSkb)]
    [InlineData(ProgramType.LwtIn)]
    [InlineData(ProgramType.SkSkb)]
    public void SkBuffPacketReadAfterTheDataEndCheckPasses(ProgramType type)
    {
        var result = Run(type, CheckedTcRead);
        AssertPasses(result);
        Assert.Equal([ContextFieldKind.PacketStart, ContextFieldKind.PacketEnd], result.ContextRewrites.Select(r => r.Kind));
        Assert.Equal([76, 80], result.ContextRewrites.Select(r => r.ContextOffset));
    }

    [Fact]
    public void SkBuffPacketReadWithoutTheCheckIsRefused() =>
        AssertRefused(Run(ProgramType.SchedClassifier, "ldxw %r2, [%r1+76]\nldxh %r0, [%r2+12]\nexit"), VerifierPacketOutOfBounds, 1);

    [Fact]
    public void SkBuffPacketReadPastTheCheckedLengthIsRefused() =>
        AssertRefused(Run(ProgramType.SchedClassifier, CheckedTcRead.Replace("ldxh %r0, [%r2+12]", "ldxh %r0, [%r2+13]", StringComparison.Ordinal)), VerifierPacketOutOfBounds, 5);

    [Fact]
    public void SkBuffPacketWriteAfterTheCheckPasses() =>
        AssertPasses(Run(ProgramType.SchedClassifier, CheckedTcRead.Replace("ldxh %r0, [%r2+12]", "sth [%r2+12], 8\nmov %r0, 0", StringComparison.Ordinal)));

    /// <summary>Helpers that move packet data (skb_store_bytes here) make every packet pointer stale.</summary>
    [Fact]
    public void PacketPointersAreStaleAfterSkbStoreBytes()
    {
        var result = Run(ProgramType.SchedClassifier, """
            mov %r6, %r1
            ldxw %r7, [%r1+76]
            ldxw %r3, [%r1+80]
            mov %r4, %r7
            add %r4, 14
            jgt %r4, %r3, drop
            stdw [%r10-8], 0
            mov %r1, %r6
            mov %r2, 0
            mov %r3, %r10
            add %r3, -8
            mov %r4, 8
            mov %r5, 0
            call 9
            ldxh %r0, [%r7+12]
            exit
            drop:
            mov %r0, 0
            exit
            """);
        AssertRefused(result, VerifierInvalidMemoryAccess, 14);
    }

    // ---- hostile: pointers stored into the context ----

    [Theory]
    [InlineData("stxdw [%r1+48], %r10")]               // the frame pointer into cb[0..1]
    [InlineData("stxdw [%r1+48], %r1")]                // the context pointer into cb
    [InlineData("stxw [%r1+8], %r1")]                  // the low half of the context pointer into mark
    [InlineData("ldmap %r2, 0\nstxdw [%r1+56], %r2")]  // a map pointer into cb
    public void PointersMayNotBeStoredInContextFields(string store)
    {
        var result = Run(ProgramType.SchedClassifier, $"{store}\nmov %r0, 0\nexit");
        Assert.False(result.Passed);
        Assert.Equal(VerifierPointerLeak, result.Diagnostics[0].Code);
    }

    [Fact]
    public void APacketPointerMayNotBeStoredInCb()
    {
        var result = Run(ProgramType.SchedClassifier, "ldxw %r2, [%r1+76]\nstxw [%r1+48], %r2\nmov %r0, 0\nexit");
        AssertRefused(result, VerifierPointerLeak, 1);
    }

    // ---- pt_regs, tracepoints, perf events ----

    [Theory]
    [InlineData(ProgramType.Kprobe, "ldxdw %r0, [%r1+112]")]     // di
    [InlineData(ProgramType.Kretprobe, "ldxdw %r0, [%r1+80]")]   // ax
    [InlineData(ProgramType.Uprobe, "ldxw %r0, [%r1+104]")]      // the low half of si
    [InlineData(ProgramType.Tracepoint, "ldxdw %r0, [%r1+8]")]
    [InlineData(ProgramType.Tracepoint, "ldxw %r0, [%r1+2044]")]
    [InlineData(ProgramType.RawTracepoint, "ldxdw %r0, [%r1+88]")]
    [InlineData(ProgramType.PerfEvent, "ldxdw %r0, [%r1+168]")]  // sample_period
    [InlineData(ProgramType.PerfEvent, "ldxdw %r0, [%r1+128]")]  // regs.ip
    public void TracingReadsPass(ProgramType type, string load) =>
        AssertPasses(Run(type, $"{load}\nmov %r0, 0\nexit"));

    [Theory]
    [InlineData(ProgramType.Kprobe, "stxdw [%r1+80], %r2", VerifierReadOnlyWrite)]
    [InlineData(ProgramType.Kprobe, "ldxdw %r0, [%r1+168]", VerifierInvalidContextAccess)]
    [InlineData(ProgramType.Kprobe, "ldxdw %r0, [%r1+4]", VerifierMisalignedAccess)]
    [InlineData(ProgramType.Kprobe, "ldxw %r0, [%r1+6]", VerifierMisalignedAccess)]
    [InlineData(ProgramType.Tracepoint, "ldxdw %r0, [%r1+0]", VerifierContextFieldNotAccessible)] // the common header
    [InlineData(ProgramType.Tracepoint, "ldxdw %r0, [%r1+2048]", VerifierInvalidContextAccess)]
    [InlineData(ProgramType.Tracepoint, "stxw [%r1+8], %r2", VerifierReadOnlyWrite)]
    [InlineData(ProgramType.Tracepoint, "ldxw %r0, [%r1+10]", VerifierMisalignedAccess)]
    [InlineData(ProgramType.RawTracepoint, "ldxdw %r0, [%r1+96]", VerifierInvalidContextAccess)]
    [InlineData(ProgramType.RawTracepoint, "stxdw [%r1+0], %r2", VerifierReadOnlyWrite)]
    [InlineData(ProgramType.PerfEvent, "stxdw [%r1+168], %r2", VerifierReadOnlyWrite)]
    [InlineData(ProgramType.PerfEvent, "ldxdw %r0, [%r1+184]", VerifierInvalidContextAccess)]
    public void TracingAccessesLinuxRefuses(ProgramType type, string access, string code) =>
        AssertRefused(Run(type, $"mov %r2, 5\n{access}\nmov %r0, 0\nexit"), code, 1);

    // ---- socket and cgroup contexts ----

    [Theory]
    [InlineData(ProgramType.SockOps, "ldxw %r0, [%r1+0]")]          // op
    [InlineData(ProgramType.SockOps, "stxw [%r1+4], %r2")]          // reply
    [InlineData(ProgramType.SockOps, "stxw [%r1+8], %r2")]          // replylong[1]
    [InlineData(ProgramType.SockOps, "stxw [%r1+164], %r2")]        // sk_txhash
    [InlineData(ProgramType.SockOps, "ldxdw %r0, [%r1+168]")]       // bytes_received
    [InlineData(ProgramType.CgroupSock, "stxw [%r1+16], %r2")]      // mark
    [InlineData(ProgramType.CgroupSock, "ldxw %r0, [%r1+4]")]       // family
    [InlineData(ProgramType.CgroupSockAddr, "stxw [%r1+4], %r2")]   // user_ip4
    [InlineData(ProgramType.CgroupSockAddr, "stxw [%r1+12], %r2")]  // user_ip6[1]
    [InlineData(ProgramType.CgroupSockAddr, "stxw [%r1+24], %r2")]  // user_port
    [InlineData(ProgramType.CgroupSysctl, "stxw [%r1+4], %r2")]     // file_pos
    [InlineData(ProgramType.CgroupSockopt, "stxw [%r1+36], %r2")]   // retval
    [InlineData(ProgramType.SkMsg, "ldxw %r0, [%r1+20]")]           // remote_ip4
    public void SocketContextAccessesPass(ProgramType type, string access) =>
        AssertPasses(Run(type, $"mov %r2, 5\n{access}\nmov %r0, 0\nexit"));

    [Theory]
    [InlineData(ProgramType.SockOps, "stxw [%r1+0], %r2", VerifierReadOnlyWrite)]            // op
    [InlineData(ProgramType.SockOps, "ldxdw %r0, [%r1+184]", VerifierContextFieldNotAccessible)] // sk
    [InlineData(ProgramType.SockOps, "ldxdw %r0, [%r1+192]", VerifierContextFieldNotAccessible)] // skb_data
    [InlineData(ProgramType.SockOps, "ldxw %r0, [%r1+224]", VerifierInvalidContextAccess)]
    [InlineData(ProgramType.CgroupSock, "stxw [%r1+4], %r2", VerifierReadOnlyWrite)]         // family
    [InlineData(ProgramType.CgroupSockAddr, "stxw [%r1+28], %r2", VerifierReadOnlyWrite)]    // family
    [InlineData(ProgramType.CgroupSockAddr, "ldxdw %r0, [%r1+64]", VerifierContextFieldNotAccessible)] // sk
    [InlineData(ProgramType.CgroupSysctl, "stxw [%r1+0], %r2", VerifierReadOnlyWrite)]       // write
    [InlineData(ProgramType.CgroupSysctl, "ldxw %r0, [%r1+8]", VerifierInvalidContextAccess)]
    [InlineData(ProgramType.CgroupSockopt, "ldxdw %r0, [%r1+0]", VerifierContextFieldNotAccessible)] // sk
    [InlineData(ProgramType.CgroupSockopt, "stxdw [%r1+8], %r2", VerifierReadOnlyWrite)]     // optval
    public void SocketContextAccessesLinuxRefuses(ProgramType type, string access, string code) =>
        AssertRefused(Run(type, $"mov %r2, 5\n{access}\nmov %r0, 0\nexit"), code, 1);

    [Fact]
    public void SockoptValueIsAPacketRange()
    {
        AssertPasses(Run(ProgramType.CgroupSockopt, """
            ldxdw %r2, [%r1+8]
            ldxdw %r3, [%r1+16]
            mov %r4, %r2
            add %r4, 4
            jgt %r4, %r3, out
            ldxw %r0, [%r2+0]
            out:
            mov %r0, 1
            exit
            """));
        AssertRefused(Run(ProgramType.CgroupSockopt, "ldxdw %r2, [%r1+8]\nldxw %r0, [%r2+0]\nexit"), VerifierPacketOutOfBounds, 1);
    }

    /// <summary>
    /// Hostile: a proof against __sk_buff or pt_regs says nothing about the raw buffer an engine would
    /// hand the program, so it cannot mark an image verified (the engines would drop the checks that
    /// stop the read of ctx+160 on a 64-byte buffer). Raw memory and xdp_md proofs still do.
    /// </summary>
    [Theory]
    [InlineData(ProgramType.SchedClassifier, "ldxw %r0, [%r1+160]\nexit")]
    [InlineData(ProgramType.Kprobe, "ldxdw %r0, [%r1+160]\nexit")]
    [InlineData(ProgramType.Tracepoint, "ldxdw %r0, [%r1+2000]\nexit")]
    public void ALinuxStructProofDoesNotMarkAnImageVerified(ProgramType type, string source)
    {
        var result = Run(type, source);
        AssertPasses(result);
        var image = new Bpftime.Engines.ProgramImage("p", Assemble(source), new Bpftime.Helpers.HelperTable("none")).WithVerification(result);
        Assert.False(image.Verified);
    }

    [Theory]
    [InlineData(ProgramType.Unspecified, "ldxw %r0, [%r1+60]\nexit")]
    [InlineData(ProgramType.Xdp, "ldxw %r0, [%r1+16]\nexit")]
    public void RawMemoryAndXdpProofsMarkAnImageVerified(ProgramType type, string source)
    {
        var result = Run(type, source);
        AssertPasses(result);
        var image = new Bpftime.Engines.ProgramImage("p", Assemble(source), new Bpftime.Helpers.HelperTable("none")).WithVerification(result);
        Assert.True(image.Verified);
    }

    /// <summary>Where the host runs a program on raw memory, it says so and the type's struct is not assumed.</summary>
    [Fact]
    public void AnExplicitRawLayoutOverridesTheType()
    {
        var options = new VerifierOptions { Context = ContextLayout.RawMemory(64) };
        AssertRefused(Run(ProgramType.SchedClassifier, "ldxw %r2, [%r1+76]\nmov %r0, 0\nexit", options), VerifierInvalidContextAccess, 0);
        // On raw memory the same load is a number, not a packet pointer.
        AssertRefused(Run(ProgramType.SchedClassifier, "ldxw %r2, [%r1+60]\nldxb %r0, [%r2+0]\nexit", options), VerifierInvalidMemoryAccess, 1);
    }
}
