using Bpftime.Isa;
using Bpftime.Isa.Conformance;

namespace Bpftime.Tests.Isa;

public class AssemblerConformanceTests
{
    [SkippableTheory]
    [MemberData(nameof(ConformanceVectors.TestFiles), MemberType = typeof(ConformanceVectors))]
    public void EveryTestFileAssembles(string name)
    {
        Skip.If(name == ConformanceVectors.Absent || TestPaths.ConformanceDirectory is null, ConformanceVectors.SkipReason);
        var file = ConformanceVectors.Load("tests", name);
        var program = Assembler.Assemble(file.Assembly, name, file.AssemblyLine);
        Assert.NotEmpty(program);
        if (file.RawInstructions is { } raw)
        {
            Assert.Equal(raw, program);
        }
    }
}
