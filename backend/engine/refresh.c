/* The refresher: one /cluster/resources listing per period for every guest
 * of the cluster, folded into the records the files render from. Never a
 * call per container here; configs are read by jobs, when needed.
 *
 * The listing's status, name and template lag by up to ~10 s
 * (docs/proxmox-api.md §2) while existence and lock are live. So: a record a job is working
 * on keeps what the job says; one whose job ended after this listing was
 * asked for is skipped; and for a while after a job learned the truth
 * from a task and the config, the lagging fields are not taken. */
#include "backend/engine/engine_int.h"

#include "backend/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static bool in_list(const uint32_t *ids, size_t n, uint32_t id)
{
	return bsearch(&id, ids, n, sizeof(*ids), cmp_u32) != NULL;
}

/* Whether the listing's lagging fields agree with what a job learned from
 * its task and the config. */
static bool listing_caught_up(const struct ct_rec *r, const struct phx_guest *g)
{
	if (strcmp(g->status, "unknown") == 0 || !g->status[0] ||
	    strcmp(g->status, r->status) != 0)
		return false;
	return r->template_ == -1 || g->template_ == r->template_;
}

static void apply_guest(struct phx_engine *e, const struct phx_guest *g, double asked,
			double now)
{
	struct ct_rec *r = rec_get(e, g->vmid);
	bool changed = false;

	if (!r)
		return;
	/* the row as listed, for drift: reconcile.c decides what of it is news */
	r->row = *g;
	r->row_valid = true;
	if (r->running || r->op_ended_at > asked)
		return;
	r->seen = true;
	if (!r->exists || strcmp(r->node, g->node) || strcmp(r->lock, g->lock))
		changed = true;
	r->exists = true;
	snprintf(r->node, sizeof(r->node), "%s", g->node);
	snprintf(r->lock, sizeof(r->lock), "%s", g->lock);
	if (now < r->facts_pinned_until && listing_caught_up(r, g)) {
		/* The listing now says what the job learned: from here on a
		 * difference is a change made elsewhere, to be shown within
		 * `refresh` seconds rather than after the whole lag window. */
		r->facts_pinned_until = 0;
	}
	if (now >= r->facts_pinned_until) {
		if (strcmp(g->status, "unknown") != 0 && g->status[0] &&
		    strcmp(r->status, g->status) != 0) {
			snprintf(r->status, sizeof(r->status), "%s", g->status);
			changed = true;
		}
		/* A template never turns back; a stale 0 must not undo a 1. */
		if (g->template_ == 1 && r->template_ != 1) {
			r->template_ = 1;
			changed = true;
		} else if (g->template_ == 0 && r->template_ == -1) {
			r->template_ = 0;
			changed = true;
		}
	}
	if (changed)
		rec_touch(e, r);
}

int refresh_once(struct phx_engine *e)
{
	struct phx_guest_list list = { 0 };
	struct phx_err err = { 0 };
	double asked = now_mono(), now;
	uint32_t *ids, *all;
	size_t n = 0;
	/* the other mounts' locks before the listing: one let go of is then
	 * already in it with what its holder made */
	struct mounts_scan *sc = mounts_scan(e);

	if (e->drv->ops->list_guests(e->drv->ctx, &list, &err) < 0) {
		mounts_apply(e, sc); /* shown as held, taken over when expired */
		pthread_mutex_lock(&e->lock);
		if (strcmp(e->refresh_problem, err.msg) != 0)
			phx_warn("engine: cannot list the backend's guests: %s", err.msg);
		snprintf(e->refresh_problem, sizeof(e->refresh_problem), "%s", err.msg);
		e->refresh_fatal = err.kind == PHX_E_TLS || err.kind == PHX_E_AUTH;
		pthread_mutex_unlock(&e->lock);
		return -1;
	}
	ids = malloc((list.n ? list.n : 1) * sizeof(*ids));
	if (!ids) {
		phx_guest_list_free(&list);
		mounts_apply(e, sc);
		return -1;
	}
	for (size_t i = 0; i < list.n; i++)
		if (strcmp(list.v[i].type, "lxc") == 0)
			ids[n++] = list.v[i].vmid;
	qsort(ids, n, sizeof(*ids), cmp_u32);
	/* every guest's id, VMs too: a container is rebuilt only into an id
	 * nobody holds */
	all = malloc((list.n ? list.n : 1) * sizeof(*all));
	if (!all) {
		free(ids);
		phx_guest_list_free(&list);
		mounts_apply(e, sc);
		return -1;
	}
	for (size_t i = 0; i < list.n; i++)
		all[i] = list.v[i].vmid;
	qsort(all, list.n, sizeof(*all), cmp_u32);

	now = now_mono();
	pthread_mutex_lock(&e->lock);
	if (e->refresh_problem[0]) {
		phx_info("engine: the backend answers again");
		e->refresh_problem[0] = '\0';
		e->refresh_fatal = false;
		pthread_cond_broadcast(&e->work); /* jobs held for the backend go on */
	}
	/* the first listing says what the fleet is: no `state` events */
	e->quiet_states = e->refresh_count == 0;
	for (size_t i = 0; i < list.n; i++)
		if (strcmp(list.v[i].type, "lxc") == 0)
			apply_guest(e, &list.v[i], asked, now);
	/* Gone since the last listing (destroyed elsewhere). */
	for (size_t b = 0; b < e->nbuckets; b++)
		for (struct ct_rec *r = e->buckets[b]; r; r = r->hnext) {
			if (!in_list(ids, n, r->ctid))
				r->row_valid = false;
			r->missing = in_list(all, list.n, r->ctid) ? 0 : r->missing + 1;
			if (!r->exists || r->running || r->op_ended_at > asked ||
			    in_list(ids, n, r->ctid))
				continue;
			r->exists = false;
			r->template_ = -1;
			r->status[0] = r->lock[0] = r->node[0] = '\0';
			rec_touch(e, r);
		}
	free(e->backend_ids);
	e->backend_ids = ids;
	e->nbackend = n;
	e->refresh_count++;
	e->quiet_states = false;
	pthread_mutex_unlock(&e->lock);
	free(all);
	phx_guest_list_free(&list);
	mounts_apply(e, sc);
	reconcile_after_listing(e, asked);
	return 0;
}

/* After the first listing, plan what the journal brought back (and any
 * request that came in before the backend was known). */
static void plan_pending(struct phx_engine *e)
{
	uint32_t *todo = NULL;
	size_t n = 0, cap = 0;

	pthread_mutex_lock(&e->lock);
	for (size_t b = 0; b < e->nbuckets; b++)
		for (struct ct_rec *r = e->buckets[b]; r; r = r->hnext) {
			if (!r->wants || r->queued || r->running || r->waiting_for)
				continue;
			if (n == cap) {
				size_t c = cap ? cap * 2 : 16;
				uint32_t *t = realloc(todo, c * sizeof(*t));

				if (!t)
					break;
				todo = t;
				cap = c;
			}
			todo[n++] = r->ctid;
		}
	pthread_mutex_unlock(&e->lock);
	for (size_t i = 0; i < n; i++)
		plan_ctid(e, todo[i]);
	free(todo);
}

static void *refresher_main(void *arg)
{
	struct phx_engine *e = arg;
	unsigned failures = 0;

	for (;;) {
		struct timespec ts;
		unsigned ms;
		bool first = false;
		int rc;

		rc = refresh_once(e);
		pthread_mutex_lock(&e->lock);
		if (rc == 0 && !e->refreshed_once) {
			e->refreshed_once = true;
			first = true;
			pthread_cond_broadcast(&e->work);
		}
		pthread_mutex_unlock(&e->lock);
		if (first)
			plan_pending(e);
		failures = rc == 0 ? 0 : failures + 1;
		/* until the backend is first seen, try again soon */
		ms = rc == 0 || e->refresh_ms < 1000 ? e->refresh_ms :
			(failures < 5 ? 1000 : e->refresh_ms);

		pthread_mutex_lock(&e->lock);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += ms / 1000;
		ts.tv_nsec += (long)(ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		while (!e->stopping && !e->refresh_now &&
		       pthread_cond_timedwait(&e->refresh, &e->lock, &ts) == 0)
			;
		e->refresh_now = false;
		if (e->stopping) {
			pthread_mutex_unlock(&e->lock);
			break;
		}
		pthread_mutex_unlock(&e->lock);
	}
	return NULL;
}

int refresher_start(struct phx_engine *e, char *err, size_t errlen)
{
	int rc = pthread_create(&e->refresher, NULL, refresher_main, e);

	if (rc) {
		snprintf(err, errlen, "cannot start the refresher thread: %s", strerror(rc));
		return -rc;
	}
	e->refresher_started = true;
	return 0;
}

void refresher_stop(struct phx_engine *e)
{
	if (e->refresher_started)
		pthread_join(e->refresher, NULL);
	e->refresher_started = false;
}
