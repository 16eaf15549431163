namespace Bpftime.Verification;

/// <summary>One spin lock at a time: bpf_spin_lock with none held, bpf_spin_unlock with one held, no other helper while held.</summary>
internal sealed record LockDiscipline(int Id, string HelperName) : Assertion;
