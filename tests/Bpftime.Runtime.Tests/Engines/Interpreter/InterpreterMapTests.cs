using Bpftime.Engines;
using Bpftime.Execution;
using Bpftime.Isa;
using Bpftime.Maps;
using static Bpftime.Runtime.Tests.Engines.Interpreter.InterpreterHarness;

namespace Bpftime.Runtime.Tests.Engines.Interpreter;

/// <summary>Programs that reach maps through ld_imm64, alone and from many threads at once.</summary>
public sealed class InterpreterMapTests
{
    [Fact]
    public void LdImm64LoadsTheMapHandleAndValueAddresses()
    {
        using var map = ArrayMap.Create("m", 16, 1);
        foreach (var source in new[] { LoadImm64Source.MapByFd, LoadImm64Source.MapByIndex })
        {
            var handle = Assemble("lddw %r0, 0\nexit").WithLoadImm64(0, source, 0);
            Assert.Equal((ulong)map.Handle, Run(handle, maps: [map]));
        }
        foreach (var source in new[] { LoadImm64Source.MapValueByFd, LoadImm64Source.MapValueByIndex })
        {
            var value = Assemble("lddw %r0, 0\nexit").WithLoadImm64(0, source, 0, secondImm: 8);
            Assert.Equal((ulong)map.Lookup(0) + 8, Run(value, maps: [map]));
        }
        var pastEnd = Assemble("lddw %r0, 0\nexit").WithLoadImm64(0, LoadImm64Source.MapValueByIndex, 0, secondImm: 16);
        Refused(Bpftime.Diagnostics.DiagnosticCodes.UnknownMapReference, pastEnd, maps: [map]);
    }

    [Fact]
    public void ProgramsUpdateGlobalDataTheHostSees()
    {
        using var data = ArrayMap.Create(".data", 8, 1);
        BitConverter.GetBytes(40UL).CopyTo(data.GetValue(0));
        var program = Assemble("lddw %r1, 0\nldxdw %r0, [%r1+0]\nadd %r0, 2\nstxdw [%r1+0], %r0\nexit")
            .WithLoadImm64(0, LoadImm64Source.MapValueByIndex, 0);
        Assert.Equal(42UL, Run(program, maps: [data]));
        Assert.Equal(42UL, BitConverter.ToUInt64(data.GetValue(0)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ConcurrentAtomicAddsAreExact(bool verified)
    {
        const int Threads = 8;
        const int RunsPerThread = 20_000;
        using var counters = ArrayMap.Create("counters", 16, 1);
        // Adds 1 to a 64-bit and 3 to a 32-bit counter in the same value, with lock add.
        var program = Assemble("""
            lddw %r1, 0
            mov %r2, 1
            lock add [%r1+0], %r2
            mov %r3, 3
            lock add32 [%r1+8], %r3
            mov %r0, 0
            exit
            """).WithLoadImm64(0, LoadImm64Source.MapValueByIndex, 0);
        using var executable = Load(program, maps: [counters], verified: verified);
        using var start = new Barrier(Threads);
        var threads = Enumerable.Range(0, Threads).Select(_ => new Thread(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < RunsPerThread; i++)
            {
                executable.Execute(0, 0);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        var value = counters.GetValue(0);
        Assert.Equal((ulong)Threads * RunsPerThread, BitConverter.ToUInt64(value));
        Assert.Equal((uint)(Threads * RunsPerThread * 3), BitConverter.ToUInt32(value[8..]));
    }

    [Fact]
    public void ConcurrentRunsKeepTheirOwnStacks()
    {
        // Each run stores its context length on the stack, calls a function, and reads it back.
        using var executable = Load(Assemble("stxdw [%r10-8], %r2\ncall local f\nldxdw %r0, [%r10-8]\nexit\nf:\nstdw [%r10-8], 0\nexit"));
        var failures = 0;
        Parallel.For(0, 8, worker =>
        {
            var memory = new byte[worker + 1];
            for (var i = 0; i < 5_000; i++)
            {
                if (executable.Run(memory) != (ulong)memory.Length)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        });
        Assert.Equal(0, failures);
    }
}
