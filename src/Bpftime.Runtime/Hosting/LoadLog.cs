using Microsoft.Extensions.Logging;

namespace Bpftime.Hosting;

/// <summary>Where the loader says what it chose and why: the options' logger and callback.</summary>
internal readonly struct LoadLog(BpfLoadOptions options)
{
    // One cached message template, rather than parsing "{Line}" on every call.
    private static readonly Action<ILogger, string, Exception?> LogLine =
        LoggerMessage.Define<string>(LogLevel.Information, new EventId(1, "BpftimeLoad"), "{Line}");

    /// <summary>Whether anyone listens: callers skip composing lines nobody reads (the load path is timed at start-up).</summary>
    public bool IsEnabled => options.Log is not null || options.Logger is not null;

    public void Write(string line)
    {
        options.Log?.Invoke(line);
        if (options.Logger is { } logger && logger.IsEnabled(LogLevel.Information))
        {
            LogLine(logger, line, null);
        }
    }
}
