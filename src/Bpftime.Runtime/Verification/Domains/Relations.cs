namespace Bpftime.Verification;

/// <summary>
/// A zone (difference-bound matrix) over symbolic values: constraints "x - y &lt;= c" between the
/// numbers registers and spilled slots hold. A symbol names one value fixed on the path where it was
/// given (<see cref="RegisterState.Rel"/>); a location holds symbol + <see cref="RegisterState.RelDelta"/>
/// exactly, as an unbounded integer, for as long as only moves, spills, fills and adds of constants
/// that cannot wrap touch it. Any other write gives the location a new value without a symbol, so
/// a write never has to find and drop constraints: the old symbol just stops being held anywhere.
/// The matrix is kept closed (every implied difference is stored), which lets symbols no location
/// holds be dropped without losing what they implied about the others. Instances are immutable,
/// so states share them until a comparison on one path adds a constraint.
/// </summary>
internal sealed class Relations
{
    /// <summary>No constraint between the two symbols.</summary>
    public const long Unbounded = long.MaxValue;

    /// <summary>Constraints beyond this magnitude are dropped (keeps sums of two bounds from overflowing).</summary>
    public const long MaxBound = 1L << 61;

    /// <summary>Symbols one state relates at most; comparisons between further values learn nothing relational.</summary>
    public const int MaxSymbols = 24;

    public static readonly Relations Empty = new([], []);

    /// <summary>The symbols, ascending.</summary>
    private readonly int[] _symbols;

    /// <summary>Row-major n x n: entry (i, j) bounds symbols[i] - symbols[j] (<see cref="Unbounded"/>: no bound).</summary>
    private readonly long[] _bounds;

    private Relations(int[] symbols, long[] bounds)
    {
        _symbols = symbols;
        _bounds = bounds;
    }

    public int Count => _symbols.Length;

    public bool IsEmpty => _symbols.Length == 0;

    public IReadOnlyList<int> Symbols => _symbols;

    /// <summary>The least c known with x - y &lt;= c, or <see cref="Unbounded"/>. A symbol minus itself is 0.</summary>
    public long Bound(int x, int y)
    {
        if (x == y)
        {
            return 0;
        }
        var i = Array.BinarySearch(_symbols, x);
        var j = Array.BinarySearch(_symbols, y);
        return i < 0 || j < 0 ? Unbounded : _bounds[i * _symbols.Length + j];
    }

    /// <summary>
    /// These relations and x - y &lt;= c, closed; null when that contradicts them (no values fit: the
    /// branch that learned it cannot be taken). Unchanged when already implied or too many symbols.
    /// </summary>
    public Relations? With(int x, int y, long c)
    {
        if (x == 0 || y == 0 || c >= MaxBound)
        {
            return this;
        }
        if (c <= -MaxBound)
        {
            c = -MaxBound + 1;
        }
        if (x == y)
        {
            return c < 0 ? null : this;
        }
        if (Bound(x, y) <= c)
        {
            return this;
        }
        if (Bound(y, x) is var back && back != Unbounded && back + c < 0)
        {
            return null;
        }
        var grown = WithSymbols(x, y);
        if (grown is null)
        {
            return this;
        }
        var n = grown._symbols.Length;
        var bounds = grown._bounds;
        var xi = Array.BinarySearch(grown._symbols, x);
        var yi = Array.BinarySearch(grown._symbols, y);
        // Closed before, so one pass through the new edge closes it again: a - b <= (a - x) + c + (y - b).
        for (var a = 0; a < n; a++)
        {
            var toX = a == xi ? 0 : bounds[a * n + xi];
            if (toX == Unbounded)
            {
                continue;
            }
            for (var b = 0; b < n; b++)
            {
                if (a == b)
                {
                    continue;
                }
                var fromY = b == yi ? 0 : bounds[yi * n + b];
                if (fromY == Unbounded)
                {
                    continue;
                }
                var through = Clamp(toX + c + fromY);
                if (through < bounds[a * n + b])
                {
                    bounds[a * n + b] = through;
                }
            }
        }
        return grown;
    }

    /// <summary>A copy holding x and y too (no constraint on the new ones), or null when that makes too many.</summary>
    private Relations? WithSymbols(int x, int y)
    {
        var added = new List<int>(2);
        if (Array.BinarySearch(_symbols, x) < 0)
        {
            added.Add(x);
        }
        if (Array.BinarySearch(_symbols, y) < 0)
        {
            added.Add(y);
        }
        if (_symbols.Length + added.Count > MaxSymbols)
        {
            return null;
        }
        var symbols = _symbols.Concat(added).Order().ToArray();
        return Project(symbols);
    }

    /// <summary>The constraints among <paramref name="symbols"/> only (ascending; new ones unconstrained).</summary>
    private Relations Project(int[] symbols)
    {
        var n = symbols.Length;
        var bounds = new long[n * n];
        Array.Fill(bounds, Unbounded);
        for (var i = 0; i < n; i++)
        {
            bounds[i * n + i] = 0;
            var oi = Array.BinarySearch(_symbols, symbols[i]);
            if (oi < 0)
            {
                continue;
            }
            for (var j = 0; j < n; j++)
            {
                var oj = Array.BinarySearch(_symbols, symbols[j]);
                if (oj >= 0 && i != j)
                {
                    bounds[i * n + j] = _bounds[oi * _symbols.Length + oj];
                }
            }
        }
        return new Relations(symbols, bounds);
    }

    /// <summary>
    /// Only the symbols <paramref name="held"/> (those some location still holds): closed, so nothing
    /// they imply about each other is lost.
    /// </summary>
    public Relations Keep(IReadOnlySet<int> held)
    {
        if (_symbols.All(held.Contains))
        {
            return this;
        }
        var kept = _symbols.Where(held.Contains).ToArray();
        if (kept.Length == 0)
        {
            return Empty;
        }
        var projected = Project(kept);
        return projected.HasConstraints ? projected : Empty;
    }

    private bool HasConstraints
    {
        get
        {
            for (var i = 0; i < _bounds.Length; i++)
            {
                if (i % (_symbols.Length + 1) != 0 && _bounds[i] != Unbounded)
                {
                    return true;
                }
            }
            return false;
        }
    }

    /// <summary>
    /// A zone from constraints given one at a time (a join's result), closed at the end; constraints
    /// that contradict each other cannot arise from values two real states both satisfy.
    /// </summary>
    public static Relations FromConstraints(IEnumerable<(int X, int Y, long C)> constraints)
    {
        var list = constraints.Where(k => k.X != k.Y && k.X != 0 && k.Y != 0 && k.C < MaxBound).ToList();
        var symbols = list.SelectMany(k => new[] { k.X, k.Y }).Distinct().Order().Take(MaxSymbols).ToArray();
        if (symbols.Length == 0)
        {
            return Empty;
        }
        var n = symbols.Length;
        var bounds = new long[n * n];
        Array.Fill(bounds, Unbounded);
        for (var i = 0; i < n; i++)
        {
            bounds[i * n + i] = 0;
        }
        foreach (var (x, y, c) in list)
        {
            var i = Array.BinarySearch(symbols, x);
            var j = Array.BinarySearch(symbols, y);
            if (i >= 0 && j >= 0)
            {
                bounds[i * n + j] = Math.Min(bounds[i * n + j], Math.Max(c, -MaxBound + 1));
            }
        }
        for (var k = 0; k < n; k++)
        {
            for (var i = 0; i < n; i++)
            {
                var ik = bounds[i * n + k];
                if (ik == Unbounded)
                {
                    continue;
                }
                for (var j = 0; j < n; j++)
                {
                    var kj = bounds[k * n + j];
                    if (kj != Unbounded && i != j && Clamp(ik + kj) < bounds[i * n + j])
                    {
                        bounds[i * n + j] = Clamp(ik + kj);
                    }
                }
            }
        }
        return new Relations(symbols, bounds);
    }

    private static long Clamp(long sum) => sum >= MaxBound ? Unbounded : Math.Max(sum, -MaxBound + 1);

    /// <summary>The constraints (x, y, c) with x - y &lt;= c, for messages and tests.</summary>
    public IEnumerable<(int X, int Y, long C)> Constraints()
    {
        var n = _symbols.Length;
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                if (i != j && _bounds[i * n + j] != Unbounded)
                {
                    yield return (_symbols[i], _symbols[j], _bounds[i * n + j]);
                }
            }
        }
    }
}
