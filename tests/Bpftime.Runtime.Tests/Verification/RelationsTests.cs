using Bpftime.Verification;

namespace Bpftime.Tests.Verification;

/// <summary>The zone itself: closure, contradiction, forgetting symbols, and the join and widening of two states' relations.</summary>
public sealed class RelationsTests
{
    [Fact]
    public void AddingAConstraintClosesOverTheOthers()
    {
        // x - y <= -1 and y - z <= 3 give x - z <= 2.
        var zone = Relations.Empty.With(1, 2, -1)!.With(2, 3, 3)!;
        Assert.Equal(2, zone.Bound(1, 3));
        Assert.Equal(Relations.Unbounded, zone.Bound(3, 1));
        // A weaker constraint changes nothing.
        Assert.Same(zone, zone.With(1, 3, 10));
    }

    [Fact]
    public void AContradictionIsReported()
    {
        // x < y and y <= x cannot both hold.
        var zone = Relations.Empty.With(1, 2, -1)!;
        Assert.Null(zone.With(2, 1, 0));
        Assert.NotNull(zone.With(2, 1, 1));
        Assert.Null(zone.With(5, 5, -1));
    }

    [Fact]
    public void ForgettingASymbolKeepsWhatItImpliedAboutTheOthers()
    {
        var zone = Relations.Empty.With(1, 2, -1)!.With(2, 3, 0)!;
        var kept = zone.Keep(new HashSet<int> { 1, 3 });
        Assert.Equal(2, kept.Count);
        Assert.Equal(-1, kept.Bound(1, 3));
        Assert.True(zone.Keep(new HashSet<int> { 7 }).IsEmpty);
    }

    private static RegisterState Scalar(ulong min, ulong max, int rel, long delta = 0) =>
        RegisterState.Scalar(ScalarRange.UnsignedRange(min, max)) with { Rel = rel, RelDelta = delta };

    private static VerifierState State(RegisterState r6, RegisterState r7, Relations relations)
    {
        var frame = new FrameState(512, functionStart: 0, callSite: -1);
        frame.Registers[6] = r6;
        frame.Registers[7] = r7;
        return new VerifierState([frame]) { Relations = relations };
    }

    private static long JoinedBound(VerifierState previous, VerifierState current, bool widen)
    {
        var result = current.Clone();
        var next = 100;
        // The registers' own join (ranges) is StateJoin's; here only the relations are joined.
        result.Current.Registers[6] = RegisterState.Scalar(RangeWidening.Join(previous.Current.Registers[6].Value, current.Current.Registers[6].Value));
        result.Current.Registers[7] = RegisterState.Scalar(RangeWidening.Join(previous.Current.Registers[7].Value, current.Current.Registers[7].Value));
        RelationFacts.Join(previous, current, result, widen, () => next++);
        return RelationFacts.Difference(result.Relations, result.Current.Registers[6], result.Current.Registers[7], rangesToo: false);
    }

    [Fact]
    public void TheJoinKeepsADifferenceBothSidesImply()
    {
        // Before the loop i = 0 with n >= 1 (i - n <= -1 from the ranges); after one trip i = I + 1 with I - N <= -1.
        var entry = State(Scalar(0, 0, rel: 0), Scalar(1, 1000, rel: 2), Relations.Empty);
        var around = State(Scalar(1, 1000, rel: 1, delta: 1), Scalar(1, 1000, rel: 2), Relations.Empty.With(1, 2, -1)!);
        Assert.Equal(0, JoinedBound(entry, around, widen: false));
        // Widening keeps it too: the bound did not grow.
        Assert.Equal(0, JoinedBound(State(Scalar(0, 5, rel: 3), Scalar(1, 1000, rel: 2), Relations.Empty.With(3, 2, 0)!), around, widen: true));
    }

    [Fact]
    public void TheJoinDropsADifferenceOneSideLacks()
    {
        var related = State(Scalar(0, 100, rel: 1), Scalar(0, 100, rel: 2), Relations.Empty.With(1, 2, -1)!);
        var unrelated = State(Scalar(0, 100, rel: 1), Scalar(0, 100, rel: 2), Relations.Empty);
        Assert.Equal(Relations.Unbounded, JoinedBound(related, unrelated, widen: false));
    }

    [Fact]
    public void WideningDropsADifferenceThatGrew()
    {
        // i - n <= -1 before, i - n <= 0 now: the join would keep 0, widening drops it.
        var before = State(Scalar(0, 1000, rel: 1), Scalar(0, 1000, rel: 2), Relations.Empty.With(1, 2, -1)!);
        var now = State(Scalar(0, 1000, rel: 1, delta: 1), Scalar(0, 1000, rel: 2), Relations.Empty.With(1, 2, -1)!);
        Assert.Equal(0, JoinedBound(before, now, widen: false));
        Assert.Equal(Relations.Unbounded, JoinedBound(before, now, widen: true));
    }

    [Fact]
    public void CoveringNeedsEveryDifferenceTheOldStateKnew()
    {
        var old = Relations.Empty.With(1, 2, -1)!;
        (RegisterState, RegisterState)[] unrelated = [(Scalar(0, 63, 1), Scalar(0, 63, 3)), (Scalar(1, 64, 2), Scalar(1, 64, 4))];
        Assert.False(RelationFacts.Covers(old, Relations.Empty, unrelated));
        // The same difference under other symbols covers; so do ranges that imply it.
        Assert.True(RelationFacts.Covers(old, Relations.Empty.With(3, 4, -2)!, unrelated));
        (RegisterState, RegisterState)[] byRanges = [(Scalar(0, 63, 1), Scalar(0, 9, 0)), (Scalar(1, 64, 2), Scalar(10, 64, 0))];
        Assert.True(RelationFacts.Covers(old, Relations.Empty, byRanges));
    }
}
