/* STAND-IN for the engine's observation API (events, metrics, drift), so
 * that the FUSE side's root `events` and `metrics` files and each
 * container's `drift` file can be built and tested before branch `observe`
 * lands. That branch replaces this whole file (and the two fields and the
 * one call it needs in engine_int.h and engine.c) with the real thing: the
 * engine posting its state changes, counting builds and API requests, and
 * computing drift against the backend.
 *
 * What this one does: the event ring and the counters are made on first
 * use; they are fed from the document's change feed (one line per changed
 * entry, and the edit counters), which is what the FUSE side can observe
 * without the engine's help. Drift is always "" (nothing known). */
#include "backend/engine/engine_int.h"

#include "backend/events.h"
#include "backend/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EVENTS_CAPACITY 4096

static void observe_feed(void *arg, const struct phx_change *changes, size_t n)
{
	struct phx_engine *e = arg;

	for (size_t i = 0; i < n; i++) {
		const struct phx_change *c = &changes[i];
		const char *by = c->origin == PHX_BY_MOUNT ? "through the mount"
							    : "by another program";
		char keys[256] = "";
		size_t used = 0;

		for (size_t k = 0; k < c->nkeys && used + 2 < sizeof(keys); k++) {
			int w = snprintf(keys + used, sizeof(keys) - used, "%s%s", k ? "," : "",
					 c->keys[k].key);

			if (w < 0)
				break;
			used += (size_t)w < sizeof(keys) - used ? (size_t)w : sizeof(keys) - used - 1;
		}
		phx_metrics_inc(e->obs_metrics, c->origin == PHX_BY_MOUNT ? PHX_C_EDITS_MOUNT
									  : PHX_C_EDITS_OUTSIDE);
		phx_metrics_inc(e->obs_metrics, PHX_C_EVENTS);
		if (c->added)
			phx_events_post(e->obs_events, c->ctid, "added", "entry added %s", by);
		else if (c->removed)
			phx_events_post(e->obs_events, c->ctid, "removed", "entry removed %s", by);
		else
			phx_events_post(e->obs_events, c->ctid, "edited", "%s %s",
					c->partial ? "(every key)" : keys, by);
	}
}

/* Both are made together, once, and subscribed to the feed. */
static void observe_start(struct phx_engine *e)
{
	pthread_mutex_lock(&e->lock);
	if (e->obs_events || e->stopping) {
		pthread_mutex_unlock(&e->lock);
		return;
	}
	e->obs_metrics = phx_metrics_new();
	e->obs_events = phx_events_new(EVENTS_CAPACITY);
	pthread_mutex_unlock(&e->lock);
	if (e->obs_events && e->obs_metrics && e->doc &&
	    phx_doc_subscribe(e->doc, observe_feed, e) == 0)
		e->obs_subscribed = true;
}

struct phx_events *phx_engine_events(struct phx_engine *e)
{
	observe_start(e);
	return e->obs_events;
}

struct phx_metrics *phx_engine_metrics(struct phx_engine *e)
{
	observe_start(e);
	return e->obs_metrics;
}

char *phx_engine_drift(struct phx_engine *e, uint32_t ctid)
{
	(void)e;
	(void)ctid;
	return strdup("");
}

void observe_stop(struct phx_engine *e)
{
	if (e->obs_subscribed)
		phx_doc_unsubscribe(e->doc, observe_feed, e);
	if (e->obs_events)
		phx_events_close(e->obs_events);
}

void observe_free(struct phx_engine *e)
{
	phx_events_free(e->obs_events);
	phx_metrics_free(e->obs_metrics);
}
