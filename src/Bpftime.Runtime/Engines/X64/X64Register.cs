namespace Bpftime.Engines.X64;

/// <summary>x86-64 general-purpose registers by hardware number (the low three bits go in ModRM, bit 3 in REX).</summary>
public enum X64Register : byte
{
    Rax = 0,
    Rcx = 1,
    Rdx = 2,
    Rbx = 3,
    Rsp = 4,
    Rbp = 5,
    Rsi = 6,
    Rdi = 7,
    R8 = 8,
    R9 = 9,
    R10 = 10,
    R11 = 11,
    R12 = 12,
    R13 = 13,
    R14 = 14,
    R15 = 15,
}
