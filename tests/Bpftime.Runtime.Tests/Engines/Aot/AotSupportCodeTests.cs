using Bpftime.Engines.Aot;
using Bpftime.Linking.Native;
using Iced.Intel;

namespace Bpftime.Runtime.Tests.Engines.Aot;

/// <summary>Decodes the linker's hand-encoded routines to check every byte means what its comment says.</summary>
public class AotSupportCodeTests
{
    private const int FrameSlot = 0x1000;
    private const int Table = 0x1040;
    private const int CheckedSlot = 0x1008;
    private const int StubSlot = 0x1010;

    private static (string[] Listing, AotSupportEntries Entries) Disassemble()
    {
        var (code, entries) = AotSupportCode.Emit(0, new AotSupportSlots(FrameSlot, Table, 6, [CheckedSlot], [StubSlot]), withDispatcher: true);
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(code));
        var formatter = new NasmFormatter();
        var lines = new List<string>();
        while ((int)decoder.IP < code.Length)
        {
            var address = decoder.IP;
            decoder.Decode(out var instruction);
            Assert.False(instruction.IsInvalid, $"invalid instruction at 0x{address:x}");
            var output = new StringOutput();
            formatter.Format(instruction, output);
            lines.Add($"{address:x4} {output.ToStringAndReset()}");
        }
        return ([.. lines], entries);
    }

    private static string[] Routine(string[] listing, int start, int count) =>
        [.. listing.SkipWhile(l => Convert.ToInt32(l[..4], 16) < start).Take(count).Select(l => l[5..])];

    [Fact]
    public void RunSavesCalleeSavedRegistersAndTheStackForUnwinding()
    {
        var (listing, entries) = Disassemble();
        Assert.Equal(
        [
            "push rbp", "push rbx", "push r12", "push r13", "push r14", "push r15", "sub rsp,8", "mov [rcx],rsp",
            // entry(ctx, len, run state): the state moves from r8 into the third argument register.
            "mov rax,rdx", "mov rdx,r8", "call rax",
            "add rsp,8", "pop r15", "pop r14", "pop r13", "pop r12", "pop rbx", "pop rbp", "ret",
        ], Routine(listing, entries.Run, 19));
    }

    [Fact]
    public void CheckedHelperCallsThroughItsSlotAndUnwindsOnZero()
    {
        var (listing, entries) = Disassemble();
        var routine = Routine(listing, entries.CheckedHelpers[0], 6);
        Assert.Equal("sub rsp,8", routine[0]);
        Assert.Equal($"call qword [rel {CheckedSlot:X}h]", routine[1]);
        Assert.Equal(["add rsp,8", "test rax,rax"], routine[2..4]);
        Assert.StartsWith("je ", routine[4]);
        Assert.Equal("ret", routine[5]);
    }

    [Fact]
    public void DispatcherShiftsArgumentsAndRecordsUnknownIds()
    {
        var (listing, entries) = Disassemble();
        var routine = Routine(listing, entries.Dispatcher, 32);
        Assert.Equal("cmp rdi,6", routine[0]);
        Assert.Equal($"lea r10,[rel {Table:X}h]", routine[4]);
        Assert.StartsWith("jae ", routine[1]);
        Assert.Equal(["mov rdi,rsi", "mov rsi,rdx", "mov rdx,rcx", "mov rcx,r8", "mov r8,r9"], routine[9..14]);
        Assert.Equal("cmp qword [r10+8],0", routine[14]);
        Assert.Equal("jmp rax", routine[16]);
        Assert.Contains("mov [rax+8],rdi", routine);
        Assert.Contains("mov qword [rax+10h],1", routine);
        Assert.Contains("mov rax,0FFFFFFFFFFFFFFDAh", routine);
    }

    [Fact]
    public void StubJumpsThroughItsSlot()
    {
        var (listing, entries) = Disassemble();
        Assert.Equal($"jmp qword [rel {StubSlot:X}h]", Routine(listing, entries.Stubs[0], 1)[0]);
    }

    [Fact]
    public void BuiltinsAreTheStringInstructionsTheyShouldBe()
    {
        var (listing, entries) = Disassemble();
        Assert.Equal(["mov rax,rdi", "mov rcx,rdx", "rep movsb", "ret"], Routine(listing, entries.Builtins["memcpy"], 4));
        Assert.Equal(["mov r8,rdi", "mov eax,esi", "mov rcx,rdx", "rep stosb", "mov rax,r8", "ret"], Routine(listing, entries.Builtins["memset"], 6));
        Assert.Contains("std", Routine(listing, entries.Builtins["memmove"], 14));
        Assert.Equal(entries.Builtins["memcmp"], entries.Builtins["bcmp"]);
    }
}
