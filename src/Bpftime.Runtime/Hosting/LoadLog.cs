using Microsoft.Extensions.Logging;

namespace Bpftime.Hosting;

/// <summary>Where the loader says what it chose and why: the options' logger and callback.</summary>
internal readonly struct LoadLog(BpfLoadOptions options)
{
    public void Write(string line)
    {
        options.Log?.Invoke(line);
        if (options.Logger is { } logger && logger.IsEnabled(LogLevel.Information))
        {
            logger.LogInformation("{Line}", line);
        }
    }
}
