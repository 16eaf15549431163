namespace Bpftime.Diagnostics;

/// <summary>
/// Every diagnostic code, one partial file per area so that each area owns its range:
/// BPF1001-1099 object reader, BPF1100-1149 bytecode structure (decoder, validator),
/// BPF1150-1199 assembler (declared with it, in Bpftime.Assembler), BPF2xxx verifier, BPF3001-3099 LLVM and IR generation,
/// BPF3100-3199 AOT linker, BPF4001-4099 run-time faults, BPF4100-4199 hosting and configuration,
/// BPF4200-4299 maps and helpers. Codes are stable: never renumber one.
/// </summary>
public static partial class DiagnosticCodes
{
    /// <summary>Raw bytecode whose length is not a multiple of 8.</summary>
    public const string BytecodeLengthNotMultipleOfEight = "BPF1100";
}
