#include "backend/metrics.h"

#include <stdatomic.h>
#include <stdlib.h>

static const struct {
	const char *name, *help;
} counters[PHX_NCOUNTERS] = {
	[PHX_C_BUILDS_STARTED] = { "phoenixfs_builds_started_total", "Container builds started (create or clone and what follows)." },
	[PHX_C_BUILDS_DONE] = { "phoenixfs_builds_done_total", "Container builds that finished." },
	[PHX_C_BUILDS_FAILED] = { "phoenixfs_builds_failed_total", "Container builds that failed." },
	[PHX_C_EDITS_MOUNT] = { "phoenixfs_edits_mount_total", "Changes committed through the mount." },
	[PHX_C_EDITS_OUTSIDE] = { "phoenixfs_edits_outside_total", "Changes made to the config file by other programs." },
	[PHX_C_WRITES_REFUSED] = { "phoenixfs_writes_refused_total", "Writes refused with an error." },
	[PHX_C_API_REQUESTS] = { "phoenixfs_api_requests_total", "HTTP requests to the Proxmox API." },
	[PHX_C_API_REFUSED] = { "phoenixfs_api_refused_total", "API requests answered with an error status." },
	[PHX_C_API_NO_ANSWER] = { "phoenixfs_api_no_answer_total", "API requests with no answer (timeout, connection refused, proxy 59x)." },
	[PHX_C_HOOKS_RUN] = { "phoenixfs_hooks_run_total", "Feature and application scripts run." },
	[PHX_C_HOOKS_FAILED] = { "phoenixfs_hooks_failed_total", "Feature and application scripts that failed." },
	[PHX_C_EVENTS] = { "phoenixfs_events_total", "Lines posted to the events file." },
};

#define NBUCKETS 14
static const struct {
	const char *name, *help;
	double bounds[NBUCKETS]; /* ascending; 0 ends the list early */
} histograms[PHX_NHISTOGRAMS] = {
	[PHX_H_API_SECONDS] = { "phoenixfs_api_request_seconds", "Time of one API request.",
				{ 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120 } },
	[PHX_H_HOOK_SECONDS] = { "phoenixfs_hook_seconds", "Time of one feature or application script.",
				 { 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600 } },
};

struct histo {
	atomic_ullong buckets[NBUCKETS]; /* not cumulative: summed at render */
	atomic_ullong count;
	atomic_ullong sum_us;            /* microseconds: atomics of integers */
};

struct phx_metrics {
	atomic_ullong c[PHX_NCOUNTERS];
	struct histo h[PHX_NHISTOGRAMS];
};

struct phx_metrics *phx_metrics_new(void)
{
	return calloc(1, sizeof(struct phx_metrics));
}

void phx_metrics_free(struct phx_metrics *m)
{
	free(m);
}

void phx_metrics_inc(struct phx_metrics *m, enum phx_counter c)
{
	if (m)
		atomic_fetch_add_explicit(&m->c[c], 1, memory_order_relaxed);
}

unsigned long long phx_metrics_counter(struct phx_metrics *m, enum phx_counter c)
{
	return m ? atomic_load_explicit(&m->c[c], memory_order_relaxed) : 0;
}

void phx_metrics_observe(struct phx_metrics *m, enum phx_histogram h, double seconds)
{
	struct histo *x;
	int i;

	if (!m)
		return;
	x = &m->h[h];
	if (seconds < 0)
		seconds = 0;
	for (i = 0; i < NBUCKETS && histograms[h].bounds[i] > 0; i++)
		if (seconds <= histograms[h].bounds[i])
			break;
	if (i < NBUCKETS && histograms[h].bounds[i] > 0)
		atomic_fetch_add_explicit(&x->buckets[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&x->sum_us, (unsigned long long)(seconds * 1e6),
				  memory_order_relaxed);
	atomic_fetch_add_explicit(&x->count, 1, memory_order_relaxed);
}

void phx_metrics_render(struct phx_metrics *m, struct strbuf *out)
{
	for (int c = 0; c < PHX_NCOUNTERS; c++)
		strbuf_addf(out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", counters[c].name,
			    counters[c].help, counters[c].name, counters[c].name,
			    phx_metrics_counter(m, (enum phx_counter)c));
	for (int h = 0; h < PHX_NHISTOGRAMS; h++) {
		const char *name = histograms[h].name;
		unsigned long long cum = 0, count = 0, sum_us = 0;

		/* an observation landing mid-render may be in a bucket but not
		 * yet in count: +Inf is never below the last bucket */
		strbuf_addf(out, "# HELP %s %s\n# TYPE %s histogram\n", name, histograms[h].help,
			    name);
		for (int i = 0; i < NBUCKETS && histograms[h].bounds[i] > 0; i++) {
			if (m)
				cum += atomic_load_explicit(&m->h[h].buckets[i], memory_order_relaxed);
			strbuf_addf(out, "%s_bucket{le=\"%g\"} %llu\n", name, histograms[h].bounds[i],
				    cum);
		}
		if (m) {
			sum_us = atomic_load_explicit(&m->h[h].sum_us, memory_order_relaxed);
			count = atomic_load_explicit(&m->h[h].count, memory_order_relaxed);
		}
		if (count < cum)
			count = cum;
		strbuf_addf(out, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %llu.%06llu\n%s_count %llu\n",
			    name, count, name, sum_us / 1000000, sum_us % 1000000, name, count);
	}
}

void phx_metrics_render_gauge(struct strbuf *out, const char *name, const char *help,
			      const char *label, const char *const *values,
			      const unsigned long long *n, size_t count)
{
	strbuf_addf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
	for (size_t i = 0; i < count; i++)
		strbuf_addf(out, "%s{%s=\"%s\"} %llu\n", name, label, values[i], n[i]);
}
