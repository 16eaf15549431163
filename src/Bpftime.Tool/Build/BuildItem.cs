namespace Bpftime.Tool.Build;

/// <summary>One <c>BpfProgram</c> item as the SDK's task hands it to <c>bpftime build</c>: the object, how to build it, and where the outputs go.</summary>
internal sealed record BuildItem
{
    public required string Source { get; init; }

    /// <summary>The stable name it is embedded and loaded under (filter, net.filter).</summary>
    public required string Name { get; init; }

    public required string ClassName { get; init; }

    public int OptimizationLevel { get; init; } = 3;

    /// <summary>aot, auto, jit or interpreter: aot and auto compile native code; the others embed bytecode only.</summary>
    public string Engine { get; init; } = "aot";

    public bool Verify { get; init; } = true;

    /// <summary>Program names to keep; empty keeps all.</summary>
    public IReadOnlyList<string> Programs { get; init; } = [];

    public string TargetCpu { get; init; } = "generic";

    public string HelperSet { get; init; } = "default";

    /// <summary>auto (checked unless the build verified the program), on or off: whether native code checks memory at run time.</summary>
    public string MemoryChecks { get; init; } = "auto";

    /// <summary>Whether a program's native code is compiled without run-time memory checks.</summary>
    public bool CompilesUnchecked(bool verified) => MemoryChecks switch
    {
        "off" => true,
        "on" => false,
        _ => verified,
    };

    /// <summary>linux-x64 or linux-arm64; empty when no native code is wanted.</summary>
    public string RuntimeIdentifier { get; init; } = "";

    public string Triple { get; init; } = "";

    public required string BytecodeCopy { get; init; }

    /// <summary>Where the native object goes; empty when none is built.</summary>
    public string NativeObject { get; init; } = "";

    public required string Accessor { get; init; }

    public bool WantsNative => NativeObject.Length > 0 && Triple.Length > 0;
}
