using Bpftime.Diagnostics;

namespace Bpftime.Objects;

/// <summary>
/// Checks that every type id a BTF type mentions exists, and that types never contain themselves
/// except through a pointer (the only legal way back), so later walks cannot loop.
/// </summary>
internal static class BtfValidator
{
    public static void Validate(BtfType[] types, string? file)
    {
        var count = (uint)types.Length;
        var edges = new uint[types.Length][];
        foreach (var type in types)
        {
            foreach (var referenced in References(type))
            {
                if (referenced >= count)
                {
                    throw BpfException.Create(DiagnosticCodes.BtfTypeIdOutOfRange,
                        $"BTF type {type.Id} ({type.Kind} '{type.Name}') refers to type {referenced}, past the last type ({count - 1})", file);
                }
            }
            edges[type.Id] = type.Kind == BtfKind.Pointer ? [] : References(type).ToArray();
        }
        FindCycles(edges, types, file);
    }

    /// <summary>Every type id a type refers to.</summary>
    private static IEnumerable<uint> References(BtfType type)
    {
        switch (type.Kind)
        {
            case BtfKind.Pointer or BtfKind.Typedef or BtfKind.Volatile or BtfKind.Const or BtfKind.Restrict
                or BtfKind.Function or BtfKind.FunctionProto or BtfKind.Variable or BtfKind.DeclTag or BtfKind.TypeTag:
                yield return type.TypeId;
                break;
            case BtfKind.Array:
                yield return type.Array!.ElementTypeId;
                yield return type.Array.IndexTypeId;
                break;
        }
        foreach (var member in type.Members)
        {
            yield return member.TypeId;
        }
        foreach (var parameter in type.Parameters)
        {
            yield return parameter.TypeId;
        }
        foreach (var variable in type.Variables)
        {
            yield return variable.TypeId;
        }
    }

    private static void FindCycles(uint[][] edges, BtfType[] types, string? file)
    {
        // Iterative depth-first search: 1 = on the current path, 2 = finished.
        var state = new byte[edges.Length];
        var stack = new Stack<(uint Node, int Next)>();
        for (uint start = 0; start < edges.Length; start++)
        {
            if (state[start] != 0)
            {
                continue;
            }
            stack.Push((start, 0));
            state[start] = 1;
            while (stack.Count > 0)
            {
                var (node, next) = stack.Pop();
                if (next < edges[node].Length)
                {
                    stack.Push((node, next + 1));
                    var target = edges[node][next];
                    if (state[target] == 1)
                    {
                        throw BpfException.Create(DiagnosticCodes.BtfCycle,
                            $"BTF type {target} ({types[target].Kind} '{types[target].Name}') contains itself without a pointer between", file);
                    }
                    if (state[target] == 0)
                    {
                        state[target] = 1;
                        stack.Push((target, 0));
                    }
                }
                else
                {
                    state[node] = 2;
                }
            }
        }
    }
}
