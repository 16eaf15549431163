using System.Diagnostics;
using Bpftime.Tool;

namespace Bpftime.Tests.Tool;

/// <summary>Runs the bpftime command in process (fast) or as a real process (to see exit codes and streams as a user does).</summary>
internal static class ToolRunner
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static Result Run(string[] args, string input = "")
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var context = new ToolContext(EngineCatalog.CreateDefault(), output, error, new StringReader(input));
        var exitCode = ToolMain.Run(args, context);
        return new Result(exitCode, output.ToString(), error.ToString());
    }

    /// <summary>The tool's own assembly beside the tests, started with dotnet.</summary>
    public static Result RunProcess(string[] args, string input = "")
    {
        var tool = Path.Combine(AppContext.BaseDirectory, "bpftime.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(tool);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        process.StandardInput.Write(input);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("bpftime did not finish in 60 s: " + string.Join(' ', args));
        }
        return new Result(process.ExitCode, output.Result, error.Result);
    }

    public static string DataFile(params string[] parts) => Path.Combine([TestPaths.DataDirectory, .. parts]);
}
