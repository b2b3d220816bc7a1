/* Counters and histograms of one mount, rendered in Prometheus's text
 * exposition format for the root `metrics` file (node_exporter's textfile
 * collector reads it as it is). One table in metrics.c names every series;
 * adding one is a row there and an enum value here. Updates are lock-free
 * atomics: the driver's and the engine's threads never wait on a reader. */
#ifndef PHX_METRICS_H
#define PHX_METRICS_H

#include "backend/strbuf.h"

#include <stddef.h>

enum phx_counter {
	PHX_C_BUILDS_STARTED,
	PHX_C_BUILDS_DONE,
	PHX_C_BUILDS_FAILED,
	PHX_C_EDITS_MOUNT,     /* changes committed through the mount */
	PHX_C_EDITS_OUTSIDE,   /* changes found in the file, made by other programs */
	PHX_C_WRITES_REFUSED,
	PHX_C_API_REQUESTS,
	PHX_C_API_REFUSED,     /* answered with an error status */
	PHX_C_API_NO_ANSWER,   /* timeouts, refused connections, 59x */
	PHX_C_HOOKS_RUN,
	PHX_C_HOOKS_FAILED,
	PHX_C_EVENTS,
	PHX_NCOUNTERS
};

enum phx_histogram {
	PHX_H_API_SECONDS,  /* one HTTP request to Proxmox, tries included */
	PHX_H_HOOK_SECONDS, /* one feature or application script */
	PHX_NHISTOGRAMS
};

struct phx_metrics;

struct phx_metrics *phx_metrics_new(void);
void phx_metrics_free(struct phx_metrics *m);

/* Both accept m == NULL (no metrics kept), so callers need no checks. */
void phx_metrics_inc(struct phx_metrics *m, enum phx_counter c);
void phx_metrics_observe(struct phx_metrics *m, enum phx_histogram h, double seconds);

unsigned long long phx_metrics_counter(struct phx_metrics *m, enum phx_counter c);

/* Append every series with its HELP and TYPE lines. */
void phx_metrics_render(struct phx_metrics *m, struct strbuf *out);

/* A gauge with one label, one line per value ("running", "failed", ...);
 * the values must need no escaping (state words do not). */
void phx_metrics_render_gauge(struct strbuf *out, const char *name, const char *help,
			      const char *label, const char *const *values,
			      const unsigned long long *n, size_t count);

#endif
