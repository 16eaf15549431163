using Bpftime.Engines;
using Bpftime.Engines.Interpreter;
using Bpftime.Engines.X64;

namespace Bpftime.Hosting;

/// <summary>
/// The engines a process offers to <see cref="BpfObject"/>: the runtime registers its own (the
/// interpreter, and the direct JIT where the CPU has one); a host may register more, such as the
/// LLVM JIT from Bpftime.Compiler, before loading objects.
/// </summary>
public static class BpfEngines
{
    private static readonly Lazy<EngineRegistry> s_default = new(CreateDefault);

    public static EngineRegistry Default => s_default.Value;

    /// <summary>A fresh registry with the runtime's own engines, in order of preference after AOT.</summary>
    public static EngineRegistry CreateDefault()
    {
        var registry = new EngineRegistry();
        registry.Register(new X64JitEngine());
        registry.Register(InterpreterEngine.Instance);
        return registry;
    }
}
