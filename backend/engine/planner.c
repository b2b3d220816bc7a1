/* The planner: decides, for what has been asked of a container, whether it
 * can run now, must wait for its clone source, or cannot be done.
 *
 * A build whose source is missing (or must first become a template) waits
 * for that source; the source is asked for its own build or conversion,
 * and so on up the chain. A source that is already being built or
 * converted is not asked again: every container waiting for it is added to
 * its waiters, so any number of requests share one build. When the
 * source's job ends, its waiters are planned again (success) or fail with
 * "dependency N failed: ..." (failure), and theirs after them. */
#include "backend/engine/engine_int.h"

#include "backend/chain.h"
#include "backend/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHAIN_MAX 256

struct link {
	uint32_t ctid;
	bool present;       /* has an entry */
	bool bad_src;       /* clone_from_ctid is not a CTID */
	uint32_t src;
	bool is_template;   /* the entry asks for a template */
	bool has_ostemplate;
	char snapname[48];  /* its template_snapshot_name: what its clones
			       are cloned from */
	/* its dependencies that are in the file: running before it starts
	 * (those that are not are waited for on the backend by the job) */
	uint32_t deps[16];
	size_t ndeps;
};

struct chain {
	struct link v[CHAIN_MAX];
	size_t n;
	uint32_t also[16];  /* dependencies asked for: planned after */
	size_t nalso;
	bool cycle;         /* the last link's source is already in the chain */
	bool too_long;
};

static void read_link(json_object *entry, uint32_t ctid, struct link *l)
{
	json_object *v;

	memset(l, 0, sizeof(*l));
	l->ctid = ctid;
	if (!entry)
		return;
	l->present = true;
	if (phx_chain_source(entry, &l->src) < 0) {
		l->bad_src = true;
		l->src = 0;
	}
	l->is_template = phx_entry_wants_template(entry);
	l->has_ostemplate = json_object_object_get_ex(entry, "template", &v) &&
		json_object_is_type(v, json_type_string) &&
		json_object_get_string_len(v) > 0;
	if (!l->is_template && json_object_object_get_ex(entry, "template_snapshot_name", &v) &&
	    json_object_is_type(v, json_type_string))
		snprintf(l->snapname, sizeof(l->snapname), "%s", json_object_get_string(v));
}

static void read_deps(struct phx_engine *e, json_object *entry, struct link *l)
{
	uint32_t all[64];
	char why[128];
	int n = entry ? phx_chain_deps(entry, all, 64, why, sizeof(why)) : 0;

	for (int i = 0; i < n && i < 64 && l->ndeps < 16; i++)
		if (all[i] != l->ctid && phx_doc_entry(e->doc, all[i]))
			l->deps[l->ndeps++] = all[i];
}

/* Read the clone chain from ctid, under the doc's read lock only. */
static void gather(struct phx_engine *e, uint32_t ctid, struct chain *c)
{
	uint32_t cur = ctid;

	c->n = 0;
	c->nalso = 0;
	c->cycle = c->too_long = false;
	phx_doc_rdlock(e->doc);
	while (cur) {
		for (size_t i = 0; i < c->n; i++)
			if (c->v[i].ctid == cur) {
				c->cycle = true;
				goto done;
			}
		if (c->n == CHAIN_MAX) {
			c->too_long = true;
			break;
		}
		read_link(phx_doc_entry(e->doc, cur), cur, &c->v[c->n]);
		read_deps(e, phx_doc_entry(e->doc, cur), &c->v[c->n]);
		cur = c->v[c->n].present ? c->v[c->n].src : 0;
		c->n++;
	}
done:
	phx_doc_unlock(e->doc);
}

void enqueue(struct phx_engine *e, struct ct_rec *r)
{
	if (r->queued || r->running)
		return;
	r->queued = true;
	r->qnext = NULL;
	if (e->qtail)
		e->qtail->qnext = r;
	else
		e->qhead = r;
	e->qtail = r;
	rec_touch(e, r);
	pthread_cond_broadcast(&e->work);
}

/* Fail r and, recursively, everything waiting for it. */
static void fail_tree(struct phx_engine *e, struct ct_rec *r, const char *reason,
		      const char *full)
{
	uint32_t *waiters = r->waiters;
	size_t n = r->nwaiters;
	char dreason[600], dfull[2048];

	rec_fail(e, r, reason, full);
	r->waiters = NULL;
	r->nwaiters = r->capwaiters = 0;
	snprintf(dreason, sizeof(dreason), "dependency %u failed: %s", r->ctid, reason);
	snprintf(dfull, sizeof(dfull), "dependency %u failed: %s", r->ctid, full ? full : reason);
	for (size_t i = 0; i < n; i++) {
		struct ct_rec *w = rec_find(e, waiters[i]);

		if (!w || w->waiting_for != r->ctid)
			continue;
		rec_link(e, w, &w->waiting_for, 0);
		w->waiting_snap[0] = '\0';
		w->waiting_dep = false;
		fail_tree(e, w, dreason, dfull);
	}
	free(waiters);
}

size_t release_waiters(struct phx_engine *e, struct ct_rec *src, bool ok,
		       uint32_t **replan)
{
	size_t n = 0;

	*replan = NULL;
	if (!src->nwaiters)
		return 0;
	if (!ok) {
		uint32_t *waiters = src->waiters;
		size_t nw = src->nwaiters;
		char dreason[600];

		src->waiters = NULL;
		src->nwaiters = src->capwaiters = 0;
		snprintf(dreason, sizeof(dreason), "dependency %u failed: %s", src->ctid,
			 src->reason);
		for (size_t i = 0; i < nw; i++) {
			struct ct_rec *w = rec_find(e, waiters[i]);
			char dfull[2048];

			if (!w || w->waiting_for != src->ctid)
				continue;
			rec_link(e, w, &w->waiting_for, 0);
			w->waiting_snap[0] = '\0';
			w->waiting_dep = false;
			snprintf(dfull, sizeof(dfull), "dependency %u failed: %s", src->ctid,
				 src->error ? src->error : src->reason);
			fail_tree(e, w, dreason, dfull);
		}
		free(waiters);
		return 0;
	}
	*replan = src->waiters;
	n = src->nwaiters;
	for (size_t i = 0; i < n; i++) {
		struct ct_rec *w = rec_find(e, (*replan)[i]);

		if (w && w->waiting_for == src->ctid) {
			rec_link(e, w, &w->waiting_for, 0);
			w->waiting_snap[0] = '\0';
			w->waiting_dep = false;
			rec_touch(e, w);
		}
	}
	src->waiters = NULL;
	src->nwaiters = src->capwaiters = 0;
	return n;
}

/* Whether the source can be cloned from now. */
static bool source_ready(const struct ct_rec *sr, const struct link *sl)
{
	if (!sr->exists || (sr->wants & W_PROVIDES) ||
	    (sr->running && (sr->doing & W_PROVIDES)) || sr->waiting_for)
		return false;
	if (strcmp(sr->lock, "create") == 0)
		return false;
	/* a source that names a template snapshot is cloned from it: wait
	 * until it is known to exist (its build takes it) */
	if (sl->snapname[0] && sr->template_ != 1 && strcmp(sr->has_snap, sl->snapname) != 0)
		return false; /* (a template on the backend is cloned linked) */
	return !sl->is_template || sr->template_ == 1;
}

static bool providing(const struct ct_rec *sr)
{
	return (sr->wants & W_PROVIDES) || (sr->running && (sr->doing & W_PROVIDES)) ||
	       sr->waiting_for;
}

static void fail_now(struct phx_engine *e, struct ct_rec *r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fail_now(struct phx_engine *e, struct ct_rec *r, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fail_tree(e, r, msg, msg);
}

static bool dep_runs(const struct ct_rec *dr)
{
	return dr->exists && strcmp(dr->status, "running") == 0 &&
	       !(dr->wants & (W_STOP | W_DESTROY)) && !(dr->running && (dr->doing & W_STOP));
}

/* A container starts only once each dependency in the file runs. While it
 * does not exist yet, its dependencies are only asked for (built or
 * started alongside, so the two builds overlap); once it exists (its job
 * came back before the start: resume_build), it waits for the first one
 * that does not run (`queued: waiting for 103`), released as soon as that
 * one starts (wake_dependents). Returns true when r waits. e->lock held. */
static bool wait_deps(struct phx_engine *e, struct chain *c, struct link *l, struct ct_rec *r)
{
	bool waits = false;

	for (size_t k = 0; k < l->ndeps && !waits; k++) {
		struct ct_rec *dr = rec_get(e, l->deps[k]);

		if (!dr)
			return false;
		if (dep_runs(dr))
			continue;
		if (dr->failed) {
			fail_now(e, r, "dependency %u failed: %s", dr->ctid, dr->reason);
			return true;
		}
		if (!dr->wants && !dr->running && !dr->queued && !dr->waiting_for) {
			dr->wants |= dr->exists ? W_START : W_BUILD;
			rec_note(e, dr, "%s asked for: %u depends on it",
				 dr->exists ? "start" : "build", r->ctid);
			journal_dirty(e);
			if (c->nalso < sizeof(c->also) / sizeof(c->also[0]))
				c->also[c->nalso++] = dr->ctid;
		}
		if (!r->exists)
			continue; /* built meanwhile; it waits before its start */
		{
			/* a file edited by hand may hold a cycle the writes refuse:
			 * say so rather than wait for ever */
			const struct ct_rec *x = dr;

			for (int hops = 0; x && x->waiting_for && hops < CHAIN_MAX; hops++) {
				if (x->waiting_for == r->ctid) {
					fail_now(e, r, "build order cycle: %u waits for %u "
						 "(dependency), which waits for %u", r->ctid,
						 dr->ctid, r->ctid);
					return true;
				}
				x = rec_find(e, x->waiting_for);
			}
		}
		if (rec_add_waiter(dr, r->ctid) < 0) {
			fail_now(e, r, "out of memory waiting for dependency %u", dr->ctid);
			return true;
		}
		rec_link(e, r, &r->waiting_for, dr->ctid);
		r->waiting_snap[0] = '\0';
		r->waiting_dep = true;
		rec_touch(e, r);
		waits = true;
	}
	return waits;
}

void wake_dependents(struct phx_engine *e, uint32_t ctid)
{
	uint32_t *wake = NULL;
	size_t n = 0;
	struct ct_rec *r;

	pthread_mutex_lock(&e->lock);
	r = rec_find(e, ctid);
	if (r && r->nwaiters && (wake = malloc(r->nwaiters * sizeof(*wake)))) {
		for (size_t i = 0; i < r->nwaiters; i++) {
			struct ct_rec *w = rec_find(e, r->waiters[i]);

			if (w && w->waiting_for == ctid && w->waiting_dep)
				wake[n++] = w->ctid;
		}
		for (size_t i = 0; i < n; i++) {
			struct ct_rec *w = rec_find(e, wake[i]);

			rec_del_waiter(r, wake[i]);
			rec_link(e, w, &w->waiting_for, 0);
			w->waiting_dep = false;
			rec_touch(e, w);
		}
	}
	pthread_mutex_unlock(&e->lock);
	for (size_t i = 0; i < n; i++)
		plan_ctid(e, wake[i]);
	free(wake);
}

bool deps_running(struct phx_engine *e, uint32_t ctid)
{
	struct link l;
	bool ok = true;

	memset(&l, 0, sizeof(l));
	l.ctid = ctid;
	phx_doc_rdlock(e->doc);
	read_deps(e, phx_doc_entry(e->doc, ctid), &l);
	phx_doc_unlock(e->doc);
	pthread_mutex_lock(&e->lock);
	for (size_t k = 0; k < l.ndeps && ok; k++) {
		struct ct_rec *dr = rec_find(e, l.deps[k]);

		ok = dr && dep_runs(dr);
	}
	pthread_mutex_unlock(&e->lock);
	return ok;
}

/* Plan link i of the chain; returns true to go on with link i + 1 (its
 * source was just asked for). e->lock held. */
static bool plan_link(struct phx_engine *e, struct chain *c, size_t i)
{
	struct link *l = &c->v[i];
	struct ct_rec *r = rec_get(e, l->ctid), *sr;
	struct link *sl;

	if (!r || r->running || r->queued || !r->wants)
		return false;
	if (r->waiting_for) {
		sr = rec_find(e, r->waiting_for);
		if (sr)
			rec_del_waiter(sr, r->ctid);
		rec_link(e, r, &r->waiting_for, 0);
		r->waiting_snap[0] = '\0';
		r->waiting_dep = false;
	}
	if ((r->wants & W_BUILD) && !(r->wants & W_DESTROY) && wait_deps(e, c, l, r))
		return false;
	if (!(r->wants & W_BUILD) || r->wants & W_DESTROY) {
		enqueue(e, r);
		return false;
	}
	if (r->exists) {
		/* Built already: adopt it, converting if the entry asks for a
		 * template. A create lock left by a crash is the job's to
		 * settle, and so is a build of ours resumed from the journal:
		 * it may have stopped before configuring or starting. */
		if (strcmp(r->lock, "create") != 0 && !r->resume_build) {
			r->wants &= ~W_BUILD;
			if (l->is_template && r->template_ != 1)
				r->wants |= W_CONVERT;
			journal_dirty(e);
		}
		if (r->wants)
			enqueue(e, r);
		else
			rec_touch(e, r); /* settled: its waiters are released by
					    the caller */
		return false;
	}
	if (!l->present) {
		fail_now(e, r, "nothing to build %u from: it has no entry in the config file",
			 l->ctid);
		return false;
	}
	if (l->bad_src) {
		fail_now(e, r, "clone_from of %u is not a container id", l->ctid);
		return false;
	}
	if (!l->src) {
		if (!l->has_ostemplate)
			fail_now(e, r, "nothing to build %u from: it has neither template "
				 "nor clone_from", l->ctid);
		else
			enqueue(e, r);
		return false;
	}
	if (i + 1 >= c->n) {
		if (c->cycle)
			fail_now(e, r, "clone cycle: the chain from %u leads back to %u",
				 c->v[0].ctid, c->v[c->n - 1].src);
		else
			fail_now(e, r, "clone chain from %u is longer than %d links",
				 c->v[0].ctid, CHAIN_MAX);
		return false;
	}
	sl = &c->v[i + 1];
	sr = rec_get(e, sl->ctid);
	if (!sr)
		return false;
	if (source_ready(sr, sl)) {
		rec_link(e, r, &r->clone_src, sl->ctid);
		enqueue(e, r);
		return false;
	}
	if (!sr->exists && !sl->present) {
		fail_now(e, r, "clone source %u of %u has no entry and no container",
			 sl->ctid, l->ctid);
		return false;
	}
	if (rec_add_waiter(sr, r->ctid) < 0) {
		/* unregistered, it would never be released: wait would hang */
		fail_now(e, r, "out of memory waiting for clone source %u", sl->ctid);
		return false;
	}
	rec_link(e, r, &r->waiting_for, sl->ctid);
	snprintf(r->waiting_snap, sizeof(r->waiting_snap), "%s", sl->snapname);
	rec_touch(e, r);
	if (providing(sr))
		return false; /* shared: its build is already on the way */
	rec_clear_failure(e, sr);
	if (!sr->exists || strcmp(sr->lock, "create") == 0) {
		sr->wants |= W_BUILD;
		rec_note(e, sr, "build asked for: %u clones from it", l->ctid);
	} else if (sl->snapname[0] && sr->template_ != 1) {
		/* built already: make sure of its snapshot (taken when missing) */
		sr->wants |= W_SNAP;
		rec_note(e, sr, "snapshot %s asked for: %u clones from it", sl->snapname,
			 l->ctid);
	} else {
		sr->wants |= W_CONVERT;
		rec_note(e, sr, "conversion to a template asked for: %u clones from it",
			 l->ctid);
	}
	journal_dirty(e);
	return true;
}

int plan_ctid(struct phx_engine *e, uint32_t ctid)
{
	struct chain *c = malloc(sizeof(*c));
	uint32_t *replan = NULL;
	size_t nreplan = 0;
	struct ct_rec *r;
	int rc;

	if (!c) {
		pthread_mutex_lock(&e->lock);
		r = rec_get(e, ctid);
		if (r && r->wants)
			fail_now(e, r, "out of memory planning %u", ctid);
		pthread_mutex_unlock(&e->lock);
		return journal_sync(e);
	}
	gather(e, ctid, c);
	pthread_mutex_lock(&e->lock);
	if (e->refreshed_once && !e->stopping) {
		for (size_t i = 0; i < c->n; i++)
			if (!plan_link(e, c, i))
				break;
		/* A request that turned out to need nothing (it existed
		 * already) releases whoever waits for it. */
		r = rec_find(e, ctid);
		if (r && !r->wants && !r->running && !r->queued && !r->waiting_for &&
		    r->nwaiters)
			nreplan = release_waiters(e, r, !r->failed, &replan);
		if (c->n == 0 && (r = rec_find(e, ctid)) && r->wants && !r->queued &&
		    !r->running)
			enqueue(e, r);
	}
	pthread_mutex_unlock(&e->lock);
	{
		uint32_t also[16];
		size_t nalso = c->nalso;

		memcpy(also, c->also, sizeof(also));
		free(c);
		rc = journal_sync(e);
		for (size_t i = 0; i < nalso; i++) {
			int prc = plan_ctid(e, also[i]);

			if (rc == 0)
				rc = prc;
		}
	}
	for (size_t i = 0; i < nreplan; i++) {
		int prc = plan_ctid(e, replan[i]);

		if (rc == 0)
			rc = prc;
	}
	free(replan);
	return rc;
}
