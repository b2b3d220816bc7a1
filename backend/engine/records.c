/* Per-container records: a hash map keyed by CTID (so every file read is
 * O(1) however many containers there are) and the helpers that change what
 * a record shows. Everything here runs with e->lock held. */
#include "backend/engine/engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const state_names[] = {
	[ST_ABSENT] = "absent",
	[ST_QUEUED] = "queued",
	[ST_CREATING] = "creating",
	[ST_CLONING] = "cloning",
	[ST_CONFIGURING] = "configuring",
	[ST_STARTING] = "starting",
	[ST_STOPPING] = "stopping",
	[ST_CONVERTING] = "converting",
	[ST_DESTROYING] = "destroying",
	[ST_STOPPED] = "stopped",
	[ST_RUNNING] = "running",
	[ST_TEMPLATE] = "template",
	[ST_FAILED] = "failed",
	[ST_MIGRATING] = "migrating",
};

const char *ct_state_name(enum ct_state s)
{
	return state_names[s];
}

double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t bucket_of(size_t nbuckets, uint32_t ctid)
{
	/* CTIDs cluster in runs (100, 101, ...); a multiplicative hash spreads
	 * them over the table. */
	return (size_t)((ctid * 2654435761u) % nbuckets);
}

struct ct_rec *rec_find(struct phx_engine *e, uint32_t ctid)
{
	struct ct_rec *r;

	if (!e->nbuckets)
		return NULL;
	for (r = e->buckets[bucket_of(e->nbuckets, ctid)]; r; r = r->hnext)
		if (r->ctid == ctid)
			return r;
	return NULL;
}

static int grow(struct phx_engine *e)
{
	size_t n = e->nbuckets ? e->nbuckets * 2 : 256;
	struct ct_rec **b = calloc(n, sizeof(*b));

	if (!b)
		return -1;
	for (size_t i = 0; i < e->nbuckets; i++) {
		struct ct_rec *r = e->buckets[i], *next;

		for (; r; r = next) {
			size_t k = bucket_of(n, r->ctid);

			next = r->hnext;
			r->hnext = b[k];
			b[k] = r;
		}
	}
	free(e->buckets);
	e->buckets = b;
	e->nbuckets = n;
	return 0;
}

struct ct_rec *rec_get(struct phx_engine *e, uint32_t ctid)
{
	struct ct_rec *r = rec_find(e, ctid);
	size_t k;

	if (r)
		return r;
	if (e->nrecs >= e->nbuckets && grow(e) < 0)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->ctid = ctid;
	r->template_ = -1;
	r->op = ST_ABSENT;
	snprintf(r->shown_word, sizeof(r->shown_word), "absent");
	k = bucket_of(e->nbuckets, ctid);
	r->hnext = e->buckets[k];
	e->buckets[k] = r;
	e->nrecs++;
	return r;
}

static void rec_destroy(struct ct_rec *r)
{
	ctlog_free(&r->log);
	free(r->error);
	free(r->waiters);
	free(r->drift);
	free(r->applied);
	free(r);
}

void rec_link(struct phx_engine *e, struct ct_rec *from, uint32_t *link, uint32_t ctid)
{
	struct ct_rec *t;

	if (*link == ctid)
		return;
	/* a record's links to itself keep nothing alive: its own work does */
	if (*link && *link != from->ctid && (t = rec_find(e, *link)))
		t->linked--;
	*link = ctid;
	if (ctid && ctid != from->ctid && (t = rec_find(e, ctid)))
		t->linked++;
}

/* Whether anything still needs r: a container, work, a worker, someone
 * waiting on it or for it, a clone from or into it. The last three are
 * other records' links, counted as they change (rec_link), so that an
 * entry's removal does not walk every record. */
static bool rec_needed(const struct ct_rec *r)
{
	return r->exists || r->seen || !rec_settled(r) || r->doing || r->clone_busy ||
	       r->nwaiters || r->hold_stopped || r->linked;
}

bool rec_forget(struct phx_engine *e, uint32_t ctid)
{
	struct ct_rec **p, *r;

	if (!e->nbuckets)
		return false;
	for (p = &e->buckets[bucket_of(e->nbuckets, ctid)]; (r = *p); p = &r->hnext)
		if (r->ctid == ctid)
			break;
	if (!r || rec_needed(r))
		return false;
	/* 0 here (settled, not queued, no clone running); let go anyway so
	 * that no count outlives the record */
	rec_link(e, r, &r->waiting_for, 0);
	rec_link(e, r, &r->clone_src, 0);
	rec_link(e, r, &r->clone_holder, 0);
	*p = r->hnext;
	e->nrecs--;
	rec_destroy(r);
	return true;
}

void rec_free_all(struct phx_engine *e)
{
	for (size_t i = 0; i < e->nbuckets; i++) {
		struct ct_rec *r = e->buckets[i], *next;

		for (; r; r = next) {
			next = r->hnext;
			rec_destroy(r);
		}
	}
	free(e->buckets);
	e->buckets = NULL;
	e->nbuckets = e->nrecs = 0;
}

void rec_touch(struct phx_engine *e, struct ct_rec *r)
{
	observe_state(e, r); /* a `state` event when the status word changed */
	r->version++;
	pthread_cond_broadcast(&e->changed);
	if (e->on_change)
		e->on_change(e->on_change_arg, r->ctid);
}

void rec_vnote(struct phx_engine *e, struct ct_rec *r, const char *fmt, va_list ap)
{
	char line[CTLOG_LINE_MAX];

	vsnprintf(line, sizeof(line), fmt, ap);
	ctlog_add(&r->log, time(NULL), line);
	rec_touch(e, r);
}

void rec_note(struct phx_engine *e, struct ct_rec *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rec_vnote(e, r, fmt, ap);
	va_end(ap);
}

void rec_set_op(struct phx_engine *e, struct ct_rec *r, enum ct_state op,
		const char *fmt, ...)
{
	va_list ap;

	r->op = op;
	r->detail[0] = '\0';
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
		va_end(ap);
	}
	rec_touch(e, r);
}

void rec_fail(struct phx_engine *e, struct ct_rec *r, const char *reason,
	      const char *full)
{
	r->failed_wants |= r->wants;
	r->wants = 0;
	r->cfg_keys = 0;
	r->failed = true;
	r->op = ST_ABSENT;
	r->detail[0] = '\0';
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
	free(r->error);
	r->error = strdup(full ? full : reason);
	rec_note(e, r, "failed: %s", full ? full : reason);
	journal_dirty(e);
}

void rec_clear_failure(struct phx_engine *e, struct ct_rec *r)
{
	if (!r->failed)
		return;
	r->failed = false;
	r->reason[0] = '\0';
	rec_touch(e, r);
}

bool rec_settled(const struct ct_rec *r)
{
	return !r->wants && !r->queued && !r->running && r->op == ST_ABSENT &&
	       !r->waiting_for && !r->remote_held;
}

void rec_status(const struct ct_rec *r, char *buf, size_t len)
{
	const char *state;

	if (r->op != ST_ABSENT) {
		if (r->detail[0])
			snprintf(buf, len, "%s: %s", ct_state_name(r->op), r->detail);
		else
			snprintf(buf, len, "%s", ct_state_name(r->op));
		return;
	}
	/* another mount of the config works on it (or failed at it): its
	 * state, so that every mount shows the same */
	if (!r->running && r->remote_status[0] &&
	    (r->remote_held || (!r->wants && !r->queued && !r->waiting_for && !r->failed))) {
		snprintf(buf, len, "%s", r->remote_status);
		return;
	}
	if (r->waiting_for) {
		if (r->waiting_snap[0])
			snprintf(buf, len, "queued: waiting for snapshot %s of %u", r->waiting_snap,
				 r->waiting_for);
		else
			snprintf(buf, len, "queued: waiting for %u", r->waiting_for);
		return;
	}
	if (r->queued || r->wants) {
		snprintf(buf, len, "queued: waiting for a worker");
		return;
	}
	/* taken by a worker that has not named its operation yet (choosing a
	 * node, its first request in flight): not absent any more */
	if (r->running && !r->exists) {
		snprintf(buf, len, "queued: a worker is starting it");
		return;
	}
	if (r->failed) {
		snprintf(buf, len, "failed: %s", r->reason);
		return;
	}
	if (!r->exists)
		state = "absent";
	else if (r->template_ == 1)
		state = "template";
	else if (strcmp(r->status, "running") == 0)
		state = "running";
	else
		state = "stopped"; /* includes "unknown": a guest the node has not
				      reported on yet has not been started by us */
	if (r->exists && r->lock[0])
		snprintf(buf, len, "%s: locked (%s)", state, r->lock);
	else
		snprintf(buf, len, "%s", state);
}

int rec_add_waiter(struct ct_rec *src, uint32_t ctid)
{
	for (size_t i = 0; i < src->nwaiters; i++)
		if (src->waiters[i] == ctid)
			return 0;
	if (src->nwaiters == src->capwaiters) {
		size_t n = src->capwaiters ? src->capwaiters * 2 : 4;
		uint32_t *w = realloc(src->waiters, n * sizeof(*w));

		if (!w)
			return -1;
		src->waiters = w;
		src->capwaiters = n;
	}
	src->waiters[src->nwaiters++] = ctid;
	return 0;
}

void rec_del_waiter(struct ct_rec *src, uint32_t ctid)
{
	for (size_t i = 0; i < src->nwaiters; i++)
		if (src->waiters[i] == ctid) {
			src->waiters[i] = src->waiters[--src->nwaiters];
			return;
		}
}
