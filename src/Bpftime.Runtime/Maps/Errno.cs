namespace Bpftime.Maps;

/// <summary>The Linux errno values that map operations return negated, as the kernel does.</summary>
public static class Errno
{
    public const int ENOENT = 2;
    public const int E2BIG = 7;
    public const int ENOMEM = 12;
    public const int EEXIST = 17;
    public const int EINVAL = 22;
    public const int ENOSPC = 28;
}
