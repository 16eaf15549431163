using Bpftime.Compiler.Llvm;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Isa;

namespace Bpftime.Compiler.IrGen;

/// <summary>
/// ld_abs / ld_ind inline: data and data_end of the socket buffer in r6 (checked code checks those
/// reads and the packet read as any other), the offset (imm, or the low 32 bits of src plus imm,
/// wrapping in 32 bits) tested against the length, the load and llvm.bswap. Outside the packet the
/// program ends with r0 = 0 (<see cref="EmitStopWhen"/>, which carries the stop up from subprograms).
/// r1-r5 keep their values.
/// </summary>
internal sealed partial class FunctionEmitter
{
    private void EmitLegacyPacketLoad(Instruction insn, int pc)
    {
        if (!_program.SocketBuffer)
        {
            throw _program.Fail(DiagnosticCodes.LegacyPacketLoadUnsupported, ProgramValidator.LegacyPacketLoadRefusal(insn), pc);
        }
        var indirect = insn.MemoryMode == MemoryMode.Ind;
        if (indirect)
        {
            CheckRegister(insn.Src, insn, pc);
        }
        var size = insn.MemorySize.ByteCount();
        var offset = indirect
            ? LLVM.BuildAdd(_b, LLVM.BuildTrunc(_b, Get(insn.Src), _t.Int32, ""), _t.I32(insn.Imm), "pkt.off")
            : _t.I32(insn.Imm);
        var data = SocketBufferField(SocketBufferLayout.Data, pc);
        var end = SocketBufferField(SocketBufferLayout.DataEnd, pc);
        var length = LLVM.BuildSub(_b, end, data, "pkt.len");
        // offset >= 0 (signed 32-bit) and offset + size <= length, in 64 bits where neither can wrap.
        var wide = LLVM.BuildZExt(_b, offset, _t.Int64, "");
        var nonNegative = LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntSGE, offset, _t.I32(0), "");
        var fits = LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntULE, LLVM.BuildAdd(_b, wide, _t.I64(size), ""), length, "");
        EmitStopWhen(LLVM.BuildNot(_b, LLVM.BuildAnd(_b, nonNegative, fits, ""), ""), pc);

        var address = LLVM.BuildAdd(_b, data, wide, "pkt.addr");
        EmitAccessCheck(address, size, write: false, pc, baseRegister: 6);
        var load = LLVM.BuildLoad2(_b, _t.OfBytes(size), LLVM.BuildIntToPtr(_b, address, _t.Pointer, ""), "");
        LLVM.SetAlignment(load, 1);
        var value = load;
        if (size > 1)
        {
            var (type, function) = _generator.ByteSwap(size * 8);
            value = LLVM.BuildCall2(_b, type, function, [load], "");
        }
        Set(0, LLVM.BuildZExt(_b, value, _t.Int64, ""));
    }

    /// <summary>A u32 field of the socket buffer at r6, zero-extended: the packet's real address below 4 GiB.</summary>
    private LLVMValueRef SocketBufferField(int offset, int pc)
    {
        var field = LLVM.BuildLoad2(_b, _t.Int32, Address(6, (short)offset, 4, write: false, pc), "");
        LLVM.SetAlignment(field, 1);
        return LLVM.BuildZExt(_b, field, _t.Int64, "");
    }
}
