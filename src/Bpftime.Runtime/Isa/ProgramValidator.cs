using Bpftime.Diagnostics;

namespace Bpftime.Isa;

/// <summary>
/// Structural checks of a program, before any verifier or engine sees it: every slot is a defined
/// instruction with its unused fields zero, registers exist, r10 is never written, jumps and local
/// calls land on instructions inside the program, ld_imm64 is whole, and execution cannot run off
/// the end. Each finding is a BPF1101-1149 diagnostic with the slot index. Engines also call
/// <see cref="EnsureExitReachable"/> at load (the verifier needs no such pass: it follows every
/// path and refuses one that never ends with BPF2014 or BPF2015, pointing at the loop).
/// </summary>
public static partial class ProgramValidator
{
    private const int FramePointer = 10;

    public static IReadOnlyList<BpfDiagnostic> Validate(ReadOnlySpan<Instruction> program, ValidationOptions? options = null, string? programName = null)
    {
        var checker = new Checker(options ?? ValidationOptions.Default, programName);
        checker.Run(program);
        return checker.Diagnostics;
    }

    /// <summary>Throws a <see cref="BpfException"/> carrying every error when the program is not well-formed.</summary>
    public static void EnsureValid(ReadOnlySpan<Instruction> program, ValidationOptions? options = null, string? programName = null)
    {
        var diagnostics = Validate(program, options, programName);
        foreach (var diagnostic in diagnostics)
        {
            if (diagnostic.Severity == DiagnosticSeverity.Error)
            {
                throw new BpfException(diagnostics);
            }
        }
    }

    /// <summary>
    /// Refuses, with BPF1122, a program whose entry, or a function it calls or whose address it takes,
    /// has no path to an exit: such code can only loop for ever or run off the end. Every engine calls
    /// this at load, so that no program that cannot finish ever starts.
    /// </summary>
    public static void EnsureExitReachable(ReadOnlySpan<Instruction> program, string? programName = null, string? origin = null)
    {
        if (FindFunctionWithoutExit(program) is { } entry)
        {
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.NoReachableExit, NoExitMessage(entry),
                File: origin, Program: programName, InstructionIndex: entry));
        }
    }

    private static string NoExitMessage(int entry) => entry == 0
        ? "no path from the program's first instruction reaches an exit, so it can only loop for ever or run off the end; end every path with exit"
        : $"no path from the function at instruction {entry} reaches an exit, so a call of it can never return; end every path with exit";

    /// <summary>
    /// The first function entry (0, then local-call and code-address targets in order) from which no
    /// exit is reachable, following jumps and stepping over calls; null when every one reaches one.
    /// A jump outside the program or into an ld_imm64 ends the run too (engines refuse it or fault
    /// when it is taken), so it counts as an exit; running off the end does not.
    /// </summary>
    internal static int? FindFunctionWithoutExit(ReadOnlySpan<Instruction> program)
    {
        var length = program.Length;
        if (length == 0)
        {
            return 0;
        }
        var secondSlot = new bool[length];
        for (var i = 0; i < length; i++)
        {
            if (program[i].IsLoadImm64 && i + 1 < length)
            {
                secondSlot[++i] = true;
            }
        }
        bool Valid(long target) => target >= 0 && target < length && !secondSlot[target];

        // Predecessors in compressed rows: count, then fill; walk backwards from every exit.
        var counts = new int[length + 1];
        var entries = new List<int> { 0 };
        Span<long> successors = stackalloc long[2];
        int Successors(int i, ReadOnlySpan<Instruction> code, Span<long> into)
        {
            var insn = code[i];
            if (insn.IsLoadImm64)
            {
                into[0] = i + 2;
                return 1;
            }
            if (!insn.IsJump || insn.IsCall)
            {
                into[0] = i + 1;
                return 1;
            }
            if (insn.IsExit)
            {
                return 0;
            }
            if (insn.Opcode == Opcodes.Ja)
            {
                into[0] = (long)i + 1 + insn.Offset;
                return 1;
            }
            if (insn.Opcode == Opcodes.Gotol)
            {
                into[0] = (long)i + 1 + insn.Imm;
                return 1;
            }
            into[0] = (long)i + 1 + insn.Offset;
            into[1] = i + 1;
            return 2;
        }
        for (var i = 0; i < length; i++)
        {
            if (secondSlot[i])
            {
                continue;
            }
            var insn = program[i];
            if (insn.IsLocalCall && Valid((long)i + 1 + insn.Imm))
            {
                entries.Add(i + 1 + insn.Imm);
            }
            else if (insn.IsLoadImm64 && insn.Src == (byte)LoadImm64Source.CodeAddress && Valid((long)i + 1 + insn.Imm))
            {
                entries.Add(i + 1 + insn.Imm);
            }
            var n = Successors(i, program, successors);
            for (var k = 0; k < n; k++)
            {
                if (Valid(successors[k]))
                {
                    counts[successors[k] + 1]++;
                }
            }
        }
        for (var i = 0; i < length; i++)
        {
            counts[i + 1] += counts[i];
        }
        var predecessors = new int[counts[length]];
        var fill = counts.AsSpan(0, length).ToArray();
        var pending = new Stack<int>();
        var reaches = new bool[length];
        for (var i = 0; i < length; i++)
        {
            if (secondSlot[i])
            {
                continue;
            }
            var n = Successors(i, program, successors);
            var jumps = program[i].IsJump && !program[i].IsCall && !program[i].IsExit;
            if (program[i].IsExit || (jumps && !Valid(successors[0])))
            {
                reaches[i] = true;
                pending.Push(i);
            }
            for (var k = 0; k < n; k++)
            {
                if (Valid(successors[k]))
                {
                    predecessors[fill[successors[k]]++] = i;
                }
            }
        }
        while (pending.TryPop(out var at))
        {
            for (var p = counts[at]; p < counts[at + 1]; p++)
            {
                var from = predecessors[p];
                if (!reaches[from])
                {
                    reaches[from] = true;
                    pending.Push(from);
                }
            }
        }
        entries.Sort();
        foreach (var entry in entries)
        {
            if (!reaches[entry])
            {
                return entry;
            }
        }
        return null;
    }

    private sealed partial class Checker(ValidationOptions options, string? programName)
    {
        public List<BpfDiagnostic> Diagnostics { get; } = [];

        private void Report(string code, int index, string message) =>
            Diagnostics.Add(new BpfDiagnostic(code, message, Program: programName, InstructionIndex: index));

        public void Run(ReadOnlySpan<Instruction> program)
        {
            if (program.IsEmpty)
            {
                Report(DiagnosticCodes.EmptyProgram, 0, "the program has no instructions; it needs at least one, ending with exit");
                return;
            }
            if (program.Length > options.MaxInstructions)
            {
                Report(DiagnosticCodes.TooManyInstructions, options.MaxInstructions,
                    $"the program has {program.Length} slots, more than the limit of {options.MaxInstructions}; split it into smaller programs or raise ValidationOptions.MaxInstructions");
                return;
            }

            // Second halves of ld_imm64 are not instructions: nothing may jump to them.
            var secondSlot = new bool[program.Length];
            for (var i = 0; i < program.Length; i++)
            {
                if (program[i].IsLoadImm64 && i + 1 < program.Length)
                {
                    secondSlot[++i] = true;
                }
            }

            var hasExit = false;
            for (var i = 0; i < program.Length; i++)
            {
                if (secondSlot[i])
                {
                    continue;
                }
                var insn = program[i];
                hasExit |= insn.IsExit;
                switch (insn.Class)
                {
                    case InstructionClass.Alu:
                    case InstructionClass.Alu64:
                        CheckAlu(i, insn);
                        break;
                    case InstructionClass.Jmp:
                    case InstructionClass.Jmp32:
                        CheckJump(i, insn, program, secondSlot);
                        break;
                    case InstructionClass.Ld:
                        CheckLoadImm64(i, insn, program);
                        break;
                    case InstructionClass.Ldx:
                        CheckLoad(i, insn);
                        break;
                    case InstructionClass.St:
                        CheckStore(i, insn);
                        break;
                    default:
                        CheckStoreRegister(i, insn);
                        break;
                }
            }

            var last = program.Length - 1;
            var final = program[last];
            if (final.IsLoadImm64 && !secondSlot[last])
            {
                // Truncated ld_imm64, already reported.
            }
            else if (secondSlot[last] || !(final.IsExit || final.Opcode == Opcodes.Ja || final.Opcode == Opcodes.Gotol))
            {
                var at = secondSlot[last] ? last - 1 : last;
                Report(DiagnosticCodes.FallsOffEnd, at,
                    $"the last instruction ({Disassembler.Disassemble(program[at], secondSlot[last] ? final : null)}) lets execution run past the end of the program; end the program with exit or an unconditional jump");
            }
            else if (!hasExit)
            {
                Report(DiagnosticCodes.FallsOffEnd, last, "the program has no exit instruction, so it can never return; add exit");
            }
        }

        private void CheckAlu(int i, Instruction insn)
        {
            var alu64 = insn.Class == InstructionClass.Alu64;
            var register = insn.Source == OperandSource.Register;
            var op = insn.AluOperation;
            if ((byte)op > (byte)AluOperation.End)
            {
                Unknown(i, insn, "its ALU operation 0x" + ((byte)op).ToString("x2", null) + " is undefined");
                return;
            }
            CheckRegister(i, insn, insn.Dst, "dst");
            if (insn.Dst == FramePointer)
            {
                Report(DiagnosticCodes.WriteToFramePointer, i, $"{Show(insn)} writes r10, the read-only frame pointer; copy it to another register first (e.g. r1 = r10) and change that");
            }

            switch (op)
            {
                case AluOperation.Neg:
                    if (register)
                    {
                        Unknown(i, insn, "neg takes no source operand, so its source bit must be 0 (use 0x84 or 0x87)");
                        return;
                    }
                    Unused(i, insn, src: true, offset: true, imm: true);
                    return;
                case AluOperation.End:
                    if (alu64 && register)
                    {
                        Unknown(i, insn, "bswap (ALU64) has no register form; use 0xd7");
                        return;
                    }
                    if (alu64)
                    {
                        RequireVersion(i, insn, IsaVersion.V4, "bswap");
                    }
                    if (insn.Imm is not (16 or 32 or 64))
                    {
                        Report(DiagnosticCodes.InvalidEndianWidth, i, $"{Show(insn)} swaps {insn.Imm} bits; the width (imm) must be 16, 32 or 64");
                    }
                    Unused(i, insn, src: true, offset: true, imm: false);
                    return;
            }

            if (register)
            {
                CheckRegister(i, insn, insn.Src, "src");
                Unused(i, insn, src: false, offset: false, imm: true);
            }
            else
            {
                Unused(i, insn, src: true, offset: false, imm: false);
            }

            switch (op)
            {
                case AluOperation.Div or AluOperation.Mod:
                    if (insn.Offset is not (0 or 1))
                    {
                        Report(DiagnosticCodes.InvalidDivisionOffset, i, $"{Show(insn)} has offset {insn.Offset}; div and mod take 0 (unsigned) or 1 (signed, sdiv/smod)");
                    }
                    else if (insn.Offset == 1)
                    {
                        RequireVersion(i, insn, IsaVersion.V4, op == AluOperation.Div ? "sdiv" : "smod");
                    }
                    break;
                case AluOperation.Mov when register && insn.Offset != 0:
                    if (insn.Offset is not (8 or 16 or 32) || (!alu64 && insn.Offset == 32))
                    {
                        Report(DiagnosticCodes.InvalidSignExtendWidth, i,
                            $"{Show(insn)} sign-extends from {insn.Offset} bits; movsx takes offset 8 or 16{(alu64 ? " or 32" : " (32 only in the 64-bit form)")}, or 0 for a plain mov");
                    }
                    else
                    {
                        RequireVersion(i, insn, IsaVersion.V4, "movsx");
                    }
                    break;
                default:
                    if (insn.Offset != 0)
                    {
                        Report(DiagnosticCodes.UnusedFieldNotZero, i, $"{Show(insn)} has offset {insn.Offset}, a field this instruction does not use; it must be 0");
                    }
                    break;
            }
        }

        private void CheckJump(int i, Instruction insn, ReadOnlySpan<Instruction> program, bool[] secondSlot)
        {
            var jmp32 = insn.Class == InstructionClass.Jmp32;
            var register = insn.Source == OperandSource.Register;
            var op = insn.JumpOperation;
            if ((byte)op > (byte)JumpOperation.Jsle)
            {
                Unknown(i, insn, "its jump operation 0x" + ((byte)op).ToString("x2", null) + " is undefined");
                return;
            }
            if (jmp32 && op != JumpOperation.Ja)
            {
                RequireVersion(i, insn, IsaVersion.V3, "the JMP32 class");
            }
            switch (op)
            {
                case JumpOperation.Ja:
                    if (register)
                    {
                        Unknown(i, insn, "ja has no register form; use 0x05 (or 0x06 for gotol)");
                        return;
                    }
                    if (jmp32)
                    {
                        RequireVersion(i, insn, IsaVersion.V4, "gotol");
                        UnusedRegisters(i, insn);
                        if (insn.Offset != 0)
                        {
                            Report(DiagnosticCodes.UnusedFieldNotZero, i, $"{Show(insn)} has offset {insn.Offset}; gotol takes its target in imm, so offset must be 0");
                        }
                        CheckTarget(i, insn, (long)i + 1 + insn.Imm, program, secondSlot, call: false);
                    }
                    else
                    {
                        Unused(i, insn, src: true, offset: false, imm: true);
                        if (insn.Dst != 0)
                        {
                            Report(DiagnosticCodes.UnusedFieldNotZero, i, $"{Show(insn)} has dst r{insn.Dst}, a field ja does not use; it must be 0");
                        }
                        CheckTarget(i, insn, (long)i + 1 + insn.Offset, program, secondSlot, call: false);
                    }
                    return;
                case JumpOperation.Exit:
                    if (jmp32 || register)
                    {
                        Unknown(i, insn, "exit is only 0x95");
                        return;
                    }
                    UnusedRegisters(i, insn);
                    Unused(i, insn, src: false, offset: true, imm: true);
                    return;
                case JumpOperation.Call:
                    if (jmp32)
                    {
                        Unknown(i, insn, "call exists only in the JMP class (0x85, 0x8d)");
                        return;
                    }
                    CheckCall(i, insn, register, program, secondSlot);
                    return;
                case JumpOperation.Jlt or JumpOperation.Jle or JumpOperation.Jslt or JumpOperation.Jsle:
                    RequireVersion(i, insn, IsaVersion.V2, "jlt, jle, jslt and jsle");
                    break;
            }

            CheckRegister(i, insn, insn.Dst, "dst");
            if (register)
            {
                CheckRegister(i, insn, insn.Src, "src");
                Unused(i, insn, src: false, offset: false, imm: true);
            }
            else
            {
                Unused(i, insn, src: true, offset: false, imm: false);
            }
            CheckTarget(i, insn, (long)i + 1 + insn.Offset, program, secondSlot, call: false);
        }

        private void CheckCall(int i, Instruction insn, bool register, ReadOnlySpan<Instruction> program, bool[] secondSlot)
        {
            if (register)
            {
                if (!options.AllowCallx)
                {
                    Report(DiagnosticCodes.CallxNotAllowed, i, $"{Show(insn)} calls through a register (callx), which is not enabled; set ValidationOptions.AllowCallx to accept it");
                }
                CheckRegister(i, insn, insn.Dst, "dst");
                if (insn.Imm != 0)
                {
                    Report(DiagnosticCodes.UnusedFieldNotZero, i, $"{Show(insn)} has imm {insn.Imm}; callx takes its register in dst (RFC 9669), and imm must be 0 (LLVM before 17 put the register in imm)");
                }
                Unused(i, insn, src: true, offset: true, imm: false);
                return;
            }
            if (insn.Dst != 0)
            {
                Report(DiagnosticCodes.UnusedFieldNotZero, i, $"{Show(insn)} has dst r{insn.Dst}, a field call does not use; it must be 0");
            }
            Unused(i, insn, src: false, offset: true, imm: false);
            switch ((CallSource)insn.Src)
            {
                case CallSource.Helper:
                    if (insn.Imm < 0 || insn.Imm > options.MaxHelperId)
                    {
                        Report(DiagnosticCodes.InvalidHelperId, i, $"{Show(insn)} names helper {insn.Imm}, outside 0-{options.MaxHelperId}; use a helper id the runtime provides");
                    }
                    break;
                case CallSource.Local:
                    CheckTarget(i, insn, (long)i + 1 + insn.Imm, program, secondSlot, call: true);
                    break;
                case CallSource.KernelFunction:
                    if (!options.AllowKernelFunctionCalls)
                    {
                        Report(DiagnosticCodes.KernelFunctionCallNotSupported, i, $"{Show(insn)} calls a kernel function (kfunc) by BTF id {insn.Imm}, which this runtime does not provide; call a helper instead");
                    }
                    break;
                default:
                    Report(DiagnosticCodes.InvalidCallSource, i, $"{Show(insn)} has src {insn.Src}; a call's src must be 0 (helper), 1 (local function) or 2 (kernel function)");
                    break;
            }
        }

        private void CheckTarget(int i, Instruction insn, long target, ReadOnlySpan<Instruction> program, bool[] secondSlot, bool call)
        {
            if (target < 0 || target >= program.Length)
            {
                Report(call ? DiagnosticCodes.CallTargetOutOfBounds : DiagnosticCodes.JumpOutOfBounds, i,
                    $"{Show(insn)} {(call ? "calls" : "jumps to")} slot {target}, outside the program (0-{program.Length - 1}); fix the {(call ? "call's imm" : "offset")}");
            }
            else if (secondSlot[target])
            {
                Report(DiagnosticCodes.JumpIntoLoadImm64, i,
                    $"{Show(insn)} {(call ? "calls" : "jumps to")} slot {target}, the second half of the ld_imm64 at {target - 1}; target slot {target - 1} or {target + 1} instead");
            }
        }

        private void CheckLoadImm64(int i, Instruction insn, ReadOnlySpan<Instruction> program)
        {
            if (!insn.IsLoadImm64)
            {
                if (IsLegacyPacketLoad(insn))
                {
                    CheckLegacyPacketLoad(i, insn);
                    return;
                }
                Unknown(i, insn, "the LD instructions are ld_imm64 (0x18) and the legacy packet loads ld_abs and ld_ind of 1, 2 or 4 bytes");
                return;
            }
            if (i + 1 >= program.Length)
            {
                Report(DiagnosticCodes.LoadImm64Truncated, i, $"ld_imm64 at the last slot has no second half; it takes two slots, so the program is truncated");
                return;
            }
            CheckRegister(i, insn, insn.Dst, "dst");
            if (insn.Dst == FramePointer)
            {
                Report(DiagnosticCodes.WriteToFramePointer, i, "ld_imm64 writes r10, the read-only frame pointer; load into another register");
            }
            if (insn.Src > (byte)LoadImm64Source.MapValueByIndex)
            {
                Report(DiagnosticCodes.LoadImm64InvalidSource, i, $"ld_imm64 has src {insn.Src}; it must be 0 (immediate) to 6 (map value by index)");
            }
            if (insn.Offset != 0)
            {
                Report(DiagnosticCodes.UnusedFieldNotZero, i, $"ld_imm64 has offset {insn.Offset}, a field it does not use; it must be 0");
            }
            var second = program[i + 1];
            if (second.Opcode != 0 || second.Registers != 0 || second.Offset != 0)
            {
                Report(DiagnosticCodes.LoadImm64SecondSlotMalformed, i + 1,
                    $"the second slot of the ld_imm64 at {i} has {second}; only its imm (the upper 32 bits) may be set, opcode, registers and offset must be 0");
            }
        }

        private void CheckLoad(int i, Instruction insn)
        {
            if (insn.MemoryMode == MemoryMode.MemSx)
            {
                if (insn.MemorySize == MemorySize.DoubleWord)
                {
                    Unknown(i, insn, "a sign-extending load of 8 bytes does not exist; use ldxdw (0x79)");
                    return;
                }
                RequireVersion(i, insn, IsaVersion.V4, "sign-extending loads");
            }
            else if (insn.MemoryMode != MemoryMode.Mem)
            {
                Unknown(i, insn, "LDX takes mode MEM (0x60) or MEMSX (0x80)");
                return;
            }
            CheckRegister(i, insn, insn.Dst, "dst");
            CheckRegister(i, insn, insn.Src, "src");
            if (insn.Dst == FramePointer)
            {
                Report(DiagnosticCodes.WriteToFramePointer, i, $"{Show(insn)} loads into r10, the read-only frame pointer; load into another register");
            }
            Unused(i, insn, src: false, offset: false, imm: true);
        }

        private void CheckStore(int i, Instruction insn)
        {
            if (insn.MemoryMode != MemoryMode.Mem)
            {
                Unknown(i, insn, "ST takes only mode MEM (0x60); atomics are STX");
                return;
            }
            CheckRegister(i, insn, insn.Dst, "dst");
            Unused(i, insn, src: true, offset: false, imm: false);
        }

        private void CheckStoreRegister(int i, Instruction insn)
        {
            if (insn.MemoryMode == MemoryMode.Mem)
            {
                CheckRegister(i, insn, insn.Dst, "dst");
                CheckRegister(i, insn, insn.Src, "src");
                Unused(i, insn, src: false, offset: false, imm: true);
                return;
            }
            if (insn.MemoryMode != MemoryMode.Atomic)
            {
                Unknown(i, insn, "STX takes mode MEM (0x60) or ATOMIC (0xc0)");
                return;
            }
            CheckRegister(i, insn, insn.Dst, "dst");
            CheckRegister(i, insn, insn.Src, "src");
            if (insn.MemorySize is not (MemorySize.Word or MemorySize.DoubleWord))
            {
                Report(DiagnosticCodes.InvalidAtomicOperation, i, $"{Show(insn)} is an atomic operation on {insn.MemorySize.ByteCount()} bytes; atomics work on 4 or 8 bytes");
                return;
            }
            var operation = (AtomicOperation)insn.Imm;
            switch (operation)
            {
                case AtomicOperation.Add:
                    break;
                case AtomicOperation.Or or AtomicOperation.And or AtomicOperation.Xor
                    or AtomicOperation.FetchAdd or AtomicOperation.FetchOr or AtomicOperation.FetchAnd or AtomicOperation.FetchXor
                    or AtomicOperation.Xchg or AtomicOperation.CmpXchg:
                    RequireVersion(i, insn, IsaVersion.V3, "atomic operations other than add");
                    break;
                default:
                    Report(DiagnosticCodes.InvalidAtomicOperation, i,
                        $"{Show(insn)} has atomic operation 0x{insn.Imm:x}; imm must be add (0x00), or (0x40), and (0x50), xor (0xa0), one of these with fetch (| 0x01), xchg (0xe1) or cmpxchg (0xf1)");
                    return;
            }
            if ((insn.Imm & (int)AtomicOperation.Fetch) != 0 && operation != AtomicOperation.CmpXchg && insn.Src == FramePointer)
            {
                Report(DiagnosticCodes.WriteToFramePointer, i, $"{Show(insn)} fetches the old value into r10, the read-only frame pointer; use another source register");
            }
        }

        private void CheckRegister(int i, Instruction insn, byte register, string field)
        {
            if (register > FramePointer)
            {
                Report(DiagnosticCodes.InvalidRegister, i, $"{Show(insn)} names r{register} as {field}; registers are r0 to r10");
            }
        }

        private void Unknown(int i, Instruction insn, string why) =>
            Report(DiagnosticCodes.UnknownOpcode, i, $"opcode 0x{insn.Opcode:x2} is not an eBPF instruction: {why}");

        private void RequireVersion(int i, Instruction insn, IsaVersion needed, string feature)
        {
            if (options.IsaVersion < needed)
            {
                Report(DiagnosticCodes.UnknownOpcode, i,
                    $"{Show(insn)} uses {feature}, which needs ISA v{(int)needed} but the program is limited to v{(int)options.IsaVersion}; raise ValidationOptions.IsaVersion or compile with -mcpu=v{(int)options.IsaVersion}");
            }
        }

        /// <summary>Reports the fields an instruction ignores that are not zero (RFC 9669 requires them zero).</summary>
        private void Unused(int i, Instruction insn, bool src, bool offset, bool imm)
        {
            if (src && insn.Src != 0)
            {
                Report(DiagnosticCodes.UnusedFieldNotZero, i, $"{Show(insn)} has src r{insn.Src}, a field this instruction does not use; it must be 0");
            }
            if (offset && insn.Offset != 0)
            {
                Report(DiagnosticCodes.UnusedFieldNotZero, i, $"{Show(insn)} has offset {insn.Offset}, a field this instruction does not use; it must be 0");
            }
            if (imm && insn.Imm != 0)
            {
                Report(DiagnosticCodes.UnusedFieldNotZero, i, $"{Show(insn)} has imm {insn.Imm}, a field this instruction does not use; it must be 0");
            }
        }

        private void UnusedRegisters(int i, Instruction insn)
        {
            if (insn.Dst != 0 || insn.Src != 0)
            {
                Report(DiagnosticCodes.UnusedFieldNotZero, i, $"{Show(insn)} has dst r{insn.Dst} and src r{insn.Src}; this instruction uses neither, both must be 0");
            }
        }

        private static string Show(Instruction insn)
        {
            var text = Disassembler.Disassemble(insn);
            return text == "<unknown>" ? $"opcode 0x{insn.Opcode:x2}" : $"'{text}' (opcode 0x{insn.Opcode:x2})";
        }
    }
}
