using Bpftime.Engines;

namespace Bpftime.Tool;

/// <summary>
/// What every command shares: the engines, and where output goes (swappable for tests).
/// <paramref name="showProgress"/>: long steps (loading and verifying, timing) announce themselves on
/// <see cref="Error"/>; on by default only when stderr is a terminal, so redirected output stays quiet.
/// </summary>
internal sealed class ToolContext(EngineRegistry engines, TextWriter output, TextWriter error, TextReader input, bool showProgress = false)
{
    public EngineRegistry Engines { get; } = engines;

    public TextWriter Output { get; } = output;

    public TextWriter Error { get; } = error;

    public TextReader Input { get; } = input;

    public bool ShowProgress { get; } = showProgress;

    /// <summary>One progress line on stderr, when progress is shown.</summary>
    public void Progress(string message)
    {
        if (ShowProgress)
        {
            Error.WriteLine("bpftime: " + message);
            Error.Flush();
        }
    }

    public static ToolContext CreateDefault() =>
        new(EngineCatalog.CreateDefault(), Console.Out, Console.Error, Console.In, showProgress: !Console.IsErrorRedirected);
}
