using Bpftime.Engines;

namespace Bpftime.Tool;

/// <summary>The engines the tool offers, in the order they are listed. One place, so every command sees the same list.</summary>
internal static class EngineCatalog
{
    public static EngineRegistry CreateDefault()
    {
        var registry = new EngineRegistry();
        return registry;
    }
}
