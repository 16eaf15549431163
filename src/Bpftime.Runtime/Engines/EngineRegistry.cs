namespace Bpftime.Engines;

/// <summary>
/// The engines known to a process, by name. Every command and option that names an engine reads
/// this one list, so a new engine appears everywhere at once.
/// </summary>
public sealed class EngineRegistry
{
    private readonly List<IBpfEngine> _engines = [];

    public IReadOnlyList<IBpfEngine> Engines => _engines;

    public IEnumerable<string> Names => _engines.Select(e => e.Name);

    public EngineRegistry Register(IBpfEngine engine)
    {
        if (_engines.Any(e => string.Equals(e.Name, engine.Name, StringComparison.OrdinalIgnoreCase)))
        {
            throw new ArgumentException($"an engine named '{engine.Name}' is already registered", nameof(engine));
        }
        _engines.Add(engine);
        return this;
    }

    public IBpfEngine? Find(string name) =>
        _engines.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase));
}
