using Bpftime.Engines;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Maps;
using Bpftime.Objects;
using static Bpftime.Tests.Engines.X64.Bpf;

namespace Bpftime.Tests.Maps;

public class QueueAndStackTests
{
    private static byte[] Value(uint v) => BitConverter.GetBytes(v);

    [Fact]
    public void QueueIsFirstInFirstOut()
    {
        using var queue = new QueueMap(new MapSpec("q", MapType.Queue, 0, 4, 3));
        Assert.Equal(0, queue.Push(Value(1), 0));
        Assert.Equal(0, queue.Push(Value(2), 0));
        Assert.Equal(0, queue.Push(Value(3), 0));
        Assert.Equal(-Errno.E2BIG, queue.Push(Value(4), 0));
        Assert.Equal(0, queue.Push(Value(4), MapUpdateFlags.Exist)); // drops 1
        var value = new byte[4];
        Assert.Equal(0, queue.Peek(value));
        Assert.Equal(2U, BitConverter.ToUInt32(value));
        foreach (var expected in new uint[] { 2, 3, 4 })
        {
            Assert.Equal(0, queue.Pop(value));
            Assert.Equal(expected, BitConverter.ToUInt32(value));
        }
        Assert.Equal(-Errno.ENOENT, queue.Pop(value));
        Assert.Equal(-Errno.EINVAL, queue.Push(Value(1), MapUpdateFlags.NoExist));
        Assert.Equal(0, queue.Lookup([]));
    }

    [Fact]
    public void StackIsLastInFirstOut()
    {
        using var stack = new QueueMap(new MapSpec("s", MapType.Stack, 0, 4, 3));
        stack.Push(Value(1), 0);
        stack.Push(Value(2), 0);
        stack.Push(Value(3), 0);
        stack.Push(Value(4), MapUpdateFlags.Exist); // drops the bottom (1)
        var value = new byte[4];
        foreach (var expected in new uint[] { 4, 3, 2 })
        {
            Assert.Equal(0, stack.Pop(value));
            Assert.Equal(expected, BitConverter.ToUInt32(value));
        }
        Assert.Equal(-Errno.ENOENT, stack.Peek(value));
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void ProgramsPushPopAndPeek(string engine)
    {
        using var queue = new QueueMap(new MapSpec("q", MapType.Queue, 0, 8, 2));
        // push(ctx[0]); push(ctx[0] + 1); peek -> stack; pop -> stack+8; r0 = peeked * 1000 + popped
        var code = Program(
            Mov64Reg(6, 1),
            MapPrograms.LoadMap(1, 0), Mov64Reg(2, 6), Mov64(3, 0), Call(HelperIds.MapPushElem),
            Ldx(MemorySize.DoubleWord, 1, 6, 0), Alu64(AluOperation.Add, 1, 1), Stx(MemorySize.DoubleWord, 10, 1, -8),
            MapPrograms.LoadMap(1, 0), Mov64Reg(2, 10), Alu64(AluOperation.Add, 2, -8), Mov64(3, 0), Call(HelperIds.MapPushElem),
            MapPrograms.LoadMap(1, 0), Mov64Reg(2, 10), Alu64(AluOperation.Add, 2, -16), Call(HelperIds.MapPeekElem),
            MapPrograms.LoadMap(1, 0), Mov64Reg(2, 10), Alu64(AluOperation.Add, 2, -24), Call(HelperIds.MapPopElem),
            Ldx(MemorySize.DoubleWord, 0, 10, -16), Alu64(AluOperation.Mul, 0, 1000),
            Ldx(MemorySize.DoubleWord, 1, 10, -24), Alu64Reg(AluOperation.Add, 0, 1),
            Exit());
        using var program = TestEngines.Load(engine, code, [queue]);
        Assert.Equal(5005UL, program.Run(BitConverter.GetBytes(5UL)));
        Assert.Equal(1, queue.Count);
        // Full on the next run: the second push fails, the queue keeps 6 then 9.
        Assert.Equal(6006UL, program.Run(BitConverter.GetBytes(9UL)));
    }
}
