using Bpftime.Helpers;
using Bpftime.Hosting;
using Microsoft.Extensions.Logging;

namespace Bpftime.Tests.Helpers;

public class TraceSinkTests
{
    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception)));
    }

    [Fact]
    public void TraceGoesToAWriterOrALogger()
    {
        var writer = new StringWriter();
        TraceSink.ToWriter(writer).Write("one");
        Assert.Equal("one" + Environment.NewLine, writer.ToString());
        var logger = new ListLogger();
        TraceSink.ToLogger(logger).Write("two");
        Assert.Equal([(LogLevel.Information, "two")], logger.Entries);
    }

    [Fact]
    public void NamedSetsTakeATraceSink()
    {
        var lines = new List<string>();
        var table = BpfHelperSets.Find("xdp", TraceSink.ToDelegate(lines.Add))!;
        Assert.Equal("xdp", table.Name);
        var format = System.Text.Encoding.ASCII.GetBytes("hi %s\0");
        var argument = System.Text.Encoding.ASCII.GetBytes("there\0");
        unsafe
        {
            fixed (byte* f = format)
            fixed (byte* a = argument)
            {
                Assert.Equal(8UL, table.Find(HelperIds.TracePrintk)!.Implementation((ulong)f, (ulong)format.Length, (ulong)a, 0, 0));
            }
        }
        Assert.Equal(["hi there"], lines);
        Assert.Null(BpfHelperSets.Find("none", TraceSink.Discard));
    }

    [Fact]
    public unsafe void TraceVprintkTakesAnArgumentArray()
    {
        var lines = new List<string>();
        var helper = TraceHelpers.TraceVprintk(TraceSink.ToDelegate(lines.Add));
        var format = System.Text.Encoding.ASCII.GetBytes("loop=%llu first=%d last=%d of %d\n\0");
        var data = stackalloc ulong[4] { 45, 0, 9, 10 };
        fixed (byte* f = format)
        {
            Assert.Equal(29UL, helper.Implementation((ulong)f, (ulong)format.Length, (ulong)data, 32, 0));
            Assert.Equal(unchecked((ulong)-22L), helper.Implementation((ulong)f, (ulong)format.Length, (ulong)data, 12, 0));
            Assert.Equal(unchecked((ulong)-22L), helper.Implementation((ulong)f, (ulong)format.Length, (ulong)data, 24, 0));
        }
        Assert.Equal(["loop=45 first=0 last=9 of 10"], lines);
        Assert.Equal("trace_vprintk", StandardHelpers.CreateDefault().Find(HelperIds.TraceVprintk)!.Name);
    }
}
