using System.Diagnostics.Metrics;
using System.Net;
using Bpftime.Hosting;

namespace PolicyService;

/// <summary>The service: the eBPF policy in front of every endpoint, the admin API over its maps, and its metrics.</summary>
public static class PolicyServiceApp
{
    /// <summary>The meter of the per-client counters (the runtime's own instruments are on the "Bpftime" meter).</summary>
    public const string MeterName = "PolicyService";

    /// <summary>Requests per client and decision (allowed, limited, blocked), read from the client_counters map.</summary>
    public const string RequestsInstrument = "policy.requests";

    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddSingleton(services => new RequestPolicy(Bpf.Policy.Load(new BpfLoadOptions
        {
            // Load and fallback messages go to the service's own logging (console, OpenTelemetry, ...).
            LoggerFactory = services.GetRequiredService<ILoggerFactory>(),
        })));
        var app = builder.Build();
        var policy = app.Services.GetRequiredService<RequestPolicy>();
        RegisterMetrics(app.Services.GetRequiredService<IMeterFactory>(), policy);

        // Every request but the admin API's goes through the policy first.
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/admin", StringComparison.Ordinal))
            {
                await next(context);
                return;
            }
            var client = context.Request.Headers["X-Client-Id"].FirstOrDefault() ?? context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
            var (verdict, remaining) = policy.Decide(client, context.Request.Path.Value ?? "/", context.Request.Method);
            switch (verdict)
            {
                case PolicyVerdict.Allow:
                    context.Response.Headers["X-RateLimit-Remaining"] = remaining.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    await next(context);
                    break;
                case PolicyVerdict.RateLimited:
                    context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                    break;
                default:
                    context.Response.StatusCode = StatusCodes.Status403Forbidden;
                    break;
            }
        });

        AdminEndpoints.Map(app, policy);
        app.Map("/{**path}", (HttpContext context, string? path) => Results.Ok(new { path = "/" + path, method = context.Request.Method }));
        return app;
    }

    private static void RegisterMetrics(IMeterFactory meters, RequestPolicy policy)
    {
        var meter = meters.Create(MeterName);
        meter.CreateObservableCounter(RequestsInstrument, () => Observe(policy), "{request}", "Requests per client, by the policy's decision");
    }

    private static List<Measurement<long>> Observe(RequestPolicy policy)
    {
        var measurements = new List<Measurement<long>>();
        foreach (var (hash, counters) in policy.Counters.ReadBatch())
        {
            var client = new KeyValuePair<string, object?>("client", policy.NameOf(hash));
            measurements.Add(new Measurement<long>((long)counters.Allowed, client, new("decision", "allowed")));
            measurements.Add(new Measurement<long>((long)counters.Limited, client, new("decision", "limited")));
            measurements.Add(new Measurement<long>((long)counters.Blocked, client, new("decision", "blocked")));
        }
        return measurements;
    }

    /// <summary>The admin API answers only callers on this machine.</summary>
    internal static bool IsLocal(HttpContext context) =>
        context.Connection.RemoteIpAddress is { } address && IPAddress.IsLoopback(address);
}
