namespace Bpftime.Objects;

/// <summary>What kind of file an object was read from.</summary>
public enum ObjectKind
{
    /// <summary>An ELF relocatable object for EM_BPF (clang -target bpf -c).</summary>
    Elf,
    /// <summary>Raw little-endian instructions, 8 bytes each, with no container.</summary>
    RawBytecode,

    /// <summary>A native object compiled ahead of time; programs carry no bytecode.</summary>
    NativeCode,
}
