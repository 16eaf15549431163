namespace Bpftime.Verification;

/// <summary>The argument points exactly at the struct bpf_spin_lock member (from BTF) of a writable map value.</summary>
internal sealed record SpinLockArgument(int Register, string Role) : HelperArgumentAssertion(Register, Role);
