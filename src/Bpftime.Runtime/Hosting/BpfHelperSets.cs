using Bpftime.Helpers;

namespace Bpftime.Hosting;

/// <summary>The helper tables a loaded object may be given by name (the build's BpfHelperSet).</summary>
public static class BpfHelperSets
{
    public const string DefaultName = "default";

    /// <summary>A new table of the runtime's standard helpers.</summary>
    public static HelperTable Default() => StandardHelpers.CreateDefault();

    /// <summary>The table named <paramref name="name"/>, or null when the runtime has none of that name.</summary>
    public static HelperTable? Find(string name) => StandardHelpers.Create(name);
}
