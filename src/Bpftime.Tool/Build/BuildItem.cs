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

    /// <summary>Bytes of raw memory r1 points at for programs without a fixed context, as the verifier assumes them (r2 = this size); 0: they may not read it.</summary>
    public int ContextSize { get; init; }

    /// <summary>Refuse programs whose loops the verifier cannot prove to end (BPF2039); otherwise they are verified and run under the execution budget.</summary>
    public bool RequireTermination { get; init; }

    /// <summary>
    /// The (mem, len) contract for programs other than XDP (Context="MemoryWithLength"): r1 points at
    /// exactly r2 bytes and the program may touch r1[0, r2) only; <see cref="ContextSize"/> is ignored.
    /// </summary>
    public bool MemoryWithLength { get; init; }

    /// <summary>Bytes all the object's maps may need together (BpfMaxMapMemory); null: no limit. Null-or-default is also what the accessor passes to the loader.</summary>
    public long? MaxMapMemory { get; init; } = Hosting.BpfLoadOptions.DefaultMaxMapMemory;

    /// <summary>Whether the project set BpfMaxMapMemory (the accessor then passes it on; otherwise the loader's default applies).</summary>
    public bool HasMaxMapMemory { get; init; }

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

    /// <summary>Touched after every successful build of the object, whether or not an output changed: the SDK's incremental check compares against it.</summary>
    public string Stamp { get; init; } = "";

    /// <summary>Touched whenever the skeleton is up to date (either mode): design-time builds compare against it.</summary>
    public string SkeletonStamp { get; init; } = "";

    public bool WantsNative => NativeObject.Length > 0 && Triple.Length > 0;
}
