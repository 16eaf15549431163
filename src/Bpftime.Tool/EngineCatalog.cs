using Bpftime.Compiler.Aot;
using Bpftime.Compiler.LlvmJit;
using Bpftime.Engines;
using Bpftime.Engines.Interpreter;
using Bpftime.Engines.X64;

namespace Bpftime.Tool;

/// <summary>The engines the tool offers, in the order they are listed. One place, so every command sees the same list.</summary>
internal static class EngineCatalog
{
    public static EngineRegistry CreateDefault()
    {
        var registry = new EngineRegistry();
        registry.Register(InterpreterEngine.Instance);
        registry.Register(new X64JitEngine());
        registry.Register(new LlvmJitEngine());
        registry.Register(new AotEngine());
        return registry;
    }
}
