namespace Bpftime.Execution;

public static class ExecutableExtensions
{
    /// <summary>Runs over <paramref name="memory"/> (r1 = its address, r2 = its length); the program may write it.</summary>
    public static unsafe ulong Run(this IBpfExecutable executable, Span<byte> memory)
    {
        fixed (byte* pointer = memory)
        {
            return executable.Execute((nint)pointer, (ulong)memory.Length);
        }
    }
}
