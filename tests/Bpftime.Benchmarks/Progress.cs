namespace Bpftime.Benchmarks;

/// <summary>
/// One status line on the terminal during a long run (section, kernel, level, round), rewritten in
/// place; silent when standard error is redirected, so logs and pipes get only the tables.
/// </summary>
internal sealed class Progress(TextWriter? terminal)
{
    private int _lastLength;

    /// <summary>Progress on standard error when it is a terminal, else none.</summary>
    public static Progress ForConsole() => new(Console.IsErrorRedirected ? null : Console.Error);

    public void Show(string status)
    {
        if (terminal is null)
        {
            return;
        }
        var line = status.Length > 110 ? status[..110] : status;
        terminal.Write("\r" + line.PadRight(_lastLength));
        terminal.Flush();
        _lastLength = line.Length;
    }

    /// <summary>Clears the line, before a table or a message is printed.</summary>
    public void Clear()
    {
        if (terminal is null || _lastLength == 0)
        {
            return;
        }
        terminal.Write("\r" + new string(' ', _lastLength) + "\r");
        terminal.Flush();
        _lastLength = 0;
    }
}
