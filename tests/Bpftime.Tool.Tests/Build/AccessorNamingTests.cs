using Bpftime.Tests;
using Bpftime.Tool.Build;

namespace Bpftime.Tool.Tests.Build;

/// <summary>
/// The accessor's members are named as its class is (the MSBuild task's rows are the same, in
/// TaskLogicTests), so a program or map named like its object reads the same in both places.
/// </summary>
public sealed class AccessorNamingTests
{
    [Theory]
    [MemberData(nameof(PascalCaseCases.Rows), MemberType = typeof(PascalCaseCases))]
    public void MembersAreNamedAsTheAccessorClass(string name, string expected) =>
        Assert.Equal(expected, AccessorGenerator.PropertyName(name));
}
