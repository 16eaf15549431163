namespace Bpftime.Compiler.IrGen;

/// <summary>Where compile time went: eBPF -> IR (with verification), the pass pipeline, and machine code.</summary>
public sealed record CompileTimings(TimeSpan Translation, TimeSpan Optimization, TimeSpan CodeGeneration)
{
    public TimeSpan Total => Translation + Optimization + CodeGeneration;
}
