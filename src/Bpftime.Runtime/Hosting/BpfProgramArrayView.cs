using Bpftime.Diagnostics;
using Bpftime.Maps;

namespace Bpftime.Hosting;

/// <summary>A PROG_ARRAY map: which program each slot's tail call continues in.</summary>
public sealed class BpfProgramArrayView
{
    private readonly ProgramArrayMap _map;

    internal BpfProgramArrayView(BpfMap map) => _map = MapViewChecks.Kind<ProgramArrayMap>(map, "AsProgramArray");

    public BpfMap Map => _map;

    /// <summary>Puts <paramref name="program"/> in slot <paramref name="index"/> (null empties it): 0, or -E2BIG past the end.</summary>
    public int Set(uint index, BpfProgram? program)
    {
        if (program is not null && program.Executable is null)
        {
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.InvalidTailCallTarget, $"program '{program.Name}' cannot be a tail-call target"));
        }
        if (program is not null)
        {
            program.Owner.CheckTailCallTarget(program);
        }
        return _map.Set(index, program?.Executable);
    }

    /// <summary>0, or -ENOENT when the slot was empty.</summary>
    public int Clear(uint index) => _map.Delete(BitConverter.GetBytes(index));
}
