using System.Globalization;

namespace PolicyService;

/// <summary>The rate limit, in milliseconds per window and requests per client and window; a window of 0 turns the limit off.</summary>
public sealed record RateLimitSettings(long WindowMs, long MaxRequests);

/// <summary>A blocked path prefix and the methods it is blocked for (null or empty: every method).</summary>
public sealed record BlockedPath(string Prefix, string Hash, string[] Methods);

public sealed record BlockRequest(string[]? Methods);

public sealed record ClientEntry(string Client, string Hash, ulong Allowed, ulong Limited, ulong Blocked);

public sealed record MapEntry(string Name, string Type, uint KeySize, uint ValueSize, uint MaxEntries);

/// <summary>GET and PUT /admin/maps/...: the policy's maps, read and changed while the service runs.</summary>
internal static class AdminEndpoints
{
    private static readonly string[] MethodNames = ["OTHER", "GET", "POST", "PUT", "DELETE", "PATCH"];

    public static void Map(WebApplication app, RequestPolicy policy)
    {
        var admin = app.MapGroup("/admin/maps").AddEndpointFilter(async (context, next) =>
            PolicyServiceApp.IsLocal(context.HttpContext) ? await next(context) : Results.StatusCode(StatusCodes.Status403Forbidden));

        admin.MapGet("/", () => policy.Object.Maps.Values
            .Select(m => new MapEntry(m.Name, m.Type.ToString(), m.KeySize, m.ValueSize, m.MaxEntries)));

        admin.MapGet("/rate_limit", () =>
        {
            var limit = policy.RateLimit[0];
            return new RateLimitSettings((long)(limit.WindowNs / 1_000_000), (long)limit.MaxRequests);
        });

        admin.MapPut("/rate_limit", (RateLimitSettings settings) =>
        {
            if (settings.WindowMs < 0 || settings.MaxRequests < 0 || settings.WindowMs > TimeSpan.FromDays(1).TotalMilliseconds)
            {
                return Results.BadRequest("windowMs must be 0 (no limit) to 86400000 (a day), maxRequests 0 or more");
            }
            policy.RateLimit.Update(0, new Bpf.Policy.RateLimitType { WindowNs = (ulong)settings.WindowMs * 1_000_000, MaxRequests = (ulong)settings.MaxRequests });
            return Results.Ok(settings);
        });

        admin.MapGet("/blocked_paths", () => policy.BlockedPaths
            .Select(entry => new BlockedPath(policy.NameOf(entry.Key), Hex(entry.Key), Methods(entry.Value))));

        // The prefix is the path's first segment without its slash: PUT /admin/maps/blocked_paths/internal blocks /internal/...
        admin.MapPut("/blocked_paths/{prefix}", (string prefix, BlockRequest? request) =>
        {
            uint mask = 0;
            foreach (var method in request?.Methods ?? [])
            {
                var code = RequestPolicy.MethodCode(method);
                if (code == 0)
                {
                    return Results.BadRequest($"unknown method '{method}'; use GET, POST, PUT, DELETE or PATCH");
                }
                mask |= 1u << (int)code;
            }
            if (mask == 0)
            {
                mask = uint.MaxValue;
            }
            var hash = policy.Remember("/" + prefix);
            var result = policy.BlockedPaths.Update(hash, mask);
            return result == 0
                ? Results.Ok(new BlockedPath("/" + prefix, Hex(hash), Methods(mask)))
                : Results.Problem($"the blocked_paths map refused the entry (errno {-result}); it holds at most {policy.BlockedPaths.Map.MaxEntries} prefixes", statusCode: StatusCodes.Status507InsufficientStorage);
        });

        admin.MapDelete("/blocked_paths/{prefix}", (string prefix) =>
            policy.BlockedPaths.Delete(RequestPolicy.Fnv1a("/" + prefix)) == 0 ? Results.NoContent() : Results.NotFound());

        admin.MapGet("/client_counters", () => policy.Counters
            .Select(entry => new ClientEntry(policy.NameOf(entry.Key), Hex(entry.Key), entry.Value.Allowed, entry.Value.Limited, entry.Value.Blocked)));

        // Resets one client's counters (the program recreates the entry on its next request).
        admin.MapDelete("/client_counters/{client}", (string client) =>
            policy.Counters.Delete(RequestPolicy.Fnv1a(client)) == 0 ? Results.NoContent() : Results.NotFound());
    }

    private static string Hex(ulong hash) => "0x" + hash.ToString("x16", CultureInfo.InvariantCulture);

    private static string[] Methods(uint mask) => mask == uint.MaxValue
        ? ["*"]
        : [.. Enumerable.Range(1, MethodNames.Length - 1).Where(i => (mask & (1u << i)) != 0).Select(i => MethodNames[i])];
}
