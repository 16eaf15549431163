using Bpftime.Compiler.Aot;
using Bpftime.Objects;
using Bpftime.Verification;

namespace Bpftime.Tool.Build;

/// <summary>
/// The context the app's loader will run a built program on, which the build verifies it for and
/// records in the native metadata: an XDP frame by program type; a socket buffer (Linux's __sk_buff)
/// when the loader loads the program for one (<see cref="Hosting.SocketBuffer.IsContextOf"/>: socket
/// filter and tc programs with legacy packet loads); else the (mem, len) contract when asked for, or
/// raw memory of at least Size bytes on spans of any length, whatever the section says.
/// </summary>
internal readonly record struct ProgramContext(ProgramType Type, bool SocketBuffer, bool MemoryWithLength, int Size)
{
    public static ProgramContext For(BpfProgramInfo program, int contextSize, bool memoryWithLength)
    {
        var xdp = program.Type == ProgramType.Xdp;
        var socketBuffer = !xdp && Hosting.SocketBuffer.IsContextOf(program);
        var withLength = memoryWithLength && !xdp && !socketBuffer;
        return new ProgramContext(program.Type, socketBuffer, withLength, xdp || socketBuffer || withLength ? 0 : contextSize);
    }

    public bool Xdp => Type == ProgramType.Xdp;

    /// <summary>The verifier's options for this context: the ones the loader proves the native code under again.</summary>
    public VerifierOptions VerifierOptions(Helpers.HelperTable helpers, bool requireTermination) =>
        Verification.VerifierOptions.ForNativeCode(Type, SocketBuffer, MemoryWithLength, Size, helpers, requireTermination);

    /// <summary>
    /// <paramref name="source"/> with this context recorded in the metadata: the socket buffer and the
    /// (mem, len) contract always (native code for a socket buffer compiles its legacy loads only then,
    /// and loaders keep tail calls within the contract), the raw size when <paramref name="withSize"/>
    /// (the verifier proved the program for it, or the user vouched for it).
    /// </summary>
    public AotProgramSource Record(AotProgramSource source, bool withSize) => source with
    {
        SocketBuffer = SocketBuffer,
        ContextLengthInR2 = MemoryWithLength,
        ContextSize = withSize && !Xdp && !SocketBuffer && !MemoryWithLength ? Size : null,
    };
}
