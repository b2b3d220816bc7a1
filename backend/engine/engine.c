/* The engine's public face (engine.h): what the files render, what writes
 * and ctl commands ask for, and wait. Every function here only touches
 * records under e->lock (and, for requests, the journal file); the backend
 * is reached by the workers and the refresher alone. */
#include "backend/engine/engine_int.h"

#include "backend/chain.h"
#include "backend/engine/params.h"
#include "backend/json_write.h"
#include "backend/schema.h"
#include "backend/log.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#define OFFLINE_REASON "no backend configured"

static void on_feed(void *arg, const struct phx_change *changes, size_t n);

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

int phx_engine_start(struct phx_engine **out, const struct phx_engine_cfg *cfg,
		     char *err, size_t errlen)
{
	struct phx_engine *e = calloc(1, sizeof(*e));
	pthread_condattr_t ca;
	int rc;

	*out = NULL;
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	e->doc = cfg->doc;
	e->drv = cfg->driver;
	e->default_node = dup_or_null(cfg->default_node);
	e->jobs = cfg->jobs ? cfg->jobs : 4;
	e->refresh_ms = cfg->refresh_ms ? cfg->refresh_ms : 5000;
	e->journal_path = dup_or_null(cfg->journal_path);
	e->reconcile = cfg->reconcile;
	e->feature_dir = dup_or_null(cfg->feature_dir);
	e->app_script_dir = dup_or_null(cfg->app_script_dir);
	e->config_path = dup_or_null(cfg->config_path);
	e->mountpoint = dup_or_null(cfg->mountpoint);
	e->pve_conf_dir = dup_or_null(cfg->pve_conf_dir);
	e->hook_timeout_ms = cfg->hook_timeout_ms;
	if (pipe2(e->stop_pipe, O_CLOEXEC) < 0)
		e->stop_pipe[0] = e->stop_pipe[1] = -1;
	pthread_mutex_init(&e->lock, NULL);
	pthread_mutex_init(&e->journal_lock, NULL);
	pthread_mutex_init(&e->locks_mu, NULL);
	/* wait() and the refresher sleep with deadlines; the monotonic clock
	 * keeps them right across wall-clock jumps. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&e->changed, &ca);
	pthread_cond_init(&e->work, &ca);
	pthread_cond_init(&e->refresh, &ca);
	pthread_condattr_destroy(&ca);
	/* before anything can post or call the driver */
	rc = observe_start(e, err, errlen);
	if (rc < 0) {
		phx_engine_stop(e);
		return rc;
	}

	/* Every committed change reaches the engine through the feed. */
	if (e->doc && phx_doc_subscribe(e->doc, on_feed, e) < 0) {
		snprintf(err, errlen, "the document has no room for another subscriber");
		phx_engine_stop(e);
		return -ENOSPC;
	}
	e->subscribed = e->doc != NULL;
	if (e->drv) {
		rc = journal_load(e, err, errlen);
		if (rc == 0)
			rc = mounts_start(e, cfg->lock_dir, cfg->lock_expiry_s, err, errlen);
		if (rc == 0)
			rc = workers_start(e, err, errlen);
		if (rc == 0)
			rc = refresher_start(e, err, errlen);
		if (rc < 0) {
			phx_engine_stop(e);
			return rc;
		}
	} else {
		/* Offline there is nothing to resume: intents recorded by an
		 * online run stay in the journal for the next online start. */
		pthread_mutex_lock(&e->lock);
		e->refreshed_once = true;
		pthread_mutex_unlock(&e->lock);
	}
	*out = e;
	return 0;
}

void phx_engine_stop(struct phx_engine *e)
{
	if (!e)
		return;
	if (e->subscribed)
		phx_doc_unsubscribe(e->doc, on_feed, e); /* waits out a delivery */
	pthread_mutex_lock(&e->lock);
	e->stopping = true;
	pthread_cond_broadcast(&e->work);
	pthread_cond_broadcast(&e->refresh);
	pthread_cond_broadcast(&e->changed);
	pthread_mutex_unlock(&e->lock);
	if (e->stop_pipe[1] >= 0) /* hooks running on workers end now */
		(void)!write(e->stop_pipe[1], "x", 1);
	refresher_stop(e);
	workers_stop(e);
	mounts_stop(e); /* after the workers: they let go of their locks */
	observe_stop(e);
	journal_release(e);
	/* What is still wanted stays in the journal: the next start resumes it. */
	rec_free_all(e);
	free(e->backend_ids);
	free(e->holds);
	free(e->default_node);
	free(e->journal_path);
	free(e->feature_dir);
	free(e->app_script_dir);
	free(e->config_path);
	free(e->mountpoint);
	free(e->pve_conf_dir);
	if (e->stop_pipe[0] >= 0) {
		close(e->stop_pipe[0]);
		close(e->stop_pipe[1]);
	}
	pthread_cond_destroy(&e->changed);
	pthread_cond_destroy(&e->work);
	pthread_cond_destroy(&e->refresh);
	pthread_mutex_destroy(&e->journal_lock);
	pthread_mutex_destroy(&e->locks_mu);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

/* --- what the files render --- */

/* A request that cannot start because the backend cannot be reached. While
 * the backend refuses us outright (its certificate does not match, the
 * token is refused) it is shown as failed, so that `wait` ends; it stays
 * in the journal, and a remount with the setting fixed carries it out.
 * While the backend is merely down, it waits and says why. */
static bool held_by_backend(const struct phx_engine *e, const struct ct_rec *r)
{
	return e->refresh_problem[0] && !r->running && r->op == ST_ABSENT &&
	       (r->wants || r->queued || r->waiting_for);
}

/* The status line of r (e->lock held); settled and failed as wait sees them. */
static void show(struct phx_engine *e, const struct ct_rec *r, char *buf, size_t len,
		 bool *settled, bool *failed)
{
	bool s = !r || rec_settled(r), f = r && s && r->failed;

	if (!r) {
		snprintf(buf, len, "absent");
	} else if (held_by_backend(e, r) && e->refresh_fatal) {
		snprintf(buf, len, "failed: cannot reach the backend: %.200s", e->refresh_problem);
		s = f = true;
	} else if (held_by_backend(e, r) && !r->waiting_for) {
		snprintf(buf, len, "queued: waiting for the backend (%.200s)", e->refresh_problem);
	} else {
		rec_status(r, buf, len);
	}
	if (settled)
		*settled = s;
	if (failed)
		*failed = f;
}

void phx_engine_status(struct phx_engine *e, uint32_t ctid, char *buf, size_t len)
{
	pthread_mutex_lock(&e->lock);
	show(e, rec_find(e, ctid), buf, len, NULL, NULL);
	pthread_mutex_unlock(&e->lock);
}

char *phx_engine_error(struct phx_engine *e, uint32_t ctid)
{
	struct ct_rec *r;
	char *s;

	pthread_mutex_lock(&e->lock);
	r = rec_find(e, ctid);
	if (r && held_by_backend(e, r) && e->refresh_fatal) {
		if (asprintf(&s, "cannot reach the backend: %s (the request is kept: "
			     "fix the mount option and remount)", e->refresh_problem) < 0)
			s = NULL;
	} else {
		s = strdup(r && r->error ? r->error : "");
	}
	pthread_mutex_unlock(&e->lock);
	return s;
}

char *phx_engine_log(struct phx_engine *e, uint32_t ctid)
{
	struct ct_rec *r;
	char *s;

	pthread_mutex_lock(&e->lock);
	r = rec_find(e, ctid);
	s = r ? ctlog_render(&r->log) : strdup("");
	pthread_mutex_unlock(&e->lock);
	return s;
}

uint64_t phx_engine_version(struct phx_engine *e, uint32_t ctid)
{
	struct ct_rec *r;
	uint64_t v;

	pthread_mutex_lock(&e->lock);
	r = rec_find(e, ctid);
	v = r ? r->version : 0;
	pthread_mutex_unlock(&e->lock);
	return v;
}

void phx_engine_on_change(struct phx_engine *e, void (*fn)(void *arg, uint32_t ctid),
			  void *arg)
{
	pthread_mutex_lock(&e->lock);
	e->on_change = fn;
	e->on_change_arg = arg;
	pthread_mutex_unlock(&e->lock);
}

bool phx_engine_exists(struct phx_engine *e, uint32_t ctid)
{
	struct ct_rec *r;
	bool b;

	pthread_mutex_lock(&e->lock);
	r = rec_find(e, ctid);
	b = r && r->exists;
	pthread_mutex_unlock(&e->lock);
	return b;
}

bool phx_engine_is_template(struct phx_engine *e, uint32_t ctid)
{
	struct ct_rec *r;
	bool b;

	pthread_mutex_lock(&e->lock);
	r = rec_find(e, ctid);
	b = r && r->exists && r->template_ == 1;
	pthread_mutex_unlock(&e->lock);
	return b;
}

size_t phx_engine_backend_ctids(struct phx_engine *e, uint32_t **out)
{
	size_t n;

	pthread_mutex_lock(&e->lock);
	n = e->nbackend;
	*out = malloc((n ? n : 1) * sizeof(**out));
	if (*out && n)
		memcpy(*out, e->backend_ids, n * sizeof(**out));
	else if (!*out)
		n = 0;
	pthread_mutex_unlock(&e->lock);
	return n;
}

/* --- what writes ask for --- */

/* Offline, every request for backend work ends here. */
static void fail_offline(struct phx_engine *e, uint32_t ctid, const char *what)
{
	struct ct_rec *r;

	pthread_mutex_lock(&e->lock);
	r = rec_get(e, ctid);
	if (r) {
		rec_note(e, r, "%s asked for", what);
		rec_fail(e, r, OFFLINE_REASON, OFFLINE_REASON);
	}
	pthread_mutex_unlock(&e->lock);
}

/* Whether the entry names something to build from. */
static bool entry_buildable(struct phx_engine *e, uint32_t ctid)
{
	json_object *entry, *v;
	uint32_t src = 0;
	bool ok;

	phx_doc_rdlock(e->doc);
	entry = phx_doc_entry(e->doc, ctid);
	ok = entry && ((phx_chain_source(entry, &src) == 0 && src) ||
		       (json_object_object_get_ex(entry, "template", &v) &&
			json_object_is_type(v, json_type_string) &&
			json_object_get_string_len(v) > 0));
	phx_doc_unlock(e->doc);
	return ok;
}

static bool entry_wants_template(struct phx_engine *e, uint32_t ctid)
{
	bool b;

	phx_doc_rdlock(e->doc);
	b = phx_entry_wants_template(phx_doc_entry(e->doc, ctid));
	phx_doc_unlock(e->doc);
	return b;
}

/* Ask for wants on ctid: recorded in the journal before returning, then
 * planned. Returns 0, or a negative errno when the request could not be
 * recorded (no memory, or the journal could not be written). */
/* Set while a change of the file is turned into requests (on_change, on
 * the thread that delivers it): every mount of the config reads the same
 * file, so another may have done those already (mounts.c). Any other
 * request (ctl, drift put back, retry) is this mount's alone. */
static _Thread_local bool asking_from_file;

static int request(struct phx_engine *e, uint32_t ctid, unsigned wants,
		   unsigned cfg_keys, const char *why)
{
	struct ct_rec *r;
	int rc;

	pthread_mutex_lock(&e->lock);
	r = rec_get(e, ctid);
	if (!r) {
		pthread_mutex_unlock(&e->lock);
		phx_err("engine: out of memory recording a request for %u", ctid);
		return -ENOMEM;
	}
	if (wants & (W_BUILD | W_CONVERT))
		rec_clear_failure(e, r);
	if (wants & W_DESTROY) {
		/* Destroying supersedes whatever was still to be done. */
		r->wants &= W_DESTROY;
		r->cfg_keys = 0;
	}
	r->wants |= wants;
	r->cfg_keys |= cfg_keys;
	if (!asking_from_file) {
		r->private_wants |= wants;
		r->private_keys |= cfg_keys;
	}
	if (why)
		rec_note(e, r, "%s", why);
	rec_touch(e, r);
	journal_dirty(e);
	pthread_mutex_unlock(&e->lock);
	rc = journal_sync(e);
	{
		int prc = plan_ctid(e, ctid);

		if (rc == 0)
			rc = prc;
	}
	if (rc < 0) {
		/* Not on disk: a crash now would lose it. Say so where the
		 * writer looks; the request still runs in this process. */
		phx_engine_note(e, ctid, "the request could not be written to the journal (%s): "
				"it is lost if phoenixfs stops before it is done", strerror(-rc));
	}
	return rc;
}

/* Ask again for what failed; the build of ours that failed after its create
 * or clone (configure, start, conversion) left the container behind: it is
 * finished, as a build resumed from the journal is, rather than adopted as
 * done. Returns false when nothing failed. */
static bool resume_failed(struct phx_engine *e, uint32_t ctid, const char *why)
{
	struct ct_rec *r;
	unsigned wants = 0;

	pthread_mutex_lock(&e->lock);
	r = rec_find(e, ctid);
	if (r && r->failed) {
		wants = r->failed_wants ? r->failed_wants : W_BUILD;
		rec_clear_failure(e, r);
		r->failed_wants = 0;
		if (wants & W_BUILD)
			r->resume_build = true;
	}
	pthread_mutex_unlock(&e->lock);
	if (!wants)
		return false;
	request(e, ctid, wants, (wants & W_CONFIG) ? params_config_rows() : 0, why);
	return true;
}

/* A value as the log shows it: compact JSON, cut short. */
static void shown_value(json_object *v, char *buf, size_t len)
{
	char *t;

	if (!v) {
		snprintf(buf, len, "(none)");
		return;
	}
	if (json_object_is_type(v, json_type_string)) {
		snprintf(buf, len, "'%.80s'", json_object_get_string(v));
		return;
	}
	t = phx_json_pretty(v, 0, NULL);
	if (!t) {
		snprintf(buf, len, "(a value)");
		return;
	}
	for (char *p = t; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	for (size_t n = strlen(t); n > 0 && t[n - 1] == ' '; n--)
		t[n - 1] = '\0'; /* the text's final newline */
	snprintf(buf, len, "%.80s%s", t, strlen(t) > 80 ? "..." : "");
	free(t);
}

/* Where an outside edit came from goes in the log, with what it changed. */
static void note_outside(struct phx_engine *e, const struct phx_change *ch)
{
	const char *from = phx_origin_name(ch->origin);

	if (ch->added)
		phx_engine_note(e, ch->ctid, "entry added (%s)", from);
	else if (ch->removed)
		phx_engine_note(e, ch->ctid, "entry removed (%s)", from);
	if (ch->removed)
		return;
	for (size_t i = 0; i < ch->nkeys; i++) {
		char o[96], n[96];

		shown_value(ch->keys[i].old_value, o, sizeof(o));
		shown_value(ch->keys[i].new_value, n, sizeof(n));
		phx_engine_note(e, ch->ctid, "%s: %s -> %s (%s)", ch->keys[i].key, o, n, from);
	}
	if (ch->partial)
		phx_engine_note(e, ch->ctid, "entry changed (%s)", from);
}

/* The rows a change touched (a new entry: the keys it has). network_config
 * also holds the values of rows that the origin's scripts keep there
 * (net_alias). */
static unsigned changed_rows(const struct phx_change *ch, bool *builds)
{
	unsigned rows = 0;

	*builds = false;
	if (ch->partial) {
		for (size_t i = 0; i < phx_nattrs; i++)
			rows |= phx_attr_bit(&phx_attrs[i]);
		return rows;
	}
	for (size_t i = 0; i < ch->nkeys; i++) {
		const struct phx_attr *a = phx_schema_row(ch->keys[i].key);

		if (!a)
			continue;
		rows |= phx_attr_bit(a);
		*builds |= (a->flags & PHX_A_BUILDS) != 0;
		if (a->type == PHX_T_NETWORK)
			for (size_t k = 0; k < phx_nattrs; k++)
				if (phx_attrs[k].net_alias)
					rows |= phx_attr_bit(&phx_attrs[k]);
	}
	return rows;
}

/* Each committed change in the events and the counters, with where it
 * came from. */
static void post_change(struct phx_engine *e, const struct phx_change *ch)
{
	const char *from = phx_origin_name(ch->origin);

	phx_metrics_inc(e->metrics, ch->origin == PHX_BY_OUTSIDE ? PHX_C_EDITS_OUTSIDE :
			PHX_C_EDITS_MOUNT);
	if (ch->added)
		eng_event(e, ch->ctid, "edited", "entry added (%s)", from);
	else if (ch->removed)
		eng_event(e, ch->ctid, "edited", "entry removed (%s)", from);
	if (ch->removed)
		return;
	for (size_t i = 0; i < ch->nkeys; i++) {
		char o[96], n[96];

		shown_value(ch->keys[i].old_value, o, sizeof(o));
		shown_value(ch->keys[i].new_value, n, sizeof(n));
		eng_event(e, ch->ctid, "edited", "%s: %s -> %s (%s)", ch->keys[i].key, o, n, from);
	}
	if (ch->partial)
		eng_event(e, ch->ctid, "edited", "entry changed (%s)", from);
}

/* A feature taken off the list is no longer "run by this mount": put back
 * later, its hook runs again. e->lock held. */
static void forget_removed(struct ct_rec *r, const struct phx_change *ch)
{
	for (size_t i = 0; i < ch->nkeys; i++) {
		json_object *n = ch->keys[i].new_value;
		char kept[sizeof(r->features_done)] = "";
		size_t used = 0;

		if (strcmp(ch->keys[i].key, "features") != 0)
			continue;
		for (char *p = r->features_done; *p;) {
			size_t len = strcspn(p, " ");
			bool listed = false;

			for (size_t k = 0; n && json_object_is_type(n, json_type_array) &&
			     k < json_object_array_length(n) && !listed; k++) {
				const char *f = json_object_get_string(json_object_array_get_idx(n, k));

				listed = f && strlen(f) == len && !strncmp(f, p, len);
			}
			if (listed)
				used += (size_t)snprintf(kept + used, sizeof(kept) - used, "%s%.*s",
							 used ? " " : "", (int)len, p);
			p += len;
			while (*p == ' ')
				p++;
		}
		snprintf(r->features_done, sizeof(r->features_done), "%s", kept);
	}
}

/* Features added to an existing container's list (new minus old): only
 * their hooks run (W_HOOKS). Returns whether any was added. */
static bool added_features(struct phx_engine *e, const struct phx_change *ch)
{
	char added[512] = "";
	size_t used = 0;
	struct ct_rec *r;

	for (size_t i = 0; i < ch->nkeys; i++) {
		json_object *o = ch->keys[i].old_value, *n = ch->keys[i].new_value;

		if (strcmp(ch->keys[i].key, "features") != 0 || !n ||
		    !json_object_is_type(n, json_type_array))
			continue;
		for (size_t k = 0; k < json_object_array_length(n); k++) {
			const char *f = json_object_get_string(json_object_array_get_idx(n, k));
			bool had = false;

			for (size_t m = 0; o && json_object_is_type(o, json_type_array) &&
			     m < json_object_array_length(o) && !had; m++)
				had = !strcmp(f, json_object_get_string(json_object_array_get_idx(o, m)));
			if (!had && used + strlen(f) + 2 < sizeof(added))
				used += (size_t)snprintf(added + used, sizeof(added) - used, "%s%s",
							 used ? " " : "", f);
		}
	}
	pthread_mutex_lock(&e->lock);
	r = rec_get(e, ch->ctid);
	if (r)
		forget_removed(r, ch);
	if (!used) {
		pthread_mutex_unlock(&e->lock);
		return false;
	}
	if (r) {
		size_t have = strlen(r->hooks_pending);

		snprintf(r->hooks_pending + have, sizeof(r->hooks_pending) - have, "%s%s",
			 have ? " " : "", added);
	}
	pthread_mutex_unlock(&e->lock);
	return r != NULL;
}

static void on_change(struct phx_engine *e, const struct phx_change *ch)
{
	unsigned rows, cfg;
	bool builds, exists, failed, running;
	uint32_t ctid = ch->ctid;
	struct ct_rec *r;

	post_change(e, ch);
	if (ch->origin == PHX_BY_OUTSIDE)
		note_outside(e, ch);
	if (ch->removed) {
		/* an entry goes only when its container is gone; its record
		 * goes with it once nothing needs it, so that mkdir/rmdir
		 * cycles do not grow the engine (its directory, log
		 * included, is gone anyway) */
		pthread_mutex_lock(&e->lock);
		rec_forget(e, ctid);
		pthread_mutex_unlock(&e->lock);
		return;
	}
	rows = changed_rows(ch, &builds);
	if (!rows)
		return; /* keys the table does not know: desired state only */

	pthread_mutex_lock(&e->lock);
	r = rec_find(e, ctid);
	exists = r && r->exists;
	failed = r && r->failed && (r->failed_wants & W_BUILD);
	running = r && strcmp(r->status, "running") == 0;
	pthread_mutex_unlock(&e->lock);

	if (!exists) {
		/* a new entry asks to exist when it names what to build from */
		if (!builds && !((ch->added || ch->partial) && entry_buildable(e, ctid)) &&
		    !(failed && entry_buildable(e, ctid)))
			return; /* desired state only: applied when it is built */
		if (!e->drv) {
			fail_offline(e, ctid, ch->added ? "build (new entry)" : "build");
			return;
		}
		if (failed && resume_failed(e, ctid, "the entry changed: the failed build is resumed"))
			return;
		request(e, ctid, W_BUILD, 0, ch->added ? "new entry: build asked for" : NULL);
		return;
	}
	if (!e->drv)
		return;
	/* The write that fixed a failed build resumes it (so does retry). */
	if (failed && resume_failed(e, ctid, "the entry changed: the failed build is resumed"))
		return;
	if ((rows & phx_attr_bit(phx_schema_row("is_template"))) && entry_wants_template(e, ctid))
		request(e, ctid, W_BUILD, 0, "is_template written");
	cfg = rows & params_config_rows();
	if (cfg)
		request(e, ctid, W_CONFIG, cfg, NULL);
	if (!ch->added && !ch->partial && added_features(e, ch))
		request(e, ctid, W_HOOKS, 0, "features added: their hooks run");
	/* another node written into `node`: a migration (migrate.c) */
	if (!ch->added && !ch->partial && (rows & phx_attr_bit(phx_schema_row("node"))))
		request(e, ctid, W_MIGRATE, 0, "node written: migration asked for");
	for (size_t i = 0; i < phx_nattrs && !ch->added && !ch->partial; i++) {
		const struct phx_attr *a = &phx_attrs[i];

		if (!(rows & phx_attr_bit(a)))
			continue;
		if (!strcmp(a->key, "features") || !strcmp(a->key, "node"))
			continue; /* features: added ones run above, removed ones cannot be
				     undone; node: a migration, above */

		if (a->apply == PHX_RESTART && running)
			phx_engine_note(e, ctid, "%s: Proxmox keeps the new value pending until %u "
					"starts again (echo restart > ctl applies it now)", a->key, ctid);
		else if (a->apply == PHX_AT_BUILD && !(a->flags & PHX_A_BUILDS))
			phx_engine_note(e, ctid, "%s only applies when the container is built; "
					"nothing changed on the backend", a->key);
	}
}

void phx_engine_rewritten(struct phx_engine *e, uint32_t ctid, const struct phx_attr *a)
{
	struct ct_rec *r;
	bool exists, busy;

	if (!a || !(a->flags & PHX_A_BUILDS))
		return;
	pthread_mutex_lock(&e->lock);
	r = rec_find(e, ctid);
	exists = r && r->exists;
	busy = r && !rec_settled(r);
	pthread_mutex_unlock(&e->lock);
	if (exists || busy)
		return; /* there, or on its way: the same value asks for nothing */
	if (!e->drv) {
		fail_offline(e, ctid, "build");
		return;
	}
	request(e, ctid, W_BUILD, 0, "build asked for (the value was already in the file)");
}

static void on_feed(void *arg, const struct phx_change *changes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		asking_from_file = true;
		on_change(arg, &changes[i]);
		asking_from_file = false;
	}
}

void phx_engine_changed(struct phx_engine *e, uint32_t ctid, const char *key)
{
	struct phx_key_change k = { .key = (char *)key };
	struct phx_change ch = { .origin = PHX_BY_MOUNT, .ctid = ctid,
				 .partial = !key, .nkeys = key ? 1 : 0, .keys = &k };

	asking_from_file = true;
	on_change(e, &ch);
	asking_from_file = false;
}

/* For reconcile.c: putting drift back asks for work as an edit does. */
int eng_request(struct phx_engine *e, uint32_t ctid, unsigned wants, unsigned cfg_keys,
		const char *why)
{
	return request(e, ctid, wants, cfg_keys, why);
}

bool eng_entry_buildable(struct phx_engine *e, uint32_t ctid)
{
	return entry_buildable(e, ctid);
}

/* --- the facts a write is checked against --- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

struct phx_engine_facts *phx_engine_facts(struct phx_engine *e)
{
	struct phx_engine_facts *f = calloc(1, sizeof(*f));
	size_t n = 0;

	if (!f)
		return NULL;
	pthread_mutex_lock(&e->lock);
	f->exists = malloc((e->nrecs + 1) * sizeof(uint32_t));
	f->templates = malloc((e->nrecs + 1) * sizeof(uint32_t));
	if (f->exists && f->templates) {
		for (size_t i = 0; i < e->nbuckets; i++)
			for (struct ct_rec *r = e->buckets[i]; r; r = r->hnext) {
				if (!r->exists)
					continue;
				f->exists[n++] = r->ctid;
				if (r->template_ == 1)
					f->templates[f->ntemplates++] = r->ctid;
			}
	}
	pthread_mutex_unlock(&e->lock);
	if (!f->exists || !f->templates) {
		phx_engine_facts_free(f);
		return NULL;
	}
	f->nexists = n;
	qsort(f->exists, f->nexists, sizeof(uint32_t), cmp_u32);
	qsort(f->templates, f->ntemplates, sizeof(uint32_t), cmp_u32);
	return f;
}

void phx_engine_facts_free(struct phx_engine_facts *f)
{
	if (!f)
		return;
	free(f->exists);
	free(f->templates);
	free(f);
}

static bool in_sorted(const uint32_t *v, size_t n, uint32_t x)
{
	return n && bsearch(&x, v, n, sizeof(x), cmp_u32) != NULL;
}

bool phx_facts_exists(const struct phx_engine_facts *f, uint32_t ctid)
{
	return f && in_sorted(f->exists, f->nexists, ctid);
}

bool phx_facts_has(void *facts, uint32_t ctid)
{
	return phx_facts_exists(facts, ctid);
}

int phx_engine_check_edit(const struct phx_engine_facts *f, uint32_t ctid,
			  bool old_wants_template, bool new_wants_template,
			  char *err, size_t errlen)
{
	if (old_wants_template && !new_wants_template && f &&
	    in_sorted(f->templates, f->ntemplates, ctid)) {
		snprintf(err, errlen, "%u is a template on the backend; a template cannot be turned "
			 "back into a container", ctid);
		return -EPERM;
	}
	return 0;
}

static const char *const ctl_cmds = "create, start, stop, restart, retry, destroy, refresh, apply";

/* Whether the power state the engine wants is "stopped" (ctl stop) rather
 * than running: the drift's `status` compares against it. Journalled, so
 * a remount does not start what was stopped on purpose. */
static void hold_stopped(struct phx_engine *e, uint32_t ctid, bool hold)
{
	struct ct_rec *r;

	pthread_mutex_lock(&e->lock);
	r = hold ? rec_get(e, ctid) : rec_find(e, ctid);
	if (r && r->hold_stopped != hold) {
		r->hold_stopped = hold;
		journal_dirty(e);
	}
	pthread_mutex_unlock(&e->lock);
}

int phx_engine_ctl(struct phx_engine *e, uint32_t ctid, const char *cmd,
		   char *err, size_t errlen)
{
	char word[32];
	size_t n;
	bool exists, failed = false, busy = false;
	unsigned retry_wants = 0;
	struct ct_rec *r;

	while (isspace((unsigned char)*cmd))
		cmd++;
	n = strlen(cmd);
	while (n && isspace((unsigned char)cmd[n - 1]))
		n--;
	if (n == 0 || n >= sizeof(word)) {
		snprintf(err, errlen, "unknown ctl command '%.*s' (one of: %s)",
			 (int)(n > 40 ? 40 : n), cmd, ctl_cmds);
		phx_engine_refused(e, ctid, err);
		return -EINVAL;
	}
	memcpy(word, cmd, n);
	word[n] = '\0';

	if (strcmp(word, "refresh") == 0) {
		pthread_mutex_lock(&e->lock);
		r = rec_get(e, ctid);
		if (r)
			rec_note(e, r, e->drv ? "refresh asked for" :
				 "refresh asked for: " OFFLINE_REASON ", nothing to re-read");
		e->refresh_now = true;
		pthread_cond_broadcast(&e->refresh);
		pthread_mutex_unlock(&e->lock);
		return 0;
	}
	if (strcmp(word, "create") && strcmp(word, "start") && strcmp(word, "stop") &&
	    strcmp(word, "restart") && strcmp(word, "retry") && strcmp(word, "destroy") &&
	    strcmp(word, "apply")) {
		snprintf(err, errlen, "unknown ctl command '%s' (one of: %s)", word, ctl_cmds);
		phx_engine_refused(e, ctid, err);
		return -EINVAL;
	}
	if (!e->drv) {
		fail_offline(e, ctid, word);
		return 0;
	}

	pthread_mutex_lock(&e->lock);
	r = rec_find(e, ctid);
	exists = r && r->exists;
	if (r) {
		failed = r->failed;
		retry_wants = r->failed_wants;
		busy = !rec_settled(r);
	}
	pthread_mutex_unlock(&e->lock);

	if (strcmp(word, "apply") == 0)
		return reconcile_apply_ctl(e, ctid, err, errlen);
	if (strcmp(word, "create") == 0) {
		hold_stopped(e, ctid, false);
		if (exists) {
			/* lxc-manager.sh's create on an existing container: converge
			 * it to its entry (configure, firewall, disk, hooks not yet
			 * run, snapshots, start or convert), as a resumed build */
			pthread_mutex_lock(&e->lock);
			r = rec_get(e, ctid);
			if (r) {
				r->resume_build = true;
				r->build_done &= ~BS_PRECONF;
			}
			pthread_mutex_unlock(&e->lock);
		}
		return request(e, ctid, W_BUILD, 0, exists ? "create asked for (it exists: "
			       "converging it to its entry)" : "create asked for");
	}
	if (strcmp(word, "retry") == 0) {
		if (!failed && busy) {
			/* the write that fixed the failure resumed it already */
			phx_engine_note(e, ctid, "retry asked for: already under way");
			return 0;
		}
		if (!failed) {
			snprintf(err, errlen, "nothing to retry: %u has not failed", ctid);
			phx_engine_refused(e, ctid, err);
			return -EINVAL;
		}
		if (!retry_wants)
			retry_wants = W_BUILD;
		pthread_mutex_lock(&e->lock);
		r = rec_get(e, ctid);
		if (r) {
			rec_clear_failure(e, r);
			r->failed_wants = 0;
			/* A build of ours that failed after its create or clone
			 * (configure, start, conversion) left the container
			 * behind: the retry finishes that build, as a build
			 * resumed from the journal does, rather than adopting
			 * the half-made container as done. */
			if (retry_wants & W_BUILD)
				r->resume_build = true;
		}
		pthread_mutex_unlock(&e->lock);
		return request(e, ctid, retry_wants, (retry_wants & W_CONFIG) ? params_config_rows() : 0,
			       "retry asked for");
	}
	if (!exists) {
		snprintf(err, errlen, "%u does not exist on the backend (echo create > ctl builds it)",
			 ctid);
		phx_engine_refused(e, ctid, err);
		return -ENOENT;
	}
	/* before the request is journalled, so that both are on disk */
	hold_stopped(e, ctid, strcmp(word, "stop") == 0);
	if (strcmp(word, "start") == 0)
		return request(e, ctid, W_START, 0, "start asked for");
	if (strcmp(word, "stop") == 0)
		return request(e, ctid, W_STOP, 0, "stop asked for");
	if (strcmp(word, "restart") == 0)
		return request(e, ctid, W_RESTART, 0, "restart asked for");
	return request(e, ctid, W_DESTROY, 0, "destroy asked for");
}

void phx_engine_refused(struct phx_engine *e, uint32_t ctid, const char *msg)
{
	struct ct_rec *r;

	pthread_mutex_lock(&e->lock);
	r = rec_get(e, ctid);
	if (r) {
		free(r->error);
		r->error = strdup(msg);
		rec_note(e, r, "refused: %s", msg);
	}
	phx_metrics_inc(e->metrics, PHX_C_WRITES_REFUSED);
	eng_event(e, ctid, "refused", "%s", msg);
	pthread_mutex_unlock(&e->lock);
}

void phx_engine_note(struct phx_engine *e, uint32_t ctid, const char *fmt, ...)
{
	struct ct_rec *r;
	va_list ap;

	pthread_mutex_lock(&e->lock);
	r = rec_get(e, ctid);
	if (r) {
		va_start(ap, fmt);
		rec_vnote(e, r, fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&e->lock);
}

/* --- wait --- */

bool phx_engine_settled(struct phx_engine *e, uint32_t ctid, char *status,
			size_t len, bool *failed)
{
	bool settled;

	pthread_mutex_lock(&e->lock);
	show(e, rec_find(e, ctid), status, len, &settled, failed);
	pthread_mutex_unlock(&e->lock);
	return settled;
}

bool phx_engine_busy(struct phx_engine *e, uint32_t ctid)
{
	struct ct_rec *r;
	bool busy;

	pthread_mutex_lock(&e->lock);
	r = rec_find(e, ctid);
	busy = r && !rec_settled(r);
	pthread_mutex_unlock(&e->lock);
	return busy;
}

int phx_engine_wait(struct phx_engine *e, uint32_t ctid, bool (*interrupted)(void),
		    char *status, size_t len)
{
	struct ct_rec *r;
	struct timespec until;
	int rc;

	pthread_mutex_lock(&e->lock);
	for (;;) {
		bool settled, failed;

		r = rec_find(e, ctid);
		show(e, r, status, len, &settled, &failed);
		if (settled) {
			rc = failed ? -EIO : 0;
			break;
		}
		/* the engine stopping ends every wait too: nothing settles after */
		if ((interrupted && interrupted()) || e->stopping) {
			rc = -EINTR;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += 100 * 1000 * 1000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&e->changed, &e->lock, &until);
	}
	pthread_mutex_unlock(&e->lock);
	return rc;
}
