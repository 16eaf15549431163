using Bpftime.Helpers;
using Bpftime.Hosting;

namespace Bpftime.Tests.Hosting;

/// <summary>
/// BpfLoadOptions.ForBuildItem, what a generated accessor's Load calls: the item's settings apply
/// wherever the host's options leave them unset, and the item's own options are made once per accessor.
/// </summary>
public sealed class BuildItemOptionsTests
{
    [Fact]
    public void WithoutOptionsTheItemsOwnOptionsAreMadeOnceAndShared()
    {
        BpfLoadOptions? cache = null;

        var first = BpfLoadOptions.ForBuildItem(null, ref cache, "jit", ["a", "b"], "tracing", 64, memoryWithLength: false, requireTermination: true, setsMaxMapMemory: true, maxMapMemory: 4096);
        var second = BpfLoadOptions.ForBuildItem(null, ref cache, "jit", ["a", "b"], "tracing", 64, memoryWithLength: false, requireTermination: true, setsMaxMapMemory: true, maxMapMemory: 4096);

        Assert.Same(first, cache);
        Assert.Same(first, second);
        Assert.Equal("jit", first.Engine);
        Assert.Equal(["a", "b"], first.Programs);
        Assert.Equal(BpfHelperSets.TracingName, first.Helpers?.Name);
        Assert.Equal(64, first.ContextSize);
        Assert.False(first.MemoryWithLength);
        Assert.True(first.RequireTermination);
        Assert.Equal(4096, first.MaxMapMemory);
    }

    [Fact]
    public void AnItemWithoutSettingsKeepsTheDefaults()
    {
        BpfLoadOptions? cache = null;

        var item = BpfLoadOptions.ForBuildItem(null, ref cache, BpfLoadOptions.AutoEngine, null, null, 0, memoryWithLength: false, requireTermination: false, setsMaxMapMemory: false, maxMapMemory: null);

        Assert.Equal(new BpfLoadOptions(), item);
    }

    [Fact]
    public void AnItemWithoutAMapMemoryLimitCanSayNone()
    {
        BpfLoadOptions? cache = null;

        var item = BpfLoadOptions.ForBuildItem(null, ref cache, BpfLoadOptions.AutoEngine, null, null, 0, memoryWithLength: true, requireTermination: false, setsMaxMapMemory: true, maxMapMemory: null);

        Assert.Null(item.MaxMapMemory);
        Assert.True(item.MemoryWithLength);
        Assert.Null(item.ContextSize);
    }

    [Fact]
    public void TheHostsSettingsWinWhereItSetsThem()
    {
        BpfLoadOptions? cache = null;
        var helpers = new HelperTable("host");
        var host = new BpfLoadOptions { Engine = "interpreter", Programs = ["b"], Helpers = helpers, ContextSize = 16, MaxMapMemory = 1, ReadEnvironment = false };

        var merged = BpfLoadOptions.ForBuildItem(host, ref cache, "jit", ["a", "b"], "tracing", 64, memoryWithLength: false, requireTermination: false, setsMaxMapMemory: true, maxMapMemory: 4096);

        Assert.Equal("interpreter", merged.Engine);
        Assert.Equal(["b"], merged.Programs);
        Assert.Same(helpers, merged.Helpers);
        Assert.Equal(16, merged.ContextSize);
        Assert.Equal(1, merged.MaxMapMemory);
        Assert.False(merged.ReadEnvironment);
        // The host's options are copied, never changed.
        Assert.Equal(16, host.ContextSize);
    }

    [Fact]
    public void TheItemsSettingsFillWhatTheHostLeavesUnset()
    {
        BpfLoadOptions? cache = null;
        var host = new BpfLoadOptions { ReadEnvironment = false };

        var merged = BpfLoadOptions.ForBuildItem(host, ref cache, "jit", ["a"], "tracing", 64, memoryWithLength: false, requireTermination: true, setsMaxMapMemory: true, maxMapMemory: 4096);

        Assert.Equal("jit", merged.Engine);
        Assert.Equal(["a"], merged.Programs);
        Assert.Equal(BpfHelperSets.TracingName, merged.Helpers?.Name);
        Assert.Equal(64, merged.ContextSize);
        Assert.True(merged.RequireTermination);
        // The limit is the host's (its default) once the host passes options, as before.
        Assert.Equal(BpfLoadOptions.DefaultMaxMapMemory, merged.MaxMapMemory);
        // The helper table comes from the item's options, made once.
        Assert.Same(cache!.Helpers, merged.Helpers);
    }

    [Fact]
    public void TheItemsMemoryContractAndTerminationRuleAlwaysApply()
    {
        BpfLoadOptions? cache = null;
        var host = new BpfLoadOptions { ContextSize = 32, ReadEnvironment = false };

        var merged = BpfLoadOptions.ForBuildItem(host, ref cache, BpfLoadOptions.AutoEngine, null, null, 0, memoryWithLength: true, requireTermination: true, setsMaxMapMemory: false, maxMapMemory: null);

        Assert.True(merged.MemoryWithLength);
        Assert.True(merged.RequireTermination);
        // With (mem, len) the item sets no context size: the host's stays, and the contract ignores it.
        Assert.Equal(32, merged.ContextSize);
        Assert.Equal(BpfLoadOptions.AutoEngine, merged.Engine);
        Assert.Null(merged.Helpers);
    }
}
