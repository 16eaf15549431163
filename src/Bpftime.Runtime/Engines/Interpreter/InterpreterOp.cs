namespace Bpftime.Engines.Interpreter;

/// <summary>
/// The interpreter's own dense operation codes. Decoding folds the opcode's class, source bit,
/// offset variants (sdiv, movsx) and width into one byte so that the run loop is a single switch.
/// </summary>
internal enum InterpreterOp : byte
{
    Add64Imm, Add64Reg, Sub64Imm, Sub64Reg, Mul64Imm, Mul64Reg,
    Div64Imm, Div64Reg, SDiv64Imm, SDiv64Reg, Mod64Imm, Mod64Reg, SMod64Imm, SMod64Reg,
    Or64Imm, Or64Reg, And64Imm, And64Reg, Xor64Imm, Xor64Reg,
    Lsh64Imm, Lsh64Reg, Rsh64Imm, Rsh64Reg, Arsh64Imm, Arsh64Reg, Neg64,
    Mov64Imm, Mov64Reg, MovSx8To64, MovSx16To64, MovSx32To64,
    Bswap16, Bswap32, Bswap64,

    Add32Imm, Add32Reg, Sub32Imm, Sub32Reg, Mul32Imm, Mul32Reg,
    Div32Imm, Div32Reg, SDiv32Imm, SDiv32Reg, Mod32Imm, Mod32Reg, SMod32Imm, SMod32Reg,
    Or32Imm, Or32Reg, And32Imm, And32Reg, Xor32Imm, Xor32Reg,
    Lsh32Imm, Lsh32Reg, Rsh32Imm, Rsh32Reg, Arsh32Imm, Arsh32Reg, Neg32,
    Mov32Imm, Mov32Reg, MovSx8To32, MovSx16To32,
    Le16, Le32, Le64, Be16, Be32, Be64,

    LdxB, LdxH, LdxW, LdxDW, LdxSB, LdxSH, LdxSW,
    StB, StH, StW, StDW,
    StxB, StxH, StxW, StxDW,
    Atomic32, Atomic64,
    LoadImm64,
    // Legacy packet loads; Aux holds the size in bytes.
    LdAbs, LdInd,

    Ja,
    Jeq64Imm, Jeq64Reg, Jgt64Imm, Jgt64Reg, Jge64Imm, Jge64Reg, Jset64Imm, Jset64Reg, Jne64Imm, Jne64Reg,
    Jsgt64Imm, Jsgt64Reg, Jsge64Imm, Jsge64Reg, Jlt64Imm, Jlt64Reg, Jle64Imm, Jle64Reg,
    Jslt64Imm, Jslt64Reg, Jsle64Imm, Jsle64Reg,
    Jeq32Imm, Jeq32Reg, Jgt32Imm, Jgt32Reg, Jge32Imm, Jge32Reg, Jset32Imm, Jset32Reg, Jne32Imm, Jne32Reg,
    Jsgt32Imm, Jsgt32Reg, Jsge32Imm, Jsge32Reg, Jlt32Imm, Jlt32Reg, Jle32Imm, Jle32Reg,
    Jslt32Imm, Jslt32Reg, Jsle32Imm, Jsle32Reg,
    CallHelper, CallLocal, CallRegister, Exit,

    // Sentinels placed by the decoder: reaching one is a fault, so the loop needs no bounds checks.
    FellOffEnd,
    JumpOutOfRange,
    LoadImm64Tail,
    UnknownHelper,
}
