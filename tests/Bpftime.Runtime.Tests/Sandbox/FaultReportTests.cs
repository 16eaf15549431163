using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Maps;
using Bpftime.Tests.Maps;
using static Bpftime.Tests.Engines.X64.Bpf;

namespace Bpftime.Tests.Sandbox;

/// <summary>The same refused access gets the same code and instruction on every engine (the interpreter's report is the reference).</summary>
public sealed class FaultReportTests
{
    private static readonly Dictionary<string, (Instruction[] Code, string Expected)> s_accesses = new()
    {
        ["read past the context"] = (Program(Ldx(MemorySize.DoubleWord, 0, 1, 60), Exit()), DiagnosticCodes.ContextAccessOutOfBounds),
        ["read below the frames"] = (Program(Mov64Reg(1, 10), Alu64(AluOperation.Sub, 1, 600), Ldx(MemorySize.DoubleWord, 0, 1, 0), Exit()), DiagnosticCodes.StackAccessOutOfBounds),
        ["read above the frames"] = (Program(Ldx(MemorySize.DoubleWord, 0, 10, 0), Exit()), DiagnosticCodes.StackAccessOutOfBounds),
        ["read through null"] = (Program(Mov64(1, 0), Ldx(MemorySize.DoubleWord, 0, 1, 8), Exit()), DiagnosticCodes.NullPointerAccess),
        ["read past a map value"] = (Program(LdImm64(1, 0, src: 2), Ldx(MemorySize.DoubleWord, 0, 1, 12), Exit()), DiagnosticCodes.MapValueAccessOutOfBounds),
        ["write to .rodata"] = (Program(LdImm64(1, 1, src: 2), St(MemorySize.Byte, 1, 0, 1), Mov64(0, 0), Exit()), DiagnosticCodes.WriteToReadOnlyMemory),
        ["write to a wild address"] = (Program(LdImm64(1, 0x7f00_dead_0000), St(MemorySize.Byte, 1, 0, 1), Mov64(0, 0), Exit()), DiagnosticCodes.UnknownMemoryAccess),
    };

    public static TheoryData<string, string> Cases
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var engine in TestEngines.All)
            {
                foreach (var name in s_accesses.Keys)
                {
                    data.Add(engine.Name, name);
                }
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryEngineReportsTheSameFault(string engine, string access)
    {
        var (code, expected) = s_accesses[access];
        using var values = ArrayMap.Create("values", 16, 1);
        using var rodata = ArrayMap.Create("rodata", 16, 1, readOnlyForPrograms: true);
        using var program = TestEngines.Load(engine, code, [values, rodata], StandardHelpers.CreateDefault(TraceSink.Discard));

        var error = Assert.Throws<BpfException>(() => program.Run(new byte[64]));

        Assert.Equal(expected, error.Code);
        Assert.Equal(code.Length - (access.StartsWith("write", StringComparison.Ordinal) ? 3 : 2), error.Diagnostic.InstructionIndex);
    }
}
