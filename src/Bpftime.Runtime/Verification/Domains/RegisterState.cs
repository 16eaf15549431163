using System.Globalization;

namespace Bpftime.Verification;

/// <summary>
/// One register's abstract value. For a scalar, <see cref="Value"/> bounds the number; for a
/// pointer, the address is base + <see cref="Offset"/> + a variable part bounded by <see cref="Value"/>.
/// </summary>
internal struct RegisterState : IEquatable<RegisterState>
{
    public RegisterType Type;

    /// <summary>The fixed part of a pointer's offset.</summary>
    public int Offset;

    /// <summary>The scalar's value, or the variable part of a pointer's offset (constant 0 when none).</summary>
    public ScalarRange Value;

    /// <summary>
    /// Identity shared by copies: a null check refines every register with the same id, and packet
    /// pointers with the same id share the bounds learned from comparisons with data_end.
    /// </summary>
    public int Id;

    /// <summary>For a ring-buffer record: the reference that must be released.</summary>
    public int ReferenceId;

    /// <summary>Map index (map pointers and map values), frame number (stack), target instruction (function).</summary>
    public int Target;

    /// <summary>Packet: bytes known readable past base + variable part. Memory and records: their size.</summary>
    public int Range;

    /// <summary>
    /// For a scalar: a symbolic value (given at a loop head when the loop is widened) such that the
    /// number is <see cref="Sym"/> + <see cref="Delta"/>; 0 when none. Kept by moves, spills and fills
    /// and by adding constants that cannot wrap; every other write makes a new state, which has none.
    /// It shows which counters move in one direction on every path around a loop (termination).
    /// </summary>
    public int Sym;

    /// <summary>The constant added to <see cref="Sym"/> since it was given.</summary>
    public long Delta;

    /// <summary>
    /// For a scalar: the symbol of <see cref="Relations"/> the number is exactly <see cref="Rel"/> +
    /// <see cref="RelDelta"/> of (0: none). Given when the number is first compared with another
    /// register; kept, like <see cref="Sym"/>, only by moves, spills, fills and adds of constants that
    /// cannot wrap.
    /// </summary>
    public int Rel;

    /// <summary>The constant added to <see cref="Rel"/> since it was given.</summary>
    public long RelDelta;

    /// <summary>How the number (for pointers: the variable part) relates to the (mem, len) length.</summary>
    public LengthRelation Length;

    /// <summary>The gap of <see cref="Length"/>: the number is at most (or exactly) length - gap.</summary>
    public long LengthGap;

    public static RegisterState NotInitialized => default;

    /// <summary>Marks (in <see cref="Target"/>) an uninitialised register that held different kinds of value on paths a loop head joined.</summary>
    public const int JoinedKinds = -1;

    public static RegisterState Unknown => new() { Type = RegisterType.Scalar, Value = ScalarRange.Unknown };

    public static RegisterState Scalar(ScalarRange value) => new() { Type = RegisterType.Scalar, Value = value };

    public static RegisterState Constant(ulong value) => Scalar(ScalarRange.Const(value));

    public static RegisterState Pointer(RegisterType type, int target = 0, int offset = 0) =>
        new() { Type = type, Target = target, Offset = offset, Value = ScalarRange.Const(0) };

    public readonly bool IsScalar => Type == RegisterType.Scalar;

    public readonly bool IsPointer => Type.IsPointer();

    public readonly bool IsConstant => Type == RegisterType.Scalar && Value.IsConst;

    public readonly bool HasVariableOffset => IsPointer && !Value.IsConst;

    public readonly bool Equals(RegisterState other) =>
        Type == other.Type && Offset == other.Offset && Id == other.Id && ReferenceId == other.ReferenceId
        && Target == other.Target && Range == other.Range && Value.Equals(other.Value);

    public override readonly bool Equals(object? obj) => obj is RegisterState other && Equals(other);

    public override readonly int GetHashCode() => HashCode.Combine(Type, Offset, Id, Target, Value);

    /// <summary>A short description for messages: "map_value_or_null (map 'counts')", "scalar(umax=15)".</summary>
    public readonly string Describe(Func<int, string>? mapName = null)
    {
        switch (Type)
        {
            case RegisterType.Scalar:
                return Value.IsConst ? $"the scalar {Value}" : $"a scalar ({Value})";
            case RegisterType.NotInitialized:
                return "not initialised";
        }
        var text = Type.Describe();
        if (Type is RegisterType.MapPointer or RegisterType.MapPointerOrNull or RegisterType.MapValue or RegisterType.MapValueOrNull && mapName is not null)
        {
            text += $" (map '{mapName(Target)}')";
        }
        if (Type == RegisterType.Stack)
        {
            text = Offset == 0 && Value.IsConst ? "the frame pointer" : text;
        }
        var offset = Value.IsConst ? ((long)Offset + (long)Value.ConstValue).ToString(CultureInfo.InvariantCulture) : $"{Offset}+var({Value})";
        if (Type is not (RegisterType.MapPointer or RegisterType.MapPointerOrNull or RegisterType.Function) && offset != "0")
        {
            text += " at offset " + offset;
        }
        if (Type == RegisterType.Packet)
        {
            text += Range > 0 ? $", {Range} byte(s) checked against data_end" : ", not checked against data_end";
        }
        return text;
    }
}
