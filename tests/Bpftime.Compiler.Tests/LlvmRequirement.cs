using Bpftime.Compiler.Llvm;

namespace Bpftime.Compiler.Tests;

/// <summary>Skips a test, with the loader's reason, when this machine has no libLLVM.</summary>
internal static class LlvmRequirement
{
    public static void SkipIfMissing()
    {
        Skip.IfNot(LlvmLibrary.TryLoad(out var reason), reason);
    }
}
