using Bpftime.Diagnostics;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Maps;
using Bpftime.Objects;
using Bpftime.Tests.Maps;
using static Bpftime.Tests.Engines.X64.Bpf;

namespace Bpftime.Tests.Sandbox;

/// <summary>
/// A frame a local call has returned from is dead: its bytes are stale (whatever the callee left),
/// and a checked program may not hand them to a helper, on any engine.
/// </summary>
public sealed class DeadFrameTests
{
    public static TheoryData<string> CheckedEngines => TestEngines.CheckedNames;

    /// <summary>
    /// The callee leaves a marker in its frame and returns; the caller then passes the callee's old
    /// slot (just below its own frame) to ringbuf_output. The helper must refuse it and copy nothing.
    /// </summary>
    [Theory]
    [MemberData(nameof(CheckedEngines))]
    public void AHelperArgumentInADeadFrameFaults(string engine)
    {
        using var ring = new RingBufferMap(new MapSpec("ring", MapType.RingBuf, 0, 0, 4096));
        var code = Program(
            CallLocal(9),
            LdImm64(1, 0, src: 1),
            Mov64Reg(2, 10),
            Alu64(AluOperation.Add, 2, -512 - 8),
            Mov64(3, 8),
            Mov64(4, 0),
            Call(HelperIds.RingbufOutput),
            Mov64(0, 0),
            Exit(),
            // The callee: a marker in its frame's top slot.
            St(MemorySize.DoubleWord, 10, -8, 0x41414141),
            Mov64(0, 0),
            Exit());
        using var program = TestEngines.Load(engine, code, [ring], StandardHelpers.CreateDefault(TraceSink.Discard));

        var (_, error) = SandboxRun.Run(program);

        var fault = Assert.IsType<BpfException>(error);
        Assert.StartsWith("BPF400", fault.Code);
        Assert.Contains("ringbuf_output", fault.Message, StringComparison.Ordinal);
        Assert.Equal(0, ring.Consume(_ => { }));
    }
}
