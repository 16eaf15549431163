// The request policy of the PolicyService sample, run by the service on every request before the
// endpoint: blocked paths (403), a fixed-window rate limit per client (429), and per-client
// counters. The host fills a request_ctx; the program answers with a verdict in r0 and writes how
// many requests the client has left in this window back into the context. The maps are the
// policy's state and configuration, read and changed at run time through /admin/maps.

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

// The context the host passes (r1); the build verifies reads and writes inside its 32 bytes
// (BpfContextSize in PolicyService.csproj). Keep it in step with RequestContext in Policy.cs.
struct request_ctx {
	__u64 client;    // FNV-1a hash of the client id
	__u64 path;      // FNV-1a hash of the path's first segment ("/api" for /api/items/1)
	__u64 now_ns;    // the host's monotonic clock
	__u32 method;    // 1 GET, 2 POST, 3 PUT, 4 DELETE, 5 PATCH, 0 anything else
	__u32 remaining; // out: requests the client has left in the current window
};

enum verdict { ALLOW = 0, RATE_LIMITED = 1, BLOCKED = 2 };

struct rate_limit {
	__u64 window_ns;    // 0: no rate limit
	__u64 max_requests; // per client and window
};

struct client_window {
	__u64 start_ns;
	__u64 count;
};

struct client_counters {
	__u64 allowed;
	__u64 limited;
	__u64 blocked;
};

// Entry 0: the rate limit every client gets.
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rate_limit);
} rate_limit SEC(".maps");

// Path prefix hash -> bit mask of blocked methods (1 << method; all bits: every method).
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u64);
	__type(value, __u32);
} blocked_paths SEC(".maps");

// Client hash -> its current window; LRU so that many clients cannot exhaust it.
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct client_window);
} windows SEC(".maps");

// Client hash -> what the policy decided for it so far.
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct client_counters);
} client_counters SEC(".maps");

static struct client_counters *counters_of(__u64 client)
{
	struct client_counters *counters = bpf_map_lookup_elem(&client_counters, &client);
	if (counters)
		return counters;
	struct client_counters zero = {};
	bpf_map_update_elem(&client_counters, &client, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&client_counters, &client);
}

SEC("socket")
int request_policy(struct request_ctx *ctx)
{
	__u64 client = ctx->client;
	__u64 path = ctx->path;
	__u64 now = ctx->now_ns;
	__u32 method = ctx->method;
	ctx->remaining = 0;

	struct client_counters *counters = counters_of(client);

	__u32 *blocked = bpf_map_lookup_elem(&blocked_paths, &path);
	if (blocked && (*blocked & (1u << (method & 31)))) {
		if (counters)
			__sync_fetch_and_add(&counters->blocked, 1);
		return BLOCKED;
	}

	__u32 zero = 0;
	struct rate_limit *limit = bpf_map_lookup_elem(&rate_limit, &zero);
	if (limit && limit->window_ns != 0) {
		struct client_window *window = bpf_map_lookup_elem(&windows, &client);
		if (!window || now - window->start_ns >= limit->window_ns) {
			struct client_window fresh = { .start_ns = now, .count = 0 };
			bpf_map_update_elem(&windows, &client, &fresh, BPF_ANY);
			window = bpf_map_lookup_elem(&windows, &client);
			if (!window)
				return ALLOW;
		}
		__u64 count = __sync_fetch_and_add(&window->count, 1) + 1;
		if (count > limit->max_requests) {
			if (counters)
				__sync_fetch_and_add(&counters->limited, 1);
			return RATE_LIMITED;
		}
		ctx->remaining = (__u32)(limit->max_requests - count);
	}

	if (counters)
		__sync_fetch_and_add(&counters->allowed, 1);
	return ALLOW;
}

char LICENSE[] SEC("license") = "GPL";
