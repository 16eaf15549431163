namespace Bpftime.Tool;

internal static class ToolMain
{
    public static int Run(string[] args)
    {
        Console.Error.WriteLine("bpftime: no commands yet");
        return 2;
    }
}
