using Bpftime.Diagnostics;
using Bpftime.Helpers;
using Bpftime.Hosting;
using Bpftime.Isa;
using Bpftime.Maps;
using Bpftime.Objects;
using Bpftime.Tests.Maps;
using static Bpftime.Tests.Engines.X64.Bpf;

namespace Bpftime.Tests.Sandbox;

/// <summary>
/// A ring-buffer record belongs to the run that reserved it: another program on the same ring that
/// learns its address (through a shared map) may neither touch, submit nor discard it, while the
/// reserving run is still going (a nested run on the same thread) or after it ended holding it.
/// </summary>
public sealed unsafe class RingRecordOwnershipTests
{
    private const int RunOtherHelperId = 0x7000;

    public static TheoryData<string, string> StealCases
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var engine in TestEngines.All.Where(e => e.Name != BpfLoadOptions.AotEngine).Select(e => e.Name))
            {
                data.Add(engine, "submit");
                data.Add(engine, "discard");
                data.Add(engine, "write");
            }
            return data;
        }
    }

    /// <summary>
    /// The holder reserves a record, leaves its address in the shared array, and calls a host helper
    /// that runs the thief on the same ring while the record is still reserved; the thief's attempt
    /// faults, the holder then submits its own record, and the consumer sees the holder's bytes.
    /// </summary>
    [Theory]
    [MemberData(nameof(StealCases))]
    public void ARecordReservedByARunningProgramIsNotAnotherProgramsToTouch(string engine, string how)
    {
        using var ring = new RingBufferMap(new MapSpec("ring", MapType.RingBuf, 0, 0, 4096));
        using var shared = ArrayMap.Create("shared", 8, 1);
        Exception? thiefError = null;
        Bpftime.Execution.IBpfExecutable? thief = null;
        var helpers = StandardHelpers.CreateDefault(TraceSink.Discard).Add(new HelperFunction(RunOtherHelperId, "run_other",
            HelperPrototype.Of(HelperReturnKind.Integer), (_, _, _, _, _) =>
            {
                try
                {
                    thief!.Execute(0, 0);
                }
                catch (Exception e)
                {
                    thiefError = e;
                }
                return 0;
            }));
        using var holder = TestEngines.Load(engine, Holder(), [ring, shared], helpers);
        thief = TestEngines.Load(engine, Thief(how), [ring, shared], helpers);
        using var thiefOwned = thief;

        var (result, error) = SandboxRun.Run(holder);

        Assert.Null(error);
        Assert.Equal(1UL, result);
        var fault = Assert.IsType<BpfException>(thiefError);
        if (how != "write")
        {
            Assert.Equal(DiagnosticCodes.ForgedRingBufferRecord, fault.Code);
        }
        var records = new List<byte[]>();
        Assert.Equal(1, ring.Consume(r => records.Add(r.ToArray())));
        Assert.Equal((ulong)HolderBytes, BitConverter.ToUInt64(records[0]));
    }

    /// <summary>A record a checked run left reserved when it ended is no later run's to submit.</summary>
    [Theory]
    [MemberData(nameof(CheckedEngines))]
    public void ARecordLeftReservedByAnEndedRunIsNotAnotherProgramsToSubmit(string engine)
    {
        using var ring = new RingBufferMap(new MapSpec("ring", MapType.RingBuf, 0, 0, 4096));
        using var shared = ArrayMap.Create("shared", 8, 1);
        var helpers = StandardHelpers.CreateDefault(TraceSink.Discard);
        using var leaker = TestEngines.Load(engine, Program(ReserveAndShare(), Mov64(0, 1), Exit()), [ring, shared], helpers);
        using var thief = TestEngines.Load(engine, Thief("submit"), [ring, shared], helpers);

        var outcomes = SandboxRun.RunRepeatedly(leaker, 1);
        Assert.Null(outcomes[0].Error);
        var (_, error) = SandboxRun.Run(thief);

        Assert.Equal(DiagnosticCodes.ForgedRingBufferRecord, Assert.IsType<BpfException>(error).Code);
        Assert.Equal(0, ring.Consume(_ => { }));
    }

    public static TheoryData<string> CheckedEngines => TestEngines.CheckedNames;

    private const long HolderBytes = 0x686f6c646572;

    /// <summary>r7 = ringbuf_reserve(ring, 8, 0), or exit 0; shared[0] = r7; *r7 = holder bytes.</summary>
    private static Instruction[] ReserveAndShare() => Program(
        LdImm64(1, 0, src: 1),
        Mov64(2, 8),
        Mov64(3, 0),
        Call(HelperIds.RingbufReserve),
        Jmp(JumpOperation.Jne, 0, 0, 2),
        Mov64(0, 0),
        Exit(),
        Mov64Reg(7, 0),
        LdImm64(8, 1, src: 2),
        Stx(MemorySize.DoubleWord, 8, 7, 0),
        LdImm64(1, HolderBytes),
        Stx(MemorySize.DoubleWord, 7, 1, 0));

    /// <summary>Reserves and shares a record, lets the thief run, then submits the record and returns 1.</summary>
    private static Instruction[] Holder() => Program(
        ReserveAndShare(),
        Call(RunOtherHelperId),
        Mov64Reg(1, 7),
        Mov64(2, 0),
        Call(HelperIds.RingbufSubmit),
        Mov64(0, 1),
        Exit());

    /// <summary>Takes the record's address from shared[0] and submits, discards or overwrites it.</summary>
    private static Instruction[] Thief(string how)
    {
        var take = Program(LdImm64(8, 1, src: 2), Ldx(MemorySize.DoubleWord, 1, 8, 0));
        var act = how switch
        {
            "submit" => Program(Mov64(2, 0), Call(HelperIds.RingbufSubmit)),
            "discard" => Program(Mov64(2, 0), Call(HelperIds.RingbufDiscard)),
            _ => Program(St(MemorySize.DoubleWord, 1, 0, 0x7468)),
        };
        return Program(take, act, Mov64(0, 0), Exit());
    }
}
