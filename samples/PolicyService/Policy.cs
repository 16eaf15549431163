using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Bpftime.Hosting;

namespace PolicyService;

/// <summary>What the host tells the policy about one request; the layout of struct request_ctx in policy.bpf.c.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct RequestContext
{
    public ulong Client;
    public ulong Path;
    public ulong NowNanoseconds;
    public uint Method;
    public uint Remaining;
}

/// <summary>The program's answer (r0).</summary>
public enum PolicyVerdict
{
    Allow = 0,
    RateLimited = 1,
    Blocked = 2,
}

/// <summary>
/// The loaded policy: runs the program on a request and exposes its maps as typed views. The names
/// behind the hashes (client ids, path prefixes) are remembered here, for the admin API and the
/// metrics, since the program sees only hashes.
/// </summary>
public sealed class RequestPolicy : IDisposable
{
    private readonly Bpf.Policy _policy;
    private readonly Dictionary<ulong, string> _names = [];
    private readonly Lock _namesLock = new();

    internal RequestPolicy(Bpf.Policy policy)
    {
        _policy = policy;
    }

    public BpfObject Object => _policy.Object;

    public BpfProgram Program => _policy.RequestPolicy.Program;

    /// <summary>Entry 0 of the rate_limit map, typed from the object's BTF by the build.</summary>
    internal BpfArrayView<Bpf.Policy.RateLimitType> RateLimit => _policy.RateLimit;

    public BpfHashView<ulong, uint> BlockedPaths => _policy.BlockedPaths;

    internal BpfHashView<ulong, Bpf.Policy.ClientCountersType> Counters => _policy.ClientCounters;

    /// <summary>Runs the program for one request.</summary>
    public (PolicyVerdict Verdict, uint Remaining) Decide(string client, string path, string method)
    {
        var context = new RequestContext
        {
            Client = Remember(client),
            Path = Remember(PathPrefix(path)),
            NowNanoseconds = (ulong)(Stopwatch.GetTimestamp() * (1_000_000_000.0 / Stopwatch.Frequency)),
            Method = MethodCode(method),
        };
        var verdict = (PolicyVerdict)Program.Run(ref context);
        return (verdict, context.Remaining);
    }

    /// <summary>The name a hash was made from, when this process saw it; else the hash in hex.</summary>
    public string NameOf(ulong hash)
    {
        lock (_namesLock)
        {
            return _names.TryGetValue(hash, out var name) ? name : "0x" + hash.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Hashes a name the program will see, and remembers it.</summary>
    public ulong Remember(string name)
    {
        var hash = Fnv1a(name);
        lock (_namesLock)
        {
            // Bounded like the program's LRU maps: names are for display only.
            if (_names.Count < 8192)
            {
                _names.TryAdd(hash, name);
            }
        }
        return hash;
    }

    /// <summary>"/api/items/1" -> "/api"; "/" -> "/".</summary>
    public static string PathPrefix(string path)
    {
        var trimmed = path.TrimStart('/');
        var end = trimmed.IndexOf('/', StringComparison.Ordinal);
        return "/" + (end < 0 ? trimmed : trimmed[..end]);
    }

    /// <summary>The method numbers of request_ctx.method.</summary>
    public static uint MethodCode(string method) => method.ToUpperInvariant() switch
    {
        "GET" => 1,
        "POST" => 2,
        "PUT" => 3,
        "DELETE" => 4,
        "PATCH" => 5,
        _ => 0,
    };

    /// <summary>FNV-1a, 64 bits, over the UTF-8 bytes.</summary>
    public static ulong Fnv1a(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash = unchecked((hash ^ b) * 1099511628211UL);
        }
        return hash;
    }

    public void Dispose() => _policy.Dispose();
}
