using Microsoft.Extensions.Logging;

namespace Bpftime.Helpers;

/// <summary>
/// Where bpf_trace_printk's lines go (the kernel's trace_pipe): standard error by default, or a
/// <see cref="TextWriter"/>, an <see cref="ILogger"/> or a delegate the host chooses. Writes may come
/// from several threads at once.
/// </summary>
public abstract class TraceSink
{
    /// <summary>Standard error, one line per message.</summary>
    /// <remarks>Console.Error is opened on the first message, not when a helper table is made (which every load does).</remarks>
    public static TraceSink StandardError { get; } = new WriterSink(null);

    /// <summary>Drops every message.</summary>
    public static TraceSink Discard { get; } = new DelegateSink(static _ => { });

    /// <summary>Receives one formatted message (without a trailing newline).</summary>
    public abstract void Write(string message);

    public static TraceSink ToWriter(TextWriter writer) => new WriterSink(writer ?? throw new ArgumentNullException(nameof(writer)));

    /// <summary>Each message as an information entry with the message as its text.</summary>
    public static TraceSink ToLogger(ILogger logger) => new LoggerSink(logger ?? throw new ArgumentNullException(nameof(logger)));

    public static TraceSink ToDelegate(Action<string> write) => new DelegateSink(write ?? throw new ArgumentNullException(nameof(write)));

    /// <summary>Writes to <paramref name="writer"/>, or to standard error when it is null.</summary>
    private sealed class WriterSink(TextWriter? writer) : TraceSink
    {
        private readonly Lock _lock = new();

        public override void Write(string message)
        {
            var target = writer ?? Console.Error;
            lock (_lock)
            {
                target.WriteLine(message);
                target.Flush();
            }
        }
    }

    private sealed class LoggerSink(ILogger logger) : TraceSink
    {
        public override void Write(string message) => logger.Log(LogLevel.Information, new EventId(6, "bpf_trace_printk"), message, null, static (m, _) => m);
    }

    private sealed class DelegateSink(Action<string> write) : TraceSink
    {
        public override void Write(string message) => write(message);
    }
}
