using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using Bpftime.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using PolicyService;

namespace Bpftime.Samples.Tests;

/// <summary>
/// samples/PolicyService end to end: the service runs on Kestrel on a loopback port, real HTTP
/// requests go through its eBPF policy, and every status, the admin API's counters and the exported
/// metrics must match what <see cref="PolicyModel"/> says the policy decides.
/// </summary>
public sealed class PolicyServiceTests : IAsyncLifetime, IDisposable
{
    private static readonly string[] Clients = ["alice", "bob", "carol"];
    private static readonly string[] Paths = ["/api/items/1", "/internal/config", "/upload", "/", "/api"];
    private static readonly string[] Methods = ["GET", "POST"];

    private WebApplication _app = null!;
    private HttpClient _http = null!;
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(string Instrument, string Key), long> _observed = new();

    public async Task InitializeAsync()
    {
        _app = PolicyServiceApp.Build(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default", "Warning"]);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        _http = new HttpClient { BaseAddress = new Uri(address) };

        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Name is PolicyServiceApp.RequestsInstrument or BpftimeMetrics.Runs)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var key = string.Join(",", tags.ToArray().OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}"));
            _observed[(instrument.Name, key)] = value;
        });
        _listener.Start();
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public void Dispose()
    {
        _listener.Dispose();
        _http.Dispose();
    }

    private async Task<HttpStatusCode> Send(string client, string path, string method)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Add("X-Client-Id", client);
        using var response = await _http.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>Requests in a fixed pseudo-random order, each checked against the model as it is answered.</summary>
    private async Task<int> SendAndCheck(PolicyModel model, int count, int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var (client, path, method) = (Clients[random.Next(Clients.Length)], Paths[random.Next(Paths.Length)], Methods[random.Next(Methods.Length)]);
            var expected = model.Decide(client, path, method);
            var status = await Send(client, path, method);
            Assert.True((int)status == expected, $"request {i}: {method} {path} by {client} was {(int)status}, the policy says {expected}");
        }
        return count;
    }

    private async Task CheckCounters(PolicyModel model, long runs)
    {
        var entries = await _http.GetFromJsonAsync<ClientEntry[]>("/admin/maps/client_counters");
        Assert.Equal(
            model.Counters.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => (c.Key, c.Value.Allowed, c.Value.Limited, c.Value.Blocked)),
            entries!.OrderBy(e => e.Client, StringComparer.Ordinal).Select(e => (e.Client, e.Allowed, e.Limited, e.Blocked)));

        _observed.Clear();
        _listener.RecordObservableInstruments();
        foreach (var (client, counters) in model.Counters)
        {
            Assert.Equal((long)counters.Allowed, _observed[(PolicyServiceApp.RequestsInstrument, $"client={client},decision=allowed")]);
            Assert.Equal((long)counters.Limited, _observed[(PolicyServiceApp.RequestsInstrument, $"client={client},decision=limited")]);
            Assert.Equal((long)counters.Blocked, _observed[(PolicyServiceApp.RequestsInstrument, $"client={client},decision=blocked")]);
        }
        var policyRuns = _observed.Where(o => o.Key.Instrument == BpftimeMetrics.Runs && o.Key.Key.Contains("bpftime.object=policy,", StringComparison.Ordinal));
        Assert.Equal(runs, Assert.Single(policyRuns).Value);
    }

    [Fact]
    public async Task EveryDecisionAndCounterMatchesThePolicyAsItIsChangedThroughTheAdminApi()
    {
        var maps = await _http.GetFromJsonAsync<MapEntry[]>("/admin/maps");
        Assert.Equal(["blocked_paths", "client_counters", "rate_limit", "windows"], maps!.Select(m => m.Name).Order(StringComparer.Ordinal));

        // Configure through the admin API: 7 requests per client per 10 minutes, /internal blocked, POST /upload blocked.
        var model = new PolicyModel { WindowMs = 600_000, MaxRequests = 7 };
        (await _http.PutAsJsonAsync("/admin/maps/rate_limit", new RateLimitSettings(model.WindowMs, model.MaxRequests))).EnsureSuccessStatusCode();
        (await _http.PutAsJsonAsync("/admin/maps/blocked_paths/internal", new BlockRequest(null))).EnsureSuccessStatusCode();
        (await _http.PutAsJsonAsync("/admin/maps/blocked_paths/upload", new BlockRequest(["POST"]))).EnsureSuccessStatusCode();
        model.Blocked["/internal"] = null;
        model.Blocked["/upload"] = ["POST"];
        Assert.Equal(new RateLimitSettings(600_000, 7), await _http.GetFromJsonAsync<RateLimitSettings>("/admin/maps/rate_limit"));
        var blocked = await _http.GetFromJsonAsync<BlockedPath[]>("/admin/maps/blocked_paths");
        Assert.Equal(["/internal:*", "/upload:POST"], blocked!.Select(b => b.Prefix + ":" + string.Join("|", b.Methods)).Order(StringComparer.Ordinal));

        var runs = await SendAndCheck(model, 60, seed: 1);
        Assert.Contains(model.Counters.Values, c => c.Limited > 0);
        Assert.Contains(model.Counters.Values, c => c.Blocked > 0);
        await CheckCounters(model, runs);

        // Changed at run time: the limit off, /internal unblocked; the same clients are now let through.
        (await _http.PutAsJsonAsync("/admin/maps/rate_limit", new RateLimitSettings(0, 0))).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.NoContent, (await _http.DeleteAsync("/admin/maps/blocked_paths/internal")).StatusCode);
        model.WindowMs = 0;
        model.Blocked.Remove("/internal");
        runs += await SendAndCheck(model, 40, seed: 2);
        await CheckCounters(model, runs);
    }

    [Fact]
    public async Task TheAdminApiRefusesSettingsThePolicyCannotHold()
    {
        Assert.Equal(HttpStatusCode.BadRequest, (await _http.PutAsJsonAsync("/admin/maps/rate_limit", new RateLimitSettings(-1, 5))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _http.PutAsJsonAsync("/admin/maps/blocked_paths/api", new BlockRequest(["TRACE"]))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.DeleteAsync("/admin/maps/blocked_paths/never-blocked")).StatusCode);
        // Nothing changed: no limit, nothing blocked.
        Assert.Equal(new RateLimitSettings(0, 0), await _http.GetFromJsonAsync<RateLimitSettings>("/admin/maps/rate_limit"));
        Assert.Empty((await _http.GetFromJsonAsync<BlockedPath[]>("/admin/maps/blocked_paths"))!);
        Assert.Equal(HttpStatusCode.OK, await Send("dave", "/api", "GET"));
    }

    [Fact]
    public void ThePolicyIsTheVerifiedNativeCodeTheBuildEmbedded()
    {
        var policy = _app.Services.GetRequiredService<RequestPolicy>();
        Assert.True(policy.Program.IsVerified);
        Assert.True(policy.Program.IsTerminationProven);
        Assert.True(policy.Object.IsNativeCode, $"engine {policy.Object.EngineName}");
    }
}
