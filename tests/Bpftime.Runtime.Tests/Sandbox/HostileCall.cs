using Bpftime.Isa;
using static Bpftime.Tests.Engines.X64.Bpf;

namespace Bpftime.Tests.Sandbox;

/// <summary>Where a hostile program points a helper argument.</summary>
internal enum ArgumentKind
{
    Value,
    Stack,
    Context,
    MapValue,
    MapHandle,
}

/// <summary>One helper argument: a plain value, or an address relative to the stack top, the context or a map value.</summary>
internal readonly record struct Argument(ArgumentKind Kind, long Value = 0, int Map = 0)
{
    public static Argument Of(long value) => new(ArgumentKind.Value, value);

    public static Argument Stack(int offset) => new(ArgumentKind.Stack, offset);

    public static Argument Context(int offset) => new(ArgumentKind.Context, offset);

    public static Argument InValue(int map, int offset) => new(ArgumentKind.MapValue, offset, map);

    public static Argument Handle(int map) => new(ArgumentKind.MapHandle, 0, map);

    public Instruction[] Load(int register) => Kind switch
    {
        ArgumentKind.Value => LdImm64(register, Value),
        ArgumentKind.Stack => Program(Mov64Reg(register, 10), Alu64(AluOperation.Add, register, (int)Value)),
        ArgumentKind.Context => Program(Mov64Reg(register, 6), Alu64(AluOperation.Add, register, (int)Value)),
        ArgumentKind.MapValue => LdImm64(register, (long)((ulong)(uint)Map | ((ulong)Value << 32)), src: 2),
        _ => LdImm64(register, Map, src: 1),
    };
}

/// <summary>Programs that call one helper with the arguments a hostile author chose.</summary>
internal static class HostileCall
{
    /// <summary>The string the prologue leaves at r10 - 16 (a valid format and a valid %s argument).</summary>
    public const string StackText = "ok";

    /// <summary>r6 = ctx; "ok" at r10-16, zeros at r10-8; then helper(args...); r0 = its result.</summary>
    public static Instruction[] Program(int helper, params Argument[] arguments)
    {
        var parts = new List<object>
        {
            Mov64Reg(6, 1),
            St(MemorySize.DoubleWord, 10, -8, 0),
            St(MemorySize.DoubleWord, 10, -16, 0x6b6f),
            St(MemorySize.DoubleWord, 10, -24, 0),
            St(MemorySize.DoubleWord, 10, -32, 0),
        };
        for (var i = 0; i < arguments.Length; i++)
        {
            parts.Add(arguments[i].Load(i + 1));
        }
        parts.Add(Call(helper));
        parts.Add(Exit());
        return Engines.X64.Bpf.Program([.. parts]);
    }
}
