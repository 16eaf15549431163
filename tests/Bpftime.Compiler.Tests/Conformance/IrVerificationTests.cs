using Bpftime.Compiler.IrGen;
using Bpftime.Compiler.Llvm;
using Bpftime.Isa.Conformance;
using Bpftime.Tests.Conformance;

namespace Bpftime.Compiler.Tests.Conformance;

/// <summary>The IR generated for every conformance program passes LLVM's verifier, before and after -O3.</summary>
public sealed class IrVerificationTests
{
    [SkippableTheory]
    [MemberData(nameof(ConformanceCases.Files), MemberType = typeof(ConformanceCases))]
    public void Verifies(string file)
    {
        Skip.If(ConformanceCases.TestsDirectory is null || file == ConformanceCases.Placeholder, ConformanceCases.SkipReason);
        LlvmRequirement.SkipIfMissing();
        var vector = ConformanceFile.Load(Path.Combine(ConformanceCases.TestsDirectory!, file));
        Skip.If(vector.ExpectedError is not null, "the vector expects the program to be refused");
        var image = ConformanceRunner.ImageOf(vector, verified: true);

        var context = LLVM.ContextCreate();
        var machine = LlvmTargets.CreateMachine(LlvmTargets.HostTriple, "generic", 3);
        try
        {
            var module = LLVM.ModuleCreateWithNameInContext(file, context);
            try
            {
                using (var generator = new IrGenerator(context, module, image.Helpers, image.Maps.Count))
                {
                    var info = generator.AddProgram(image.Name, "entry", image.Instructions.Span);
                    Assert.InRange(info.CallDepth, 1, 8);
                }
                Assert.True(LLVM.VerifyModule(module, out var before), before);
                ModuleOptimizer.Optimize(module, machine, 3);
                Assert.True(LLVM.VerifyModule(module, out var after), after);
            }
            finally
            {
                LLVM.DisposeModule(module);
            }
        }
        finally
        {
            LLVM.DisposeTargetMachine(machine);
            LLVM.ContextDispose(context);
        }
    }
}
