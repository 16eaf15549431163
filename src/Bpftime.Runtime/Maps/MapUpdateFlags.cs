namespace Bpftime.Maps;

/// <summary>The flags of a map update, with Linux's values (BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK).</summary>
public static class MapUpdateFlags
{
    /// <summary>Create or replace.</summary>
    public const ulong Any = 0;

    /// <summary>Create only: fails with -EEXIST when the key is present.</summary>
    public const ulong NoExist = 1;

    /// <summary>Replace only: fails with -ENOENT when the key is absent.</summary>
    public const ulong Exist = 2;

    /// <summary>Update under the value's bpf_spin_lock (needs a lock in the value's BTF).</summary>
    public const ulong Lock = 4;
}
