using Bpftime.Engines.Aot;

namespace Bpftime.Tests.Engines.Aot;

/// <summary>Which symbols of a native object are callback entries, the only code a program's callbacks may enter.</summary>
public class AotCallbackSymbolTests
{
    [Theory]
    [InlineData("checksum.callback0", true)]
    [InlineData("checksum.callback17", true)]
    [InlineData("a.callback1.callback2", true)]
    [InlineData("checksum.callback", false)]
    [InlineData(".callback1", false)]
    [InlineData("checksum.callback1x", false)]
    [InlineData("checksum.callbackx1", false)]
    [InlineData("checksum.CALLBACK1", false)]
    [InlineData("checksum.callback\u0661", false)]
    [InlineData("checksum.callback1 ", false)]
    [InlineData("checksum", false)]
    [InlineData("", false)]
    public void OnlyAProgramSymbolWithCallbackAndDecimalDigitsIsACallbackEntry(string name, bool expected) =>
        Assert.Equal(expected, AotModule.IsCallbackSymbol(name));
}
