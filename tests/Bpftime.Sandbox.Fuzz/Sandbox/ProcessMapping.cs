namespace Bpftime.Sandbox.Fuzz.Sandbox;

/// <summary>One line of /proc/self/maps: [Start, End), permissions and what is mapped.</summary>
internal readonly record struct ProcessMapping(ulong Start, ulong End, string Permissions, string Path)
{
    public bool Contains(ulong address) => address >= Start && address < End;

    public override string ToString() => $"0x{Start:x}-0x{End:x} {Permissions} {(Path.Length == 0 ? "[anonymous]" : Path)}";
}
