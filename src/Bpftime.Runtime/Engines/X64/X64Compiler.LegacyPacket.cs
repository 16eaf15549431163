using Bpftime.Isa;

namespace Bpftime.Engines.X64;

/// <summary>
/// ld_abs / ld_ind inline: the packet's start and length from the socket buffer in r6 (rbx), a bounds
/// check of offset and size against the length, the load and a byte swap. Out of bounds ends the run
/// with r0 = 0 through the common exit, from any call depth, as a helper that stops the program does.
/// Only rax (r0, written anyway), r10, r11 and rcx are used, so r1-r5 keep their values.
/// </summary>
internal sealed partial class X64Compiler
{
    private void EmitLegacyPacketLoad(Instruction insn, int i)
    {
        var size = insn.MemorySize.ByteCount();
        var indirect = insn.MemoryMode == MemoryMode.Ind;
        var outside = _asm.CreateLabel();
        var done = _asm.CreateLabel();

        if (indirect)
        {
            // A negative 32-bit offset (Linux's ancillary areas) is outside the packet: tested before
            // the socket buffer is read, in r11, as checked code's inline checks still need rcx.
            PacketOffset(Scratch, insn);
            _asm.Jcc(X64Condition.Less, outside);
        }
        else if (insn.Imm < 0 || insn.Imm > int.MaxValue - size)
        {
            // ld_abs with a constant offset no packet can hold: always ends the program.
            _asm.Jmp(outside);
            EmitLegacyPacketExit(outside, done, indirect);
            return;
        }

        // Both reads of the socket buffer are checked before either is made (the checks need rcx);
        // then the offset again, into rcx (zero-extended, not negative; r11 and r10 are the check
        // routines' registers), before rax, which the offset may come from, takes data.
        var (dataBase, dataDisplacement) = Address(6, SocketBufferLayout.Data, 4, write: false, i);
        var (endBase, endDisplacement) = Address(6, SocketBufferLayout.DataEnd, 4, write: false, i);
        if (indirect)
        {
            PacketOffset(CountRegister, insn);
        }
        // rax = data, r10 = data_end - data (the packet's length).
        _asm.Load(X64Width.Dword, X64Register.Rax, dataBase, dataDisplacement);
        _asm.Load(X64Width.Dword, Scratch2, endBase, endDisplacement);
        _asm.Alu(X64AluOperation.Sub, X64Width.Qword, Scratch2, X64Register.Rax);

        if (indirect)
        {
            // offset + size <= length; both below 2^32, so the sum cannot wrap in 64 bits.
            _asm.Lea(Scratch, CountRegister, size);
            _asm.Alu(X64AluOperation.Cmp, X64Width.Qword, Scratch, Scratch2);
            _asm.Jcc(X64Condition.Above, outside);
            _asm.Alu(X64AluOperation.Add, X64Width.Qword, X64Register.Rax, CountRegister);
            LoadPacket(size, X64Register.Rax, 0, i);
        }
        else
        {
            _asm.Alu(X64AluOperation.Cmp, X64Width.Qword, Scratch2, insn.Imm + size);
            _asm.Jcc(X64Condition.Below, outside);
            LoadPacket(size, X64Register.Rax, insn.Imm, i);
        }
        _asm.Jmp(done);
        EmitLegacyPacketExit(outside, done, indirect);
    }

    /// <summary><paramref name="target"/> = the ld_ind offset, src + imm as 32 bits (zero-extended); the flags say whether it is negative.</summary>
    private void PacketOffset(X64Register target, Instruction insn)
    {
        _asm.Mov(X64Width.Dword, target, Host(insn.Src));
        if (insn.Imm != 0)
        {
            _asm.Alu(X64AluOperation.Add, X64Width.Dword, target, insn.Imm);
        }
        _asm.Test(X64Width.Dword, target, target);
    }

    /// <summary>r0 = 0 and leave the run; then the code after the load (rcx back to the context register when the offset borrowed it).</summary>
    private void EmitLegacyPacketExit(X64Label outside, X64Label done, bool borrowedRcx)
    {
        _asm.Bind(outside);
        _asm.Alu(X64AluOperation.Xor, X64Width.Dword, X64Register.Rax, X64Register.Rax);
        _asm.Jmp(_exit);
        _asm.Bind(done);
        if (borrowedRcx)
        {
            LoadContextRegister();
        }
    }

    /// <summary>
    /// r0 = the big-endian value of <paramref name="size"/> bytes at [<paramref name="address"/> + <paramref name="displacement"/>].
    /// Checked code checks that address as any load's (a program could have rewritten data and data_end).
    /// </summary>
    private void LoadPacket(int size, X64Register address, int displacement, int i)
    {
        if (_checked)
        {
            _asm.Lea(Scratch, address, displacement);
            _asm.Call(CheckRoutine(size, write: false, atomic: false));
            _asm.Test(X64Width.Dword, Scratch2, Scratch2);
            var stub = _asm.CreateLabel();
            _stubs.Add(new FaultStub(stub, JitFault.None, i));
            _asm.Jcc(X64Condition.NotEqual, stub);
        }
        var width = size switch { 1 => X64Width.Byte, 2 => X64Width.Word, _ => X64Width.Dword };
        _asm.Load(width, X64Register.Rax, address, displacement);
        if (size == 2)
        {
            _asm.Bswap(X64Width.Dword, X64Register.Rax);
            _asm.Shift(X64ShiftOperation.Shr, X64Width.Dword, X64Register.Rax, 16);
        }
        else if (size == 4)
        {
            _asm.Bswap(X64Width.Dword, X64Register.Rax);
        }
    }
}
