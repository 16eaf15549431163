using Bpftime.Helpers;
using Bpftime.Verification;

namespace Bpftime.Tests.Verification;

/// <summary>
/// Each instruction's assertions come from one place, in the order they are checked: the registers it
/// reads, and for a helper call what the declared prototype asks of each argument register.
/// </summary>
public sealed class AssertionExtractorTests
{
    private static Assertion[] Of(string source, int index = 0, HelperTable? helpers = null) =>
        new AssertionExtractor(helpers).Extract(VerifierKit.Assemble(source)[index]);

    [Fact]
    public void AluReadsSourceThenDestination()
    {
        var assertions = Of("add %r1, %r2");
        Assert.Equal([new RegisterInitialized(2, "a source operand"), new RegisterInitialized(1, "the destination of r1 += r2")], assertions);
    }

    [Fact]
    public void MoveDoesNotReadItsDestination()
    {
        Assert.Empty(Of("mov %r1, 1"));
        Assert.Equal([new RegisterInitialized(3, "a source operand")], Of("mov %r1, %r3"));
    }

    [Fact]
    public void ExitAssertsTheReturnValueTheLockTheValuesKindThenTheRecords()
    {
        Assert.Equal([new ReturnValueSet(), new LockReleasedAtExit(), new ReturnValueKind(), new ReferencesReleasedAtExit()], Of("exit"));
    }

    [Fact]
    public void AtomicsAssertANumberOperandAndTheirTargetAndCmpxchgItsExpectedValue()
    {
        Assertion[] operands =
        [
            new RegisterInitialized(10, "the address of an atomic operation"),
            new RegisterInitialized(2, "the operand of an atomic operation"),
            new AtomicOperand(2),
            new AtomicTarget(10),
        ];
        Assert.Equal(operands, Of("lock add [%r10-8], %r2"));
        var cmpxchg = new Bpftime.Isa.Instruction((byte)(0xc3 | 0x18), 10, 2, -8, unchecked((int)0xf1));
        Assert.Equal([.. operands, new CmpxchgExpected()], new AssertionExtractor(null).Extract(cmpxchg));
    }

    [Fact]
    public void LegacyPacketLoadsAssertWhereTheyMayRunTheSocketBufferAndLdIndsOffset()
    {
        var ldAbs = new Bpftime.Isa.Instruction(0x20 | 0x10, 0, 0, 0, 12);
        var ldInd = new Bpftime.Isa.Instruction(0x40 | 0x10, 0, 3, 0, 12);
        Assert.Equal([new LegacyPacketLoadAllowed(), new LegacyPacketSocketBuffer()], new AssertionExtractor(null).Extract(ldAbs));
        Assert.Equal([new LegacyPacketLoadAllowed(), new LegacyPacketSocketBuffer(), new LegacyPacketOffset(3)], new AssertionExtractor(null).Extract(ldInd));
    }

    [Fact]
    public void StoreReadsAddressThenValue()
    {
        Assert.Equal([new RegisterInitialized(10, "the address of a store"), new RegisterInitialized(4, "the value of a store")], Of("stxdw [%r10-8], %r4"));
        Assert.Equal([new RegisterInitialized(2, "the address of a load")], Of("ldxw %r0, [%r2+4]"));
    }

    [Fact]
    public void MapLookupAssertsAMapThenAKeyOfItsSize()
    {
        var assertions = Of("call 1");
        Assert.Equal(
        [
            new HelperAvailable(HelperIds.MapLookupElem, HelperCatalogue.Find(HelperIds.MapLookupElem)),
            new LockDiscipline(HelperIds.MapLookupElem, "map_lookup_elem"),
            new ArgumentInitialized(1, "argument 1 of map_lookup_elem", "a map"),
            new MapPointerArgument(1, "argument 1 of map_lookup_elem"),
            new ArgumentInitialized(2, "argument 2 of map_lookup_elem", "a pointer to the key"),
            new MapKeyValueArgument(2, "argument 2 of map_lookup_elem", Key: true, Writes: false),
        ], assertions);
    }

    [Fact]
    public void MemoryArgumentTakesItsSizeFromTheNextArgument()
    {
        var ringbufOutput = Of("call 130").OfType<MemoryArgument>().Single();
        Assert.Equal(2, ringbufOutput.Register);
        Assert.Equal(3, ringbufOutput.SizeRegister);
        Assert.Equal(MemoryUse.Read, ringbufOutput.Use);
        Assert.True(ringbufOutput.ZeroSizeAllowed);
        var comm = Of("call 16").OfType<MemoryArgument>().Single();
        Assert.Equal(MemoryUse.Write, comm.Use);
        Assert.False(comm.ZeroSizeAllowed);
    }

    [Fact]
    public void TailCallAssertsNoHeldRecord() => Assert.IsType<NoHeldReferences>(Of("call 12")[^1]);

    [Fact]
    public void UnknownHelperAssertsOnlyThatItIsAvailable() => Assert.Equal([new HelperAvailable(9999, null)], Of("call 9999"));

    [Fact]
    public void HostHelperWithoutPrototypeHasNoArgumentAssertions()
    {
        var helpers = new HelperTable("host", [new HelperFunction(1000, "host_any", HelperPrototype.Unchecked, (_, _, _, _, _) => 0)]);
        var assertions = Of("call 1000", helpers: helpers);
        Assert.DoesNotContain(assertions, a => a is HelperArgumentAssertion);
    }
}
