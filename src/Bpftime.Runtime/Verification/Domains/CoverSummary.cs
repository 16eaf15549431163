namespace Bpftime.Verification;

/// <summary>
/// The few facts of a kept state that a state it covers must share, packed into one object with the
/// checkpoint: its frame and reference counts, whether a lock is held, the least packet length, and
/// the type of each register of the innermost frame (5 bits each). Most comparisons at a busy point
/// fail on one of these, and checking them here spares loading the kept state's frames, registers and
/// stack from memory. It is only a necessary condition: a state that passes is then compared in full.
/// </summary>
internal readonly struct CoverSummary
{
    private const int TypeBits = 5;
    private const ulong TypeMask = (1UL << TypeBits) - 1;

    private readonly int _frames;
    private readonly int _references;
    private readonly bool _locked;
    private readonly long _lengthMin;
    private readonly ulong _types;

    /// <summary>The fields of registers whose type is not NotInitialized (an unset register in a kept state covers anything).</summary>
    private readonly ulong _initialized;

    private CoverSummary(int frames, int references, bool locked, long lengthMin, ulong types, ulong initialized)
    {
        _frames = frames;
        _references = references;
        _locked = locked;
        _lengthMin = lengthMin;
        _types = types;
        _initialized = initialized;
    }

    public static CoverSummary Of(VerifierState state)
    {
        var registers = state.Current.Registers;
        ulong types = 0;
        ulong initialized = 0;
        for (var r = 0; r < FrameState.RegisterCount; r++)
        {
            var type = (ulong)registers[r].Type;
            types |= type << (r * TypeBits);
            if (registers[r].Type != RegisterType.NotInitialized)
            {
                initialized |= TypeMask << (r * TypeBits);
            }
        }
        return new CoverSummary(state.Frames.Count, state.References.Count, state.LockHeldSince >= 0, state.LengthMin, types, initialized);
    }

    /// <summary>The register fields of a live-register mask (bit r: register r).</summary>
    public static ulong LiveFields(int live)
    {
        ulong fields = 0;
        for (var r = 0; r < FrameState.RegisterCount; r++)
        {
            if ((live & (1 << r)) != 0)
            {
                fields |= TypeMask << (r * TypeBits);
            }
        }
        return fields;
    }

    /// <summary>
    /// False when the kept state (this) cannot cover <paramref name="now"/> however the rest compares:
    /// the frames, references or lock differ, <paramref name="now"/> proved a shorter packet, or a
    /// register of <paramref name="liveFields"/> set in the kept state holds another type now.
    /// </summary>
    public bool MayCover(in CoverSummary now, ulong liveFields) =>
        _frames == now._frames && _references == now._references && _locked == now._locked && now._lengthMin >= _lengthMin
        && ((_types ^ now._types) & _initialized & liveFields) == 0;
}
