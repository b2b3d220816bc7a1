/* The engine's public face (engine.h): what the files render, what writes
 * and ctl commands ask for, and wait. Every function here only touches
 * records under e->lock (and, for requests, the journal file); the backend
 * is reached by the workers and the refresher alone. */
#include "backend/engine/engine_int.h"

#include "backend/chain.h"
#include "backend/log.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define OFFLINE_REASON "no backend configured"

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
	pthread_mutex_init(&e->lock, NULL);
	pthread_mutex_init(&e->journal_lock, NULL);
	/* wait() and the refresher sleep with deadlines; the monotonic clock
	 * keeps them right across wall-clock jumps. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&e->changed, &ca);
	pthread_cond_init(&e->work, &ca);
	pthread_cond_init(&e->refresh, &ca);
	pthread_condattr_destroy(&ca);

	if (e->drv) {
		rc = journal_load(e, err, errlen);
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
	pthread_mutex_lock(&e->lock);
	e->stopping = true;
	pthread_cond_broadcast(&e->work);
	pthread_cond_broadcast(&e->refresh);
	pthread_cond_broadcast(&e->changed);
	pthread_mutex_unlock(&e->lock);
	refresher_stop(e);
	workers_stop(e);
	/* What is still wanted stays in the journal: the next start resumes it. */
	rec_free_all(e);
	free(e->backend_ids);
	free(e->default_node);
	free(e->journal_path);
	pthread_cond_destroy(&e->changed);
	pthread_cond_destroy(&e->work);
	pthread_cond_destroy(&e->refresh);
	pthread_mutex_destroy(&e->journal_lock);
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

static bool asks_for_build(const char *key)
{
	return !key || strcmp(key, "clone_from_ctid") == 0 ||
	       strcmp(key, "template") == 0 || strcmp(key, "is_template") == 0;
}

/* Whether the entry names something to build from (for whole-entry writes,
 * which build only when they can). */
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

/* Ask for wants on ctid: recorded in the journal before returning, then
 * planned. */
static void request(struct phx_engine *e, uint32_t ctid, unsigned wants,
		    unsigned cfg_keys, const char *why)
{
	struct ct_rec *r;

	pthread_mutex_lock(&e->lock);
	r = rec_get(e, ctid);
	if (!r) {
		pthread_mutex_unlock(&e->lock);
		phx_err("engine: out of memory recording a request for %u", ctid);
		return;
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
	if (why)
		rec_note(e, r, "%s", why);
	rec_touch(e, r);
	journal_dirty(e);
	pthread_mutex_unlock(&e->lock);
	journal_sync(e);
	plan_ctid(e, ctid);
}

void phx_engine_changed(struct phx_engine *e, uint32_t ctid, const char *key)
{
	bool exists = phx_engine_exists(e, ctid);
	unsigned bit;

	if (asks_for_build(key)) {
		if (!key && !exists && !entry_buildable(e, ctid))
			return; /* a whole entry with nothing to build from */
		if (!e->drv) {
			char what[96];

			snprintf(what, sizeof(what), "build (%s written)", key ? key : "config.json");
			fail_offline(e, ctid, what);
			return;
		}
		if (!key) {
			/* config.json: build if missing, else apply everything */
			request(e, ctid, W_BUILD | (exists ? W_CONFIG : 0),
				exists ? K_ALL : 0,
				exists ? "config.json written: applying it" :
					 "config.json written: build asked for");
			return;
		}
		if (exists && strcmp(key, "is_template") != 0)
			return; /* the source only matters when building */
		request(e, ctid, W_BUILD, 0, exists ? "is_template written" : NULL);
		return;
	}
	bit = ct_cfg_key_bit(key);
	if (!exists || !e->drv)
		return; /* desired state only: applied when it is built */
	if (!bit) {
		pthread_mutex_lock(&e->lock);
		struct ct_rec *r = rec_get(e, ctid);
		if (r)
			rec_note(e, r, "%s only applies when the container is built; "
				 "nothing changed on the backend", key);
		pthread_mutex_unlock(&e->lock);
		return;
	}
	request(e, ctid, W_CONFIG, bit, NULL);
}

static const char *const ctl_cmds = "create, start, stop, restart, retry, destroy, refresh";

int phx_engine_ctl(struct phx_engine *e, uint32_t ctid, const char *cmd,
		   char *err, size_t errlen)
{
	char word[32];
	size_t n;
	bool exists, failed = false;
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
	    strcmp(word, "restart") && strcmp(word, "retry") && strcmp(word, "destroy")) {
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
	}
	pthread_mutex_unlock(&e->lock);

	if (strcmp(word, "create") == 0) {
		request(e, ctid, W_BUILD, 0, exists ? "create asked for (it exists: adopting it)" :
			"create asked for");
		return 0;
	}
	if (strcmp(word, "retry") == 0) {
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
		request(e, ctid, retry_wants, (retry_wants & W_CONFIG) ? K_ALL : 0,
			"retry asked for");
		return 0;
	}
	if (!exists) {
		snprintf(err, errlen, "%u does not exist on the backend (echo create > ctl builds it)",
			 ctid);
		phx_engine_refused(e, ctid, err);
		return -ENOENT;
	}
	if (strcmp(word, "start") == 0)
		request(e, ctid, W_START, 0, "start asked for");
	else if (strcmp(word, "stop") == 0)
		request(e, ctid, W_STOP, 0, "stop asked for");
	else if (strcmp(word, "restart") == 0)
		request(e, ctid, W_RESTART, 0, "restart asked for");
	else
		request(e, ctid, W_DESTROY, 0, "destroy asked for");
	return 0;
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
