using Bpftime.Helpers;
using Bpftime.Hosting;

namespace Bpftime.Tests.Hosting;

/// <summary>
/// "tracing" is the named opt-in for helpers that read host memory (bpf_probe_read*, %s of any
/// pointer): the build, the SDK and the tool accept the name and pass it here.
/// </summary>
public class TracingHelperSetTests
{
    private const string Tracing = "tracing";

    [Fact]
    public void TheTracingSetHoldsTheDefaultHelpersAndTheHostMemoryReaders()
    {
        Assert.True(BpfHelperSets.Names.Contains(Tracing),
            $"the runtime has no helper set named \"{Tracing}\" (it has {string.Join(", ", BpfHelperSets.Names)}); it is the opt-in for host-memory helpers that Helpers/StandardHelpers provides");
        var tracing = BpfHelperSets.Find(Tracing);
        Assert.NotNull(tracing);
        Assert.True(tracing.TryGet(HelperIds.ProbeRead, out _), "the tracing set must hold bpf_probe_read");
        foreach (var helper in BpfHelperSets.Default())
        {
            Assert.True(tracing.TryGet(helper.Id, out _), $"the tracing set lacks default helper {helper.Name} (#{helper.Id})");
        }
    }
}
