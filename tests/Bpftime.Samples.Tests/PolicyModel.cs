namespace Bpftime.Samples.Tests;

/// <summary>
/// What the policy should decide, written from its specification rather than from the program:
/// a path blocked for the method is 403 and uses none of the client's quota; otherwise each client
/// may make MaxRequests requests per window (no limit when the window is 0), and further ones are 429.
/// The test's requests all fall inside one window.
/// </summary>
internal sealed class PolicyModel
{
    public long WindowMs { get; set; }

    public long MaxRequests { get; set; }

    /// <summary>Prefix ("/internal") -> blocked methods; null: every method.</summary>
    public Dictionary<string, HashSet<string>?> Blocked { get; } = [];

    public Dictionary<string, (ulong Allowed, ulong Limited, ulong Blocked)> Counters { get; } = [];

    private readonly Dictionary<string, long> _inWindow = [];

    public int Decide(string client, string path, string method)
    {
        var counters = Counters.GetValueOrDefault(client);
        var segment = path.TrimStart('/').Split('/')[0];
        if (Blocked.TryGetValue("/" + segment, out var methods) && (methods is null || methods.Contains(method)))
        {
            Counters[client] = counters with { Blocked = counters.Blocked + 1 };
            return 403;
        }
        if (WindowMs != 0)
        {
            var used = _inWindow[client] = _inWindow.GetValueOrDefault(client) + 1;
            if (used > MaxRequests)
            {
                Counters[client] = counters with { Limited = counters.Limited + 1 };
                return 429;
            }
        }
        Counters[client] = counters with { Allowed = counters.Allowed + 1 };
        return 200;
    }
}
