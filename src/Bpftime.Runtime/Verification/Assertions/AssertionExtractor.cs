using Bpftime.Helpers;
using Bpftime.Isa;

namespace Bpftime.Verification;

/// <summary>
/// Derives each instruction's <see cref="Assertion"/>s, once per instruction: the registers it reads
/// (ALU operands, comparison operands, addresses and stored values), what exit, a legacy packet load
/// or an atomic operation needs of the state, and, for a helper call, what the
/// helper's prototype (<see cref="HelperCatalogue"/>, or the host's own for its helpers) asks of each
/// argument register. The order is the order they are checked in, which fixes which diagnostic a
/// state breaking several of them gets.
/// </summary>
internal sealed class AssertionExtractor(HelperTable? helpers)
{
    public Assertion[] Extract(Instruction insn)
    {
        switch (insn.Class)
        {
            case InstructionClass.Alu:
            case InstructionClass.Alu64:
                return Alu(insn);
            case InstructionClass.Ldx when insn.MemoryMode is MemoryMode.Mem or MemoryMode.MemSx:
                return [new RegisterInitialized(insn.Src, "the address of a load")];
            case InstructionClass.St or InstructionClass.Stx when insn.MemoryMode == MemoryMode.Atomic:
                return Atomic(insn);
            case InstructionClass.Ld when ProgramValidator.IsLegacyPacketLoad(insn):
                return insn.MemoryMode == MemoryMode.Ind
                    ? [new LegacyPacketLoadAllowed(), new LegacyPacketSocketBuffer(), new LegacyPacketOffset(insn.Src)]
                    : [new LegacyPacketLoadAllowed(), new LegacyPacketSocketBuffer()];
            case InstructionClass.St when insn.MemoryMode == MemoryMode.Mem:
                return [new RegisterInitialized(insn.Dst, "the address of a store")];
            case InstructionClass.Stx when insn.MemoryMode == MemoryMode.Mem:
                return [new RegisterInitialized(insn.Dst, "the address of a store"), new RegisterInitialized(insn.Src, "the value of a store")];
            case InstructionClass.Jmp when insn.IsExit:
                return [new ReturnValueSet(), new LockReleasedAtExit(), new ReturnValueKind(), new ReferencesReleasedAtExit()];
            case InstructionClass.Jmp or InstructionClass.Jmp32 when insn.IsHelperCall:
                return HelperCall(insn.Imm);
            case InstructionClass.Jmp or InstructionClass.Jmp32 when IsConditional(insn):
                return insn.Source == OperandSource.Register
                    ? [new RegisterInitialized(insn.Dst, "a comparison operand"), new RegisterInitialized(insn.Src, "a comparison operand")]
                    : [new RegisterInitialized(insn.Dst, "a comparison operand")];
            default:
                return [];
        }
    }

    /// <summary>Both registers written, a number stored, an address atomics may use, and for cmpxchg a numeric r0.</summary>
    private static Assertion[] Atomic(Instruction insn)
    {
        Assertion[] operands =
        [
            new RegisterInitialized(insn.Dst, "the address of an atomic operation"),
            new RegisterInitialized(insn.Src, "the operand of an atomic operation"),
            new AtomicOperand(insn.Src),
            new AtomicTarget(insn.Dst),
        ];
        return insn.AtomicOperation == AtomicOperation.CmpXchg ? [.. operands, new CmpxchgExpected()] : operands;
    }

    private static bool IsConditional(Instruction insn) =>
        insn.Opcode is not (Opcodes.Ja or Opcodes.Gotol) && !insn.IsExit && !insn.IsCall;

    private static Assertion[] Alu(Instruction insn)
    {
        var op = insn.AluOperation;
        if (op is AluOperation.Neg or AluOperation.End)
        {
            return [Destination(insn)];
        }
        var source = insn.Source == OperandSource.Register ? new RegisterInitialized(insn.Src, "a source operand") : null;
        if (op == AluOperation.Mov)
        {
            // A move writes its destination without reading it.
            return source is null ? [] : [source];
        }
        return source is null ? [Destination(insn)] : [source, Destination(insn)];
    }

    private static RegisterInitialized Destination(Instruction insn) =>
        new(insn.Dst, "the destination of " + Disassembler.Disassemble(insn));

    /// <summary>
    /// The call's assertions: the helper is available, the lock discipline holds, then each argument
    /// (initialised, then what its kind asks), then what a bare prototype cannot say.
    /// </summary>
    private Assertion[] HelperCall(int id)
    {
        var rule = HelperCatalogue.Resolve(id, helpers);
        if (rule is null)
        {
            return [new HelperAvailable(id, null)];
        }
        var assertions = new List<Assertion> { new HelperAvailable(id, rule), new LockDiscipline(id, rule.Name) };
        var arguments = rule.Prototype.Arguments;
        var unchecked_ = ReferenceEquals(rule.Prototype, HelperPrototype.Unchecked);
        var hostHelper = !ReferenceEquals(HelperCatalogue.Find(id), rule);
        for (var k = 0; k < arguments.Count && !unchecked_; k++)
        {
            var register = k + 1;
            var kind = arguments[k];
            var role = $"argument {register} of {rule.Name}";
            assertions.Add(new ArgumentInitialized(register, role, KindText(kind)));
            if (Argument(rule, kind, register, role, k + 1 < arguments.Count ? arguments[k + 1] : null, hostHelper) is { } argument)
            {
                assertions.Add(argument);
            }
        }
        if (!unchecked_ && rule.CopiesFromSource)
        {
            assertions.Add(new CopySourceArgument(3, $"argument 3 of {rule.Name} (the source)"));
        }
        if (rule.SpinLockArgument)
        {
            assertions.Add(new SpinLockArgument(1, $"argument 1 of {rule.Name} (the lock)"));
        }
        if (id == HelperIds.TailCall)
        {
            assertions.Add(new NoHeldReferences());
        }
        return [.. assertions];
    }

    private static HelperArgumentAssertion? Argument(HelperRule rule, HelperArgumentKind kind, int register, string role, HelperArgumentKind? next, bool hostHelper) => kind switch
    {
        HelperArgumentKind.Anything when rule.Callback != CallbackKind.None => new CallbackContextArgument(register, role, StackOrNull: false),
        HelperArgumentKind.Anything when hostHelper => new HostArgument(register, role),
        HelperArgumentKind.Anything => null,
        HelperArgumentKind.StackPointerOrNull => new CallbackContextArgument(register, role, StackOrNull: true),
        HelperArgumentKind.SpinLock => new SpinLockArgument(register, role),
        HelperArgumentKind.UninitializedMapValue => new MapValueBufferArgument(register, role),
        HelperArgumentKind.Scalar or HelperArgumentKind.ConstSize or HelperArgumentKind.ConstSizeOrZero => new ScalarArgument(register, role),
        HelperArgumentKind.ConstMapPointer => new MapPointerArgument(register, role),
        HelperArgumentKind.MapKey => new MapKeyValueArgument(register, role, Key: true, Writes: false),
        HelperArgumentKind.MapValue => new MapKeyValueArgument(register, role, Key: false, Writes: rule.WritesMapValue),
        HelperArgumentKind.Memory or HelperArgumentKind.MemoryOrNull or HelperArgumentKind.UninitializedMemory
            or HelperArgumentKind.UninitializedMemoryOrNull or HelperArgumentKind.MutableMemory => new MemoryArgument(register, role,
                kind switch
                {
                    HelperArgumentKind.MutableMemory => MemoryUse.ReadWrite,
                    HelperArgumentKind.UninitializedMemory or HelperArgumentKind.UninitializedMemoryOrNull => MemoryUse.Write,
                    _ => MemoryUse.Read,
                },
                HasSize: next is not null,
                ZeroSizeAllowed: next == HelperArgumentKind.ConstSizeOrZero,
                OrNull: kind is HelperArgumentKind.MemoryOrNull or HelperArgumentKind.UninitializedMemoryOrNull,
                FormatStrings: rule.Id == HelperIds.Snprintf && register == 4),
        HelperArgumentKind.Context => new ContextArgument(register, role, OrNull: false),
        HelperArgumentKind.ContextOrNull => new ContextArgument(register, role, OrNull: true),
        HelperArgumentKind.Socket => new SocketArgument(register, role, rule.Name),
        HelperArgumentKind.ConstString => new ConstStringArgument(register, role),
        HelperArgumentKind.RingBufferRecord => new RingBufferRecordArgument(register, role, rule.Name),
        HelperArgumentKind.Function => new FunctionArgument(register, role),
        HelperArgumentKind.StackPointer => new StackSlotArgument(register, role),
        _ => null,
    };

    /// <summary>What an argument kind is, in words, for "R2 is not initialised but is argument 2 of ... (a pointer to the key)".</summary>
    private static string KindText(HelperArgumentKind kind) => kind switch
    {
        HelperArgumentKind.ConstMapPointer => "a map",
        HelperArgumentKind.MapKey => "a pointer to the key",
        HelperArgumentKind.MapValue => "a pointer to the value",
        HelperArgumentKind.Memory or HelperArgumentKind.MemoryOrNull => "a pointer to memory",
        HelperArgumentKind.UninitializedMemory or HelperArgumentKind.UninitializedMemoryOrNull => "a pointer to a buffer",
        HelperArgumentKind.MutableMemory => "a pointer to initialised memory the helper updates",
        HelperArgumentKind.ContextOrNull => "the context or 0",
        HelperArgumentKind.Socket => "a socket",
        HelperArgumentKind.ConstSize or HelperArgumentKind.ConstSizeOrZero => "a size",
        HelperArgumentKind.Context => "the context",
        HelperArgumentKind.ConstString => "a constant string",
        HelperArgumentKind.RingBufferRecord => "a ring-buffer record",
        HelperArgumentKind.Function => "a callback",
        _ => "a value",
    };
}
