using Bpftime.Isa;

namespace Bpftime.Sandbox.Fuzz.Generation;

/// <summary>One hostile program: its seed reproduces it exactly (<see cref="HostileProgramGenerator"/>).</summary>
internal sealed record GeneratedProgram(int Seed, Instruction[] Code, bool Xdp, double Hostility)
{
    public string Disassembly => Disassembler.Disassemble(Code);
}
