using System.Runtime.CompilerServices;
namespace Bpftime.Linking.Native;

/// <summary>
/// The linker's own machine code, placed at the start of the code pages of every linked block.
/// <list type="bullet">
/// <item><c>run(ctx, len, entry, frame, state)</c>: saves the callee-saved registers and the stack pointer
/// in <c>frame</c>, calls the entry; a helper that stops the program unwinds back here with r0 = 0.</item>
/// <item>checked helper wrappers: call a helper with <c>StopsProgramOnZero</c>; on 0 they unwind.</item>
/// <item><c>_bpf_helper_by_id(id, r1..r5)</c>: looks the id up in a table of (entry, stops-on-zero)
/// pairs; an unknown id records a fault in the current frame and returns <see cref="UnknownHelperResult"/>.</item>
/// <item>memcpy, memset, memmove, memcmp, bcmp: the builtins LLVM may call, libc-free so that
/// they sit inside the block and always reach; and __stack_chk_fail (ud2) for stack-protected code.</item>
/// <item>far-call stubs, <c>jmp [rip+slot]</c>, for helpers out of reach of a rel32.</item>
/// <item>return-zero: where calls to an unresolved weak function land (its address still reads as 0).</item>
/// </list>
/// Every routine keeps the System V stack alignment when it calls out.
/// </summary>
internal static class AotSupportCode
{
    /// <summary>What a call by id to a helper outside the active set returns (-ENOSYS).</summary>
    public const ulong UnknownHelperResult = unchecked((ulong)-38L);

    public const string Memcpy = "memcpy";
    public const string Memset = "memset";
    public const string Memmove = "memmove";
    public const string Memcmp = "memcmp";
    public const string Bcmp = "bcmp";
    public const string StackCheckFail = "__stack_chk_fail";

    public static readonly IReadOnlyList<string> BuiltinNames = [Memcpy, Memset, Memmove, Memcmp, Bcmp, StackCheckFail];

    /// <summary>Whether <paramref name="name"/> is one of <see cref="BuiltinNames"/> (without touching the list).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsBuiltin(string name) => name is Memcpy or Memset or Memmove or Memcmp or Bcmp or StackCheckFail;

    /// <summary>The routines' code and entries (for tests and tools; the linker calls the other overload).</summary>
    public static (byte[] Code, AotSupportEntries Entries) Emit(int baseOffset, AotSupportSlots slots, bool withDispatcher)
    {
        var entries = Emit(baseOffset, slots, withDispatcher, out var code);
        return (code, entries);
    }

    /// <summary>Writes the routines for a block whose code pages start at <paramref name="baseOffset"/>; their code goes to <paramref name="supportCode"/>.</summary>
    public static AotSupportEntries Emit(int baseOffset, AotSupportSlots slots, bool withDispatcher, out byte[] supportCode)
    {
        var code = new CodeWriter(baseOffset);

        // run(rdi = ctx, rsi = len, rdx = entry, rcx = frame, r8 = run state): the entry gets (ctx, len, state).
        var run = code.Position;
        code.Emit(0x55, 0x53); // push rbp, rbx
        code.Emit(0x41, 0x54, 0x41, 0x55); // push r12, r13
        code.Emit(0x41, 0x56, 0x41, 0x57); // push r14, r15
        code.Emit(0x48, 0x83, 0xEC, 0x08); // sub rsp, 8 (16-byte aligned at the call)
        code.Emit(0x48, 0x89, 0x21); // mov [rcx], rsp
        code.Emit(0x48, 0x89, 0xD0); // mov rax, rdx
        code.Emit(0x4C, 0x89, 0xC2); // mov rdx, r8
        code.Emit(0xFF, 0xD0); // call rax
        var runReturn = code.CreateLabel();
        code.Bind(runReturn);
        code.Emit(0x48, 0x83, 0xC4, 0x08); // add rsp, 8
        code.Emit(0x41, 0x5F, 0x41, 0x5E); // pop r15, r14
        code.Emit(0x41, 0x5D, 0x41, 0x5C); // pop r13, r12
        code.Emit(0x5B, 0x5D); // pop rbx, rbp
        code.Emit(0xC3);
        code.Align(16);

        // unwind: entered with the stack as at a routine's entry (return address on top).
        var unwind = code.CreateLabel();
        var noFrame = code.CreateLabel();
        code.Bind(unwind);
        code.Emit(0x53); // push rbx (aligns for the call)
        code.Emit(0xFF, 0x15); // call [rip+frame callback]
        code.EmitRelative32To(slots.FrameCallbackSlot);
        code.Emit(0x5B); // pop rbx
        code.Emit(0x48, 0x85, 0xC0); // test rax, rax
        code.Emit(0x74); // jz noFrame
        code.EmitRelative8To(noFrame);
        code.Emit(0x48, 0x8B, 0x20); // mov rsp, [rax]
        code.Emit(0x31, 0xC0); // xor eax, eax
        code.Emit(0xE9); // jmp runReturn
        code.EmitRelative32To(runReturn);
        code.Bind(noFrame);
        var returnZero = code.Position;
        code.Emit(0x31, 0xC0, 0xC3); // xor eax, eax; ret
        code.Align(16);

        var checkedHelpers = new int[slots.CheckedHelperSlots.Length];
        for (var i = 0; i < checkedHelpers.Length; i++)
        {
            var slot = slots.CheckedHelperSlots[i];
            checkedHelpers[i] = code.Position;
            code.Emit(0x48, 0x83, 0xEC, 0x08); // sub rsp, 8
            code.Emit(0xFF, 0x15); // call [rip+slot]
            code.EmitRelative32To(slot);
            code.Emit(0x48, 0x83, 0xC4, 0x08); // add rsp, 8
            code.Emit(0x48, 0x85, 0xC0); // test rax, rax
            code.Emit(0x0F, 0x84); // jz unwind
            code.EmitRelative32To(unwind);
            code.Emit(0xC3);
            code.Align(16);
        }

        var dispatcher = -1;
        if (withDispatcher)
        {
            dispatcher = code.Position;
            var unknown = code.CreateLabel();
            var stopsOnZero = code.CreateLabel();
            var sentinel = code.CreateLabel();
            code.Emit(0x48, 0x81, 0xFF); // cmp rdi, length
            code.EmitInt32(slots.DispatchTableLength);
            code.Emit(0x0F, 0x83); // jae unknown
            code.EmitRelative32To(unknown);
            code.Emit(0x48, 0x89, 0xF8); // mov rax, rdi
            code.Emit(0x48, 0xC1, 0xE0, 0x04); // shl rax, 4
            code.Emit(0x4C, 0x8D, 0x15); // lea r10, [rip+table]
            code.EmitRelative32To(slots.DispatchTable);
            code.Emit(0x49, 0x01, 0xC2); // add r10, rax
            code.Emit(0x49, 0x8B, 0x02); // mov rax, [r10]
            code.Emit(0x48, 0x85, 0xC0); // test rax, rax
            code.Emit(0x0F, 0x84); // jz unknown
            code.EmitRelative32To(unknown);
            code.Emit(0x48, 0x89, 0xF7); // mov rdi, rsi
            code.Emit(0x48, 0x89, 0xD6); // mov rsi, rdx
            code.Emit(0x48, 0x89, 0xCA); // mov rdx, rcx
            code.Emit(0x4C, 0x89, 0xC1); // mov rcx, r8
            code.Emit(0x4D, 0x89, 0xC8); // mov r8, r9
            code.Emit(0x49, 0x83, 0x7A, 0x08, 0x00); // cmp qword [r10+8], 0
            code.Emit(0x75); // jne stopsOnZero
            code.EmitRelative8To(stopsOnZero);
            code.Emit(0xFF, 0xE0); // jmp rax
            code.Bind(stopsOnZero);
            code.Emit(0x48, 0x83, 0xEC, 0x08); // sub rsp, 8
            code.Emit(0xFF, 0xD0); // call rax
            code.Emit(0x48, 0x83, 0xC4, 0x08); // add rsp, 8
            code.Emit(0x48, 0x85, 0xC0); // test rax, rax
            code.Emit(0x0F, 0x84); // jz unwind
            code.EmitRelative32To(unwind);
            code.Emit(0xC3);
            code.Bind(unknown);
            code.Emit(0x57); // push rdi (keeps the id, aligns for the call)
            code.Emit(0xFF, 0x15); // call [rip+frame callback]
            code.EmitRelative32To(slots.FrameCallbackSlot);
            code.Emit(0x5F); // pop rdi
            code.Emit(0x48, 0x85, 0xC0); // test rax, rax
            code.Emit(0x74); // jz sentinel
            code.EmitRelative8To(sentinel);
            code.Emit(0x48, 0x89, 0x78, 0x08); // mov [rax+8], rdi (frame.FaultHelperId)
            code.Emit(0x48, 0xC7, 0x40, 0x10); // mov qword [rax+16], 1 (frame.Faulted)
            code.EmitInt32(1);
            code.Bind(sentinel);
            code.Emit(0x48, 0xB8); // mov rax, imm64
            code.EmitUInt64(UnknownHelperResult);
            code.Emit(0xC3);
            code.Align(16);
        }

        var memcpy = code.Position;
        code.Emit(0x48, 0x89, 0xF8); // mov rax, rdi
        code.Emit(0x48, 0x89, 0xD1); // mov rcx, rdx
        code.Emit(0xF3, 0xA4); // rep movsb
        code.Emit(0xC3);
        code.Align(16);

        var memset = code.Position;
        code.Emit(0x49, 0x89, 0xF8); // mov r8, rdi
        code.Emit(0x89, 0xF0); // mov eax, esi
        code.Emit(0x48, 0x89, 0xD1); // mov rcx, rdx
        code.Emit(0xF3, 0xAA); // rep stosb
        code.Emit(0x4C, 0x89, 0xC0); // mov rax, r8
        code.Emit(0xC3);
        code.Align(16);

        var memmove = code.Position;
        var forward = code.CreateLabel();
        code.Emit(0x48, 0x89, 0xF8); // mov rax, rdi
        code.Emit(0x48, 0x89, 0xD1); // mov rcx, rdx
        code.Emit(0x49, 0x89, 0xF8); // mov r8, rdi
        code.Emit(0x49, 0x29, 0xF0); // sub r8, rsi
        code.Emit(0x49, 0x39, 0xD0); // cmp r8, rdx (dst - src >= n, unsigned: a forward copy is safe)
        code.Emit(0x73); // jae forward
        code.EmitRelative8To(forward);
        code.Emit(0x48, 0x8D, 0x74, 0x16, 0xFF); // lea rsi, [rsi+rdx-1]
        code.Emit(0x48, 0x8D, 0x7C, 0x17, 0xFF); // lea rdi, [rdi+rdx-1]
        code.Emit(0xFD); // std
        code.Emit(0xF3, 0xA4); // rep movsb
        code.Emit(0xFC); // cld
        code.Emit(0xC3);
        code.Bind(forward);
        code.Emit(0xF3, 0xA4); // rep movsb
        code.Emit(0xC3);
        code.Align(16);

        var compare = code.Position;
        var loop = code.CreateLabel();
        var done = code.CreateLabel();
        code.Emit(0x31, 0xC0); // xor eax, eax
        code.Bind(loop);
        code.Emit(0x48, 0x85, 0xD2); // test rdx, rdx
        code.Emit(0x74); // jz done
        code.EmitRelative8To(done);
        code.Emit(0x0F, 0xB6, 0x07); // movzx eax, byte [rdi]
        code.Emit(0x0F, 0xB6, 0x0E); // movzx ecx, byte [rsi]
        code.Emit(0x29, 0xC8); // sub eax, ecx
        code.Emit(0x75); // jnz done
        code.EmitRelative8To(done);
        code.Emit(0x48, 0xFF, 0xC7); // inc rdi
        code.Emit(0x48, 0xFF, 0xC6); // inc rsi
        code.Emit(0x48, 0xFF, 0xCA); // dec rdx
        code.Emit(0xEB); // jmp loop
        code.EmitRelative8To(loop);
        code.Bind(done);
        code.Emit(0xC3);
        code.Align(16);

        // Code built with a stack protector reads the canary from %fs:0x28, which the host's libc set up;
        // a smashed stack cannot be returned from safely, so this stops the process as libc would.
        var stackCheckFail = code.Position;
        code.Emit(0x0F, 0x0B); // ud2
        code.Align(16);

        var stubs = new int[slots.StubSlots.Length];
        for (var i = 0; i < stubs.Length; i++)
        {
            stubs[i] = code.Position;
            code.Emit(0xFF, 0x25); // jmp [rip+slot]
            code.EmitRelative32To(slots.StubSlots[i]);
            code.Align(8);
        }

        supportCode = code.ToArray();
        return new AotSupportEntries(run, dispatcher, returnZero, checkedHelpers, stubs, memcpy, memset, memmove, compare, stackCheckFail);
    }
}
