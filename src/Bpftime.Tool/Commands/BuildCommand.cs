using System.CommandLine;
using Bpftime.Diagnostics;
using Bpftime.Tool.Build;

namespace Bpftime.Tool.Commands;

/// <summary>
/// <c>bpftime build @file.rsp</c> (or <c>--manifest file.json</c>): what the SDK runs once per
/// project for all its out-of-date objects. Diagnostics go to standard output in MSBuild's
/// canonical form so the task can turn them into build errors. Exit code 0 when every object
/// built, 1 when one was rejected, 2 when the manifest is unusable.
/// </summary>
internal static class BuildCommand
{
    public static Command Create(ToolContext context)
    {
        var manifestOption = new Option<FileInfo>("--manifest")
        {
            Description = "The build manifest (JSON) written by the SDK's BpfCompile task",
            Required = true,
        };
        var command = new Command("build", "Build the eBPF objects a project lists: check, compile ahead of time, link-check, write outputs")
        {
            manifestOption,
        };
        command.SetAction(parse => Run(parse.GetValue(manifestOption)!, context));
        return command;
    }

    private static int Run(FileInfo manifestFile, ToolContext context)
    {
        BuildManifest manifest;
        try
        {
            manifest = BuildManifest.Read(manifestFile.FullName);
        }
        catch (BpfException error)
        {
            foreach (var diagnostic in error.Diagnostics)
            {
                context.Output.WriteLine(diagnostic.ToCanonicalString());
            }
            return 2;
        }

        var builder = new ObjectBuilder(manifest, context.Output);
        var failed = 0;
        foreach (var item in manifest.Items)
        {
            var result = builder.Build(item);
            foreach (var diagnostic in result.Diagnostics)
            {
                context.Output.WriteLine(diagnostic.ToCanonicalString());
            }
            failed += result.Succeeded ? 0 : 1;
        }
        context.Output.Flush();
        return failed == 0 ? 0 : 1;
    }
}
