namespace Bpftime.Execution;

/// <summary>A loaded program. Safe to run from several threads at once; dispose frees native memory.</summary>
public interface IBpfExecutable : IDisposable
{
    string EngineName { get; }

    /// <summary>Runs with r1 = <paramref name="context"/> and r2 = <paramref name="contextLength"/>; returns r0.</summary>
    ulong Execute(nint context, ulong contextLength);
}
