using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using Bpftime.Engines;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Hosting;
using Bpftime.Tests.Maps;

namespace Bpftime.Tests.Hosting;

/// <summary>Programs compiled by clang with libbpf's headers, run unchanged on every engine.</summary>
public class RealProgramTests
{
    [StructLayout(LayoutKind.Sequential)]
    private struct LpmV4Key
    {
        public uint PrefixLength;
        public uint Address;
    }

    private static byte[] Ipv4Packet(string source, string destination, byte protocol)
    {
        var packet = new byte[14 + 20 + 8];
        for (var i = 0; i < 6; i++)
        {
            packet[i] = 0xaa;
            packet[6 + i] = 0xbb;
        }
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(12), 0x0800);
        packet[14] = 0x45;
        packet[14 + 9] = protocol;
        IPAddress.Parse(source).GetAddressBytes().CopyTo(packet, 14 + 12);
        IPAddress.Parse(destination).GetAddressBytes().CopyTo(packet, 14 + 16);
        return packet;
    }

    private static LpmV4Key Prefix(string address, uint length) =>
        new() { PrefixLength = length, Address = BitConverter.ToUInt32(IPAddress.Parse(address).GetAddressBytes()) };

    [Theory]
    [MemberData(nameof(TestEngines.BytecodeNames), MemberType = typeof(TestEngines))]
    public void XdpFirewallDropsBlockedPrefixesAndCountsPerCpu(string engine)
    {
        using var firewall = RealPrograms.Load("xdp_firewall", engine);
        var blocked = firewall.Maps["blocked"].AsHash<LpmV4Key, uint>();
        Assert.Equal(0, blocked.Update(Prefix("10.0.0.0", 8), 1));
        Assert.Equal(0, blocked.Update(Prefix("192.168.1.7", 32), 2));
        var program = firewall.Programs["firewall"];

        Assert.Equal(XdpAction.Drop, program.RunXdp(Ipv4Packet("10.1.2.3", "1.1.1.1", 6)).Action);
        Assert.Equal(XdpAction.Drop, program.RunXdp(Ipv4Packet("192.168.1.7", "1.1.1.1", 17)).Action);
        Assert.Equal(XdpAction.Pass, program.RunXdp(Ipv4Packet("192.168.1.8", "1.1.1.1", 6)).Action);
        var bounced = program.RunXdp(Ipv4Packet("8.8.8.8", "1.1.1.1", 1));
        Assert.Equal(XdpAction.Tx, bounced.Action);
        Assert.Equal(Ipv4Packet("1.1.1.1", "8.8.8.8", 1).AsSpan(14).ToArray(), bounced.Packet.AsSpan(14).ToArray());
        Assert.Equal(0xbb, bounced.Packet[0]);
        var arp = Ipv4Packet("10.1.2.3", "1.1.1.1", 6);
        arp[12] = 0x08;
        arp[13] = 0x06;
        Assert.Equal(XdpAction.Pass, program.RunXdp(arp).Action);
        Assert.Equal(XdpAction.Aborted, program.RunXdp(new byte[10]).Action);
        var dns = Ipv4Packet("192.168.1.8", "1.1.1.1", 17);
        BinaryPrimitives.WriteUInt16BigEndian(dns.AsSpan(14 + 20 + 2), 53);
        var redirected = program.RunXdp(dns);
        Assert.Equal(XdpAction.Redirect, redirected.Action);
        Assert.Equal(7U, redirected.EgressIfindex);
        Assert.Equal(0U, program.RunXdp(Ipv4Packet("192.168.1.8", "1.1.1.1", 17)).EgressIfindex);

        var counters = firewall.Maps["counters"].AsPerCpuArray<ulong>();
        var totals = Enumerable.Range(0, 4).Select(i => counters.Sum((uint)i, (a, b) => a + b)).ToArray();
        Assert.Equal([3UL, 2UL, 1UL, 1UL], totals);
        Assert.Equal(PerCpuSlots(), counters.SlotCount);
    }

    [Theory]
    [MemberData(nameof(TestEngines.BytecodeNames), MemberType = typeof(TestEngines))]
    public void XdpHelpersMoveThePacketsBounds(string engine)
    {
        using var firewall = RealPrograms.Load("xdp_firewall", engine);
        using var frame = new XdpFrame(capacity: 128);
        var packet = Enumerable.Range(0, 30).Select(i => (byte)i).ToArray();
        frame.SetPacket(packet);
        Assert.Equal(XdpAction.Pass, firewall.Programs["strip"].RunXdp(frame));
        var expected = packet[..12].Concat(packet[16..26]).ToArray();
        Assert.Equal(expected, frame.Packet.ToArray());
        // Too short to strip: the helper refuses to leave less than an Ethernet header, the program aborts.
        frame.SetPacket(packet.AsSpan(0, 18));
        Assert.Equal(XdpAction.Aborted, firewall.Programs["strip"].RunXdp(frame));
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct EventInput
    {
        public ulong Value;
        public uint Kind;
        public uint Padding;
    }

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct Event
    {
        public uint Pid;
        public uint Tid;
        public ulong Seq;
        public ulong Value;
        public ulong TimeNs;
        public fixed byte Comm[16];
    }

    [Theory]
    [MemberData(nameof(TestEngines.BytecodeNames), MemberType = typeof(TestEngines))]
    public unsafe void RingBufferProducerDeliversSubmittedEvents(string engine)
    {
        using var events = RealPrograms.Load("ringbuf_events", engine);
        var program = events.Programs["produce"];
        var reader = events.Maps["events"].AsRingBuffer();
        var input = new EventInput { Value = 11, Kind = 0 };
        Assert.Equal((ulong)(sizeof(Event) + 8), program.Run(ref input));
        input = new EventInput { Value = 22, Kind = 1 };
        program.Run(ref input);
        input = new EventInput { Value = 33, Kind = 2 };
        program.Run(ref input);
        var received = new List<Event>();
        Assert.Equal(2, reader.Poll<Event>(received.Add));
        Assert.Equal([11UL, 33UL], received.Select(e => e.Value));
        Assert.Equal([0UL, 2UL], received.Select(e => e.Seq));
        Assert.All(received, e => Assert.Equal((uint)Environment.ProcessId, e.Pid));
        var comm = received[0];
        Assert.NotEqual(0, comm.Comm[0]);
        Assert.Equal(0, reader.DroppedRecords);
        var bss = events.Maps[".bss"].AsArray<ulong>();
        Assert.Equal(3UL, bss.GetRef(0)); // seq
        Assert.Equal(0, reader.AvailableData);
    }

    [Theory]
    [MemberData(nameof(TestEngines.BytecodeNames), MemberType = typeof(TestEngines))]
    public async Task RingBufferReaderStreamsRecords(string engine)
    {
        using var events = RealPrograms.Load("ringbuf_events", engine);
        var program = events.Programs["produce"];
        var reader = events.Maps["events"].AsRingBuffer();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var producer = Task.Run(() =>
        {
            for (ulong i = 0; i < 100; i++)
            {
                var input = new EventInput { Value = i };
                program.Run(ref input);
            }
        });
        var values = new List<ulong>();
        await foreach (var record in reader.ReadAllAsync(cancel.Token))
        {
            values.Add(MemoryMarshal.Read<Event>(record).Value);
            if (values.Count == 100)
            {
                break;
            }
        }
        await producer;
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (ulong)i), values);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Sample
    {
        public uint Flow;
        public uint Bytes;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct FlowStats
    {
        public ulong Packets;
        public ulong Bytes;
    }

    [Theory]
    [MemberData(nameof(TestEngines.BytecodeNames), MemberType = typeof(TestEngines))]
    public void HashAggregatorSumsFlows(string engine)
    {
        var trace = new List<string>();
        using var aggregator = RealPrograms.Load("hash_aggregator", engine, TraceSink.ToDelegate(line =>
        {
            lock (trace)
            {
                trace.Add(line);
            }
        }));
        var aggregate = aggregator.Programs["aggregate"];
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            for (var i = 0; i < 1000; i++)
            {
                var sample = new Sample { Flow = (uint)(i % 6), Bytes = 100 };
                aggregate.Run(ref sample);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        var stats = aggregator.Maps["stats"].AsHash<uint, FlowStats>().ToDictionary();
        Assert.Equal(6, stats.Count);
        Assert.All(stats.Values, s => Assert.True(s.Packets is 668 or 664 && s.Bytes == s.Packets * 100));
        Assert.Equal(4000UL, stats.Values.Aggregate(0UL, (sum, s) => sum + s.Packets));
        Assert.Equal(4, aggregator.Maps["recent"].AsHash<uint, ulong>().Keys.Count());

        Assert.Equal(6UL, aggregator.Programs["totals"].Run(new byte[8]));
        var bss = aggregator.Maps[".bss"].AsArray<byte>();
        var totals = MemoryMarshal.Cast<byte, ulong>(MemoryMarshal.CreateSpan(ref bss.GetRef(0), 24)).ToArray();
        Assert.Equal([4000UL, 400000UL, 45UL], totals);
        Assert.Equal(["flows=6 packets=4000 bytes=400000"], trace);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Request
    {
        public uint Op;
        public uint Arg;
        public ulong Result;
    }

    [Theory]
    [MemberData(nameof(TestEngines.TailCallBytecodeNames), MemberType = typeof(TestEngines))]
    public void TailCallDispatcherRunsTheHandlers(string engine)
    {
        using var dispatch = RealPrograms.Load("tail_dispatch", engine);
        var handlers = dispatch.Maps["handlers"].AsProgramArray();
        handlers.Set(0, dispatch.Programs["double_it"]);
        handlers.Set(1, dispatch.Programs["square_it"]);
        // Slot 2 through the map's own update: the value is the program's index in the object, as an fd would be.
        Assert.Equal(0, dispatch.Maps["handlers"].Update(BitConverter.GetBytes(2U), BitConverter.GetBytes(3U), 0));
        var program = dispatch.Programs["dispatch"];
        var request = new Request { Op = 0, Arg = 21 };
        Assert.Equal(1UL, program.Run(ref request));
        Assert.Equal(42UL, request.Result);
        request = new Request { Op = 1, Arg = 12 };
        Assert.Equal(2UL, program.Run(ref request));
        Assert.Equal(144UL, request.Result);
        request = new Request { Op = 2, Arg = 5 };
        Assert.Equal(3UL, program.Run(ref request));
        Assert.Equal(unchecked((ulong)-5L), request.Result);
        request = new Request { Op = 3, Arg = 5 };
        Assert.Equal(0xdeadUL, program.Run(ref request));
        Assert.Equal([1UL, 1UL, 1UL, 0UL], dispatch.Maps["calls"].AsArray<ulong>().ReadAll());

        handlers.Set(3, dispatch.Programs["chain"]);
        Assert.Equal((ulong)(TailCalls.MaxChain + 1), dispatch.Programs["chain"].Run(ref request));
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Bss
    {
        public uint Readings;
        public uint Above;
        public unsafe fixed byte Last[32];
    }

    [Theory]
    [MemberData(nameof(TestEngines.BytecodeNames), MemberType = typeof(TestEngines))]
    public unsafe void GlobalDataConfiguresAndRecords(string engine)
    {
        using var config = RealPrograms.Load("global_config", engine);
        var program = config.Programs["convert"];
        var reading = 25;
        Assert.Equal(770UL, program.Run(ref reading));
        reading = 40;
        Assert.Equal(1040UL, program.Run(ref reading));
        reading = -5;
        Assert.Equal(unchecked((ulong)(uint)230), program.Run(ref reading) & 0xffffffff);
        var data = config.Maps[".data"].AsArray<long>().GetRef(0);
        Assert.Equal(-5, (int)data); // minimum
        Assert.Equal(40, (int)(data >> 32)); // maximum
        ref var bss = ref config.Maps[".bss"].AsArray<Bss>().GetRef(0);
        Assert.Equal(3U, bss.Readings);
        Assert.Equal(1U, bss.Above);
        fixed (byte* last = bss.Last)
        {
            Assert.Equal("230 F", Marshal.PtrToStringAnsi((nint)last));
        }
        Assert.False(((Bpftime.Maps.ArrayMap)config.Maps[".rodata"]).WritableByPrograms);
    }

    private static int PerCpuSlots() => Bpftime.Maps.PerCpu.SlotCount;
}
