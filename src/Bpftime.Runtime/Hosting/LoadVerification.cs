using Bpftime.Helpers;
using Bpftime.Objects;
using Bpftime.Verification;

namespace Bpftime.Hosting;

/// <summary>
/// What the loader tells the verifier about a program's world: the helpers in use, and the context
/// r1 points at, chosen by program type (XDP: xdp_md), else by the struct the program's BTF says
/// its first parameter points to when the host declared it in <see cref="BpfLoadOptions.ContextTypes"/>,
/// a socket buffer for socket filter and tc programs that use legacy packet loads,
/// else the (mem, len) contract when <see cref="BpfLoadOptions.MemoryWithLength"/> asks for it, else raw
/// memory of <see cref="BpfLoadOptions.ContextSize"/> bytes (0 when unknown).
/// </summary>
internal static class LoadVerification
{
    /// <summary>The verifier's options for the program's context (see <see cref="ContextFor"/>).</summary>
    public static VerifierOptions OptionsFor(ProgramContext context, HelperTable helpers, IReadOnlyList<BpfContextType>? types, bool requireTermination = false) =>
        ContextOptions(context, helpers, types) with { RequireTermination = requireTermination };

    private static VerifierOptions ContextOptions(ProgramContext context, HelperTable helpers, IReadOnlyList<BpfContextType>? types) => context.Kind switch
    {
        // Hosting's XDP frames are real xdp_md structs below 4 GiB: no rewriting, no size to ask for.
        BpfContextKind.XdpFrame => new VerifierOptions { Helpers = helpers, Context = ContextLayout.Xdp },
        // Hosting's socket buffers are real __sk_buff structs below 4 GiB, as XDP frames are xdp_md.
        BpfContextKind.SocketBuffer => new VerifierOptions { Helpers = helpers, Context = LinuxContexts.For(context.LinuxType) },
        BpfContextKind.HostStruct => new VerifierOptions { Helpers = helpers, Context = types!.First(t => t.Name == context.TypeName).ToContextLayout() },
        // (mem, len): r2 is the buffer's exact length, which the program must compare offsets with.
        BpfContextKind.MemoryWithLength => new VerifierOptions { Helpers = helpers, Context = ContextLayout.RawMemory(0), ContextLengthInR2 = true },
        // Hosts run programs on spans of any length of at least this size, so r2 is not one number.
        // The layout is given, not left to the program type: a tc or kprobe program runs on this raw
        // span here, not on the __sk_buff or pt_regs the verifier would otherwise assume.
        _ => new VerifierOptions { Helpers = helpers, Context = ContextLayout.RawMemory(context.Size), VariableContextLength = true },
    };

    /// <summary>
    /// The context a program of bytecode is loaded for, whether or not it is verified: an XDP frame by
    /// program type, the host struct its first parameter points to, else raw memory of
    /// <see cref="BpfLoadOptions.ContextSize"/> bytes (<paramref name="proved"/>: the verifier passed it, so 0 bytes means none).
    /// </summary>
    public static ProgramContext ContextFor(BpfProgramInfo program, Btf? btf, BpfLoadOptions options, bool proved = false)
    {
        if (program.Type == ProgramType.Xdp)
        {
            return ProgramContext.Xdp;
        }
        if (SocketBuffer.IsContextOf(program))
        {
            return ProgramContext.ForSocketBuffer(program.Type);
        }
        if (HostContext(program, btf, options.ContextTypes) is { } declared)
        {
            return new ProgramContext(BpfContextKind.HostStruct, declared.Size, declared.Name);
        }
        if (options.MemoryWithLength)
        {
            return ProgramContext.MemoryWithLength;
        }
        return ProgramContext.Raw(options.ContextSize ?? 0, proved);
    }

    /// <summary>The declared context type the program's first parameter points to, by its BTF struct name (without a ___flavor suffix).</summary>
    private static BpfContextType? HostContext(BpfProgramInfo program, Btf? btf, IReadOnlyList<BpfContextType>? types)
    {
        if (types is null || types.Count == 0 || btf is null)
        {
            return null;
        }
        var entry = program.FuncInfo.FirstOrDefault(f => f.InstructionIndex == 0);
        if (entry is null || !btf.TryGetType(entry.TypeId, out var function) || function.Kind != BtfKind.Function
            || !btf.TryGetType(function.TypeId, out var prototype) || prototype.Kind != BtfKind.FunctionProto
            || prototype.Parameters.Count == 0)
        {
            return null;
        }
        string name;
        try
        {
            var parameter = btf.SkipModifiers(prototype.Parameters[0].TypeId);
            if (parameter.Kind != BtfKind.Pointer)
            {
                return null;
            }
            name = btf.SkipModifiers(parameter.TypeId).Name;
        }
        catch (Diagnostics.BpfException)
        {
            // Broken BTF only costs the program its declared context; the verifier then sees raw memory.
            return null;
        }
        var flavor = name.IndexOf("___", StringComparison.Ordinal);
        if (flavor > 0)
        {
            name = name[..flavor];
        }
        return types.FirstOrDefault(t => t.Name == name);
    }
}
