namespace Bpftime.Execution;

/// <summary>
/// One map as a run sees it: the value memory a program may reach through it. Declared here, below the
/// maps, so that the run record and the access rules name the maps of a run without depending on the
/// map types; <see cref="Maps.BpfMap"/> implements it.
/// </summary>
public interface IMapMemory
{
    /// <summary>A disposed map's values are gone: nothing of it is reachable.</summary>
    bool IsDisposed { get; }

    /// <summary>Memory that programs may reach through value pointers of this map.</summary>
    IEnumerable<MemoryRegion> ValueRegions { get; }

    /// <summary>Whether programs may only read the values (.rodata, BPF_F_RDONLY_PROG).</summary>
    bool IsReadOnlyForPrograms { get; }
}
