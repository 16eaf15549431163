using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Maps;
using Bpftime.Objects;
using Bpftime.Tests.Maps;
using static Bpftime.Tests.Sandbox.Argument;
using Codes = Bpftime.Diagnostics.DiagnosticCodes;

namespace Bpftime.Tests.Sandbox;

/// <summary>
/// Unverified (checked) programs pass hostile pointers and sizes to every helper that takes memory:
/// host memory, null, just past the stack, the context or a map value, sizes larger than the buffer,
/// read-only map values for writes. Each run must end in a clean BPF4xxx fault naming the helper, and
/// no byte of the host memory the program aimed at may change.
/// </summary>
public sealed unsafe class HelperArgumentTests
{
    /// <summary>A hostile call: the helper, its arguments given the host buffer's address, and the fault expected (null: any BPF40xx).</summary>
    private sealed record HostileCase(string Helper, int Id, Func<long, Argument[]> Arguments, string? Code = null, bool Tracing = false);

    // Maps the programs see: 0 a 16-byte array value, 1 a read-only one (.rodata), 2 a queue of 16-byte values, 3 a ring buffer.
    private static readonly Dictionary<string, HostileCase> s_cases = new()
    {
        ["lookup: key in host memory"] = new("map_lookup_elem", HelperIds.MapLookupElem, w => [Handle(0), Of(w)], Codes.UnknownMemoryAccess),
        ["lookup: null key"] = new("map_lookup_elem", HelperIds.MapLookupElem, _ => [Handle(0), Of(0)], Codes.NullPointerAccess),
        ["lookup: key past the stack"] = new("map_lookup_elem", HelperIds.MapLookupElem, _ => [Handle(0), Stack(-2)], Codes.StackAccessOutOfBounds),
        ["lookup: key past the context"] = new("map_lookup_elem", HelperIds.MapLookupElem, _ => [Handle(0), Context(62)], Codes.ContextAccessOutOfBounds),
        ["lookup: key past a map value"] = new("map_lookup_elem", HelperIds.MapLookupElem, _ => [Handle(0), InValue(0, 14)], Codes.MapValueAccessOutOfBounds),
        ["lookup: forged map"] = new("map_lookup_elem", HelperIds.MapLookupElem, w => [Of(w), Stack(-16)], Codes.ForgedMapHandle),
        ["update: value in host memory"] = new("map_update_elem", HelperIds.MapUpdateElem, w => [Handle(0), Stack(-8), Of(w), Of(0)], Codes.UnknownMemoryAccess),
        ["update: key in host memory"] = new("map_update_elem", HelperIds.MapUpdateElem, w => [Handle(0), Of(w), Stack(-32), Of(0)], Codes.UnknownMemoryAccess),
        ["update: value past the stack"] = new("map_update_elem", HelperIds.MapUpdateElem, _ => [Handle(0), Stack(-16), Stack(-8), Of(0)], Codes.StackAccessOutOfBounds),
        ["delete: key in host memory"] = new("map_delete_elem", HelperIds.MapDeleteElem, w => [Handle(0), Of(w)], Codes.UnknownMemoryAccess),
        ["push: value in host memory"] = new("map_push_elem", HelperIds.MapPushElem, w => [Handle(2), Of(w), Of(0)], Codes.UnknownMemoryAccess),
        ["pop: into host memory"] = new("map_pop_elem", HelperIds.MapPopElem, w => [Handle(2), Of(w)], Codes.UnknownMemoryAccess),
        ["pop: into .rodata"] = new("map_pop_elem", HelperIds.MapPopElem, _ => [Handle(2), InValue(1, 0)], Codes.WriteToReadOnlyMemory),
        ["peek: into host memory"] = new("map_peek_elem", HelperIds.MapPeekElem, w => [Handle(2), Of(w)], Codes.UnknownMemoryAccess),
        ["comm: into host memory"] = new("get_current_comm", HelperIds.GetCurrentComm, w => [Of(w), Of(16)], Codes.UnknownMemoryAccess),
        ["comm: null buffer"] = new("get_current_comm", HelperIds.GetCurrentComm, _ => [Of(0), Of(16)], Codes.NullPointerAccess),
        ["comm: size past the stack"] = new("get_current_comm", HelperIds.GetCurrentComm, _ => [Stack(-16), Of(4096)], Codes.StackAccessOutOfBounds),
        ["comm: into .rodata"] = new("get_current_comm", HelperIds.GetCurrentComm, _ => [InValue(1, 0), Of(16)], Codes.WriteToReadOnlyMemory),
        ["trace_printk: format in host memory"] = new("trace_printk", HelperIds.TracePrintk, w => [Of(w), Of(8)], Codes.UnknownMemoryAccess),
        ["trace_printk: format past the stack"] = new("trace_printk", HelperIds.TracePrintk, _ => [Stack(-4), Of(8)], Codes.StackAccessOutOfBounds),
        ["trace_vprintk: data in host memory"] = new("trace_vprintk", HelperIds.TraceVprintk, w => [Stack(-16), Of(3), Of(w), Of(8)], Codes.UnknownMemoryAccess),
        ["snprintf: output in host memory"] = new("snprintf", HelperIds.Snprintf, w => [Of(w), Of(8), Stack(-16), Of(0), Of(0)], Codes.UnknownMemoryAccess),
        ["snprintf: output in .rodata"] = new("snprintf", HelperIds.Snprintf, _ => [InValue(1, 0), Of(8), Stack(-16), Of(0), Of(0)], Codes.WriteToReadOnlyMemory),
        ["snprintf: output size past the stack"] = new("snprintf", HelperIds.Snprintf, _ => [Stack(-8), Of(64), Stack(-16), Of(0), Of(0)], Codes.StackAccessOutOfBounds),
        ["snprintf: format in host memory"] = new("snprintf", HelperIds.Snprintf, w => [Stack(-32), Of(8), Of(w), Of(0), Of(0)], Codes.UnknownMemoryAccess),
        ["snprintf: data in host memory"] = new("snprintf", HelperIds.Snprintf, w => [Stack(-32), Of(8), Stack(-16), Of(w), Of(8)], Codes.UnknownMemoryAccess),
        ["strncmp: s1 in host memory"] = new("strncmp", HelperIds.Strncmp, w => [Of(w), Of(8), Stack(-16)], Codes.UnknownMemoryAccess),
        ["strncmp: s2 in host memory"] = new("strncmp", HelperIds.Strncmp, w => [Stack(-16), Of(3), Of(w)], Codes.UnknownMemoryAccess),
        ["ringbuf_output: data in host memory"] = new("ringbuf_output", HelperIds.RingbufOutput, w => [Handle(3), Of(w), Of(8), Of(0)], Codes.UnknownMemoryAccess),
        ["ringbuf_output: size past the stack"] = new("ringbuf_output", HelperIds.RingbufOutput, _ => [Handle(3), Stack(-16), Of(64), Of(0)], Codes.StackAccessOutOfBounds),
        ["ringbuf_submit: forged record"] = new("ringbuf_submit", HelperIds.RingbufSubmit, w => [Of(w), Of(0)], Codes.ForgedRingBufferRecord),
        ["ringbuf_discard: forged record"] = new("ringbuf_discard", HelperIds.RingbufDiscard, w => [Of(w), Of(0)], Codes.ForgedRingBufferRecord),
        ["spin_lock: lock in host memory"] = new("spin_lock", HelperIds.SpinLock, w => [Of(w)], Codes.UnknownMemoryAccess),
        ["spin_lock: lock on the stack"] = new("spin_lock", HelperIds.SpinLock, _ => [Stack(-8)]),
        ["spin_lock: lock in .rodata"] = new("spin_lock", HelperIds.SpinLock, _ => [InValue(1, 0)], Codes.WriteToReadOnlyMemory),
        ["spin_unlock: lock in host memory"] = new("spin_unlock", HelperIds.SpinUnlock, w => [Of(w)], Codes.UnknownMemoryAccess),
        ["tail_call: forged map"] = new("tail_call", HelperIds.TailCall, w => [Context(0), Of(w), Of(0)], Codes.ForgedMapHandle),
        ["for_each_map_elem: forged map"] = new("for_each_map_elem", HelperIds.ForEachMapElem, w => [Of(w), Of(0), Of(0), Of(0)], Codes.ForgedMapHandle),
        ["probe_read: into host memory"] = new("probe_read", HelperIds.ProbeRead, w => [Of(w), Of(8), Stack(-16)], Codes.UnknownMemoryAccess, Tracing: true),
        ["probe_read: into .rodata"] = new("probe_read", HelperIds.ProbeRead, _ => [InValue(1, 0), Of(8), Stack(-16)], Codes.WriteToReadOnlyMemory, Tracing: true),
        ["probe_read_kernel: size past the stack"] = new("probe_read_kernel", HelperIds.ProbeReadKernel, _ => [Stack(-16), Of(4096), Stack(-16)], Codes.StackAccessOutOfBounds, Tracing: true),
        ["probe_read_user_str: into host memory"] = new("probe_read_user_str", HelperIds.ProbeReadUserStr, w => [Of(w), Of(8), Stack(-16)], Codes.UnknownMemoryAccess, Tracing: true),
        ["probe_read: in the default set"] = new("probe_read", HelperIds.ProbeRead, _ => [Stack(-16), Of(8), Stack(-32)], Codes.HelperNeedsTracingSet),
    };

    public static TheoryData<string, string> Cases
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var engine in TestEngines.All)
            {
                foreach (var name in s_cases.Keys)
                {
                    data.Add(engine.Name, name);
                }
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AHostileArgumentIsACleanFault(string engine, string name)
    {
        var hostile = s_cases[name];
        using var host = new HostBuffer();
        using var values = ArrayMap.Create("values", 16, 1);
        using var rodata = ArrayMap.Create("rodata", 16, 1, readOnlyForPrograms: true);
        using var queue = new QueueMap(new MapSpec("queue", MapType.Queue, 0, 16, 4));
        using var ring = new RingBufferMap(new MapSpec("ring", MapType.RingBuf, 0, 0, 4096));
        Assert.Equal(0, queue.Push(new byte[16], 0));
        var helpers = hostile.Tracing ? StandardHelpers.CreateTracing(TraceSink.Discard) : StandardHelpers.CreateDefault(TraceSink.Discard);
        var code = HostileCall.Program(hostile.Id, hostile.Arguments(host.Address));
        using var program = TestEngines.Load(engine, code, [values, rodata, queue, ring], helpers);
        var context = new byte[64];

        var error = Assert.Throws<BpfException>(() => program.Run(context));

        if (hostile.Code is { } expected)
        {
            Assert.Equal(expected, error.Code);
        }
        Assert.StartsWith("BPF4", error.Code);
        Assert.Contains(hostile.Helper, error.Message, StringComparison.Ordinal);
        host.AssertIntact();
        Assert.True(new ReadOnlySpan<byte>((void*)rodata.Lookup(0), 16).IndexOfAnyExcept((byte)0) < 0, ".rodata changed");
        Assert.Equal(0, ring.Consume(_ => { }));
    }
}
