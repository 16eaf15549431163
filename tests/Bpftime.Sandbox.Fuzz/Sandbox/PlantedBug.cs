using Bpftime.Helpers;
using Bpftime.Sandbox.Fuzz.Generation;

namespace Bpftime.Sandbox.Fuzz.Sandbox;

/// <summary>
/// Deliberate holes for checking the fuzzer itself: a host helper (id 1000) that writes its second argument
/// through its first without any check, or one that returns the address of host memory no program is handed.
/// </summary>
internal static unsafe class PlantedBug
{
    public const string Write = "write";
    public const string Leak = "leak";

    private static readonly byte[] Secret = GC.AllocateArray<byte>(64, pinned: true);

    /// <summary>The address the leaking helper returns.</summary>
    public static ulong SecretAddress => (ulong)System.Runtime.CompilerServices.Unsafe.AsPointer(ref Secret[0]);

    public static void Install(HelperTable helpers, string kind)
    {
        HelperImplementation body = kind switch
        {
            Write => WriteUnchecked,
            Leak => static (_, _, _, _, _) => SecretAddress,
            _ => throw new ArgumentException($"unknown planted bug '{kind}'; expected {Write} or {Leak}", nameof(kind)),
        };
        helpers.AddHostHelper(HostileProgramGenerator.PlantedHelperId, "planted_" + kind, HelperPrototype.Unchecked, body);
    }

    /// <summary>*(u64 *)target = value, with no check of target at all.</summary>
    private static ulong WriteUnchecked(ulong target, ulong value, ulong r3, ulong r4, ulong r5)
    {
        *(ulong*)target = value;
        return 0;
    }
}
