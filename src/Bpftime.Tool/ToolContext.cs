using Bpftime.Engines;

namespace Bpftime.Tool;

/// <summary>What every command shares: the engines, and where output goes (swappable for tests).</summary>
internal sealed class ToolContext(EngineRegistry engines, TextWriter output, TextWriter error, TextReader input)
{
    public EngineRegistry Engines { get; } = engines;

    public TextWriter Output { get; } = output;

    public TextWriter Error { get; } = error;

    public TextReader Input { get; } = input;

    public static ToolContext CreateDefault() =>
        new(EngineCatalog.CreateDefault(), Console.Out, Console.Error, Console.In);
}
