using System.CommandLine;

namespace Bpftime.Tool.Commands;

/// <summary><c>bpftime engines</c>: the engines this build offers and whether each can run here.</summary>
internal static class EnginesCommand
{
    public static Command Create(ToolContext context)
    {
        var command = new Command("engines", "List the execution engines and whether each is available on this machine");
        command.SetAction(_ =>
        {
            foreach (var engine in context.Engines.Engines)
            {
                var available = engine.IsAvailable(out var reason);
                context.Output.WriteLine($"{engine.Name,-12} {(available ? "available" : "unavailable: " + reason)}  {engine.Description}");
            }
            return 0;
        });
        return command;
    }
}
