/* The careful client's habits, shared by every step of every job. */
#include "backend/engine/steps.h"

#include "backend/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LISTING_LAG_S 15.0      /* pvestatd publishes every ~10 s (docs/proxmox-api.md §2) */
#define LOCK_WAIT_MS (300 * 1000)
/* A task is polled at an eighth of the time it has run so far, within these
 * bounds: its end is seen at most ~12% (or 50 ms) late, and a long task costs
 * two requests a second at most. */
#define TASK_POLL_MIN_MS 50
#define TASK_POLL_MAX_MS 500
#define TASK_LOG_EVERY_S 1.0

void step_note(struct step *s, const char *fmt, ...)
{
	struct ct_rec *r;
	va_list ap;

	pthread_mutex_lock(&s->e->lock);
	r = rec_get(s->e, s->ctid);
	if (r) {
		va_start(ap, fmt);
		rec_vnote(s->e, r, fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&s->e->lock);
}

void step_show(struct step *s, enum ct_state st, const char *fmt, ...)
{
	struct ct_rec *r;
	va_list ap;

	pthread_mutex_lock(&s->e->lock);
	r = rec_get(s->e, s->ctid);
	if (r) {
		r->op = st;
		r->detail[0] = '\0';
		if (fmt) {
			va_start(ap, fmt);
			vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
			va_end(ap);
		}
		rec_touch(s->e, r);
	}
	pthread_mutex_unlock(&s->e->lock);
}

int step_fail(struct step *s, const char *fmt, ...)
{
	char full[2048], reason[256];
	struct ct_rec *r;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(full, sizeof(full), fmt, ap);
	va_end(ap);
	snprintf(reason, sizeof(reason), "%.200s", full);
	pthread_mutex_lock(&s->e->lock);
	r = rec_get(s->e, s->ctid);
	if (s->unanswered && !s->e->stopping) {
		/* Not a refusal: nobody answered. Say so, hold the queue until a
		 * listing succeeds, and carry on from where the job stands then
		 * (what exists is adopted, a lost task is followed). */
		if (r)
			rec_note(s->e, r, "%s: the backend does not answer; will go on when it does", full);
		if (!s->e->refresh_problem[0])
			snprintf(s->e->refresh_problem, sizeof(s->e->refresh_problem), "%s",
				 s->unanswered_msg);
		s->e->refresh_now = true;
		pthread_cond_broadcast(&s->e->refresh);
		pthread_mutex_unlock(&s->e->lock);
		return STEP_STOPPED;
	}
	if (r) {
		/* what the worker was doing is what `retry` asks again */
		r->failed_wants |= r->doing;
		rec_fail(s->e, r, reason, full);
	}
	pthread_mutex_unlock(&s->e->lock);
	return STEP_FAILED;
}

/* the engine stops, or another mount took this container's work over */
static bool stop_now(struct step *s)
{
	struct ct_rec *r = rec_find(s->e, s->ctid);

	return s->e->stopping || (r && r->lock_lost);
}

bool step_stopping(struct step *s)
{
	bool b;

	pthread_mutex_lock(&s->e->lock);
	b = stop_now(s);
	pthread_mutex_unlock(&s->e->lock);
	return b;
}

bool step_nap(struct step *s, unsigned ms)
{
	double until = now_mono() + ms / 1000.0;
	struct timespec ts;
	bool stopping;

	pthread_mutex_lock(&s->e->lock);
	while (!stop_now(s) && now_mono() < until) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += 50 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&s->e->work, &s->e->lock, &ts);
	}
	stopping = stop_now(s);
	pthread_mutex_unlock(&s->e->lock);
	return !stopping;
}

static bool wait_unlocked(struct step *s, const char *node, uint32_t vmid,
			  const char *what)
{
	double until = now_mono() + LOCK_WAIT_MS / 1000.0;
	unsigned polls = 0;

	while (now_mono() < until) {
		json_object *cfg = NULL;
		struct phx_err err = { 0 };
		const char *lock;

		if (!step_nap(s, polls++ < 10 ? 200 : 1000))
			return false;
		if (s->e->drv->ops->get_config(s->e->drv->ctx, node, vmid, &cfg, &err) < 0) {
			if (err.kind == PHX_E_TRANSIENT)
				continue;
			return err.kind == PHX_E_NOTFOUND; /* gone: try and see */
		}
		lock = cfg_str(cfg, "lock");
		if (!lock || !*lock) {
			json_object_put(cfg);
			cfg = NULL;
			step_note(s, "%u is no longer locked: %s again", vmid, what);
			return true;
		}
		json_object_put(cfg);
		cfg = NULL;
	}
	return false;
}

bool step_again(struct step *s, const struct phx_err *err, unsigned *tries,
		const char *what, const char *lock_node, uint32_t lock_vmid)
{
	unsigned n = ++*tries;
	bool gone = err->kind == PHX_E_TRANSIENT && err->http == 0;

	/* set only when giving up, so that step_fail right after knows why */
	s->unanswered = false;
	if (gone)
		snprintf(s->unanswered_msg, sizeof(s->unanswered_msg), "%s", err->msg);
	if (step_stopping(s))
		return false;
	if (err->kind == PHX_E_TRANSIENT && n < STEP_TRANSIENT_TRIES) {
		unsigned ms = 200u << (n - 1); /* 200, 400, 800, 1600 ms */

		step_note(s, "%s: %s; trying again in %u ms", what, err->msg, ms);
		return step_nap(s, ms);
	}
	if (err->kind == PHX_E_LOCKED && lock_node && n < 20) {
		step_note(s, "%s: %s; waiting for the lock on %u to go", what, err->msg,
			  lock_vmid);
		return wait_unlocked(s, lock_node, lock_vmid, what);
	}
	s->unanswered = gone;
	return false;
}

int step_get_config(struct step *s, const char *node, uint32_t vmid,
		    json_object **cfg, struct phx_err *err)
{
	unsigned tries = 0;

	for (;;) {
		memset(err, 0, sizeof(*err));
		if (s->e->drv->ops->get_config(s->e->drv->ctx, node, vmid, cfg, err) == 0)
			return 0;
		if (err->kind != PHX_E_TRANSIENT ||
		    !step_again(s, err, &tries, "reading the config", NULL, 0))
			return -1;
	}
}

static void copy_task_log(struct step *s, const char *upid, unsigned *seen)
{
	char **lines = NULL;
	size_t n = 0;
	struct phx_err err = { 0 };

	if (!s->e->drv->ops->task_log ||
	    s->e->drv->ops->task_log(s->e->drv->ctx, upid, *seen, &lines, &n, &err) < 0)
		return; /* the log is for people; the status decides */
	for (size_t i = 0; i < n; i++) {
		step_note(s, "task: %s", lines[i]);
		free(lines[i]);
	}
	free(lines);
	*seen += n;
}

static bool task_ok(const char *exitstatus)
{
	unsigned n;
	char tail;

	return strcmp(exitstatus, "OK") == 0 ||
	       sscanf(exitstatus, "WARNINGS: %u%c", &n, &tail) == 1;
}

int step_wait_task(struct step *s, const char *upid, enum ct_state st,
		   const char *detail, char *why, size_t whylen)
{
	unsigned seen = 0, bad = 0;
	double start = now_mono(), logged = start;
	struct phx_task_status ts;
	struct phx_err err;

	/* "cloning: from 900 (UPID:...)", or just "starting: UPID:..." */
	if (detail && *detail)
		step_show(s, st, "%s (%s)", detail, upid);
	else
		step_show(s, st, "%s", upid);
	step_note(s, "task %s", upid);
	for (;;) {
		double ran = now_mono() - start;
		unsigned ms = (unsigned)(ran * 1000 / 8);

		ms = ms < TASK_POLL_MIN_MS ? TASK_POLL_MIN_MS : ms > TASK_POLL_MAX_MS ? TASK_POLL_MAX_MS : ms;
		if (!step_nap(s, ms))
			return STEP_STOPPED;
		memset(&err, 0, sizeof(err));
		memset(&ts, 0, sizeof(ts));
		if (s->e->drv->ops->task_status(s->e->drv->ctx, upid, &ts, &err) < 0) {
			/* polls fail transiently on busy nodes (docs/proxmox-api.md §4) */
			if (err.kind == PHX_E_TRANSIENT && ++bad < 30)
				continue;
			s->unanswered = err.kind == PHX_E_TRANSIENT && err.http == 0;
			if (s->unanswered)
				snprintf(s->unanswered_msg, sizeof(s->unanswered_msg), "%s", err.msg);
			snprintf(why, whylen, "cannot follow task %s: %s", upid, err.msg);
			return -1;
		}
		bad = 0;
		s->unanswered = false;
		if (ts.running) {
			/* the task's progress, now and then, for the log file */
			if (now_mono() - logged >= TASK_LOG_EVERY_S) {
				copy_task_log(s, upid, &seen);
				logged = now_mono();
			}
			continue;
		}
		copy_task_log(s, upid, &seen);
		if (task_ok(ts.exitstatus))
			return 0;
		snprintf(why, whylen, "%s", ts.exitstatus);
		return -1;
	}
}

void step_facts(struct step *s, bool exists, int template_, const char *status)
{
	struct ct_rec *r;

	pthread_mutex_lock(&s->e->lock);
	r = rec_get(s->e, s->ctid);
	if (r) {
		bool was = r->exists;

		r->exists = exists;
		if (exists) {
			snprintf(r->node, sizeof(r->node), "%s", s->node);
			r->lock[0] = '\0';
		} else {
			r->node[0] = '\0';
			r->lock[0] = '\0';
		}
		if (template_ >= -1)
			r->template_ = exists ? template_ : -1;
		if (status)
			snprintf(r->status, sizeof(r->status), "%s", exists ? status : "");
		r->facts_pinned_until = now_mono() + LISTING_LAG_S;
		r->op_ended_at = now_mono();
		if (was != exists) {
			/* keep the sorted backend list in step for readdir */
			size_t i = 0;

			while (i < s->e->nbackend && s->e->backend_ids[i] < s->ctid)
				i++;
			if (exists && (i == s->e->nbackend || s->e->backend_ids[i] != s->ctid)) {
				uint32_t *v = realloc(s->e->backend_ids,
						      (s->e->nbackend + 1) * sizeof(*v));
				if (v) {
					memmove(v + i + 1, v + i,
						(s->e->nbackend - i) * sizeof(*v));
					v[i] = s->ctid;
					s->e->backend_ids = v;
					s->e->nbackend++;
				}
			} else if (!exists && i < s->e->nbackend &&
				   s->e->backend_ids[i] == s->ctid) {
				memmove(s->e->backend_ids + i, s->e->backend_ids + i + 1,
					(s->e->nbackend - i - 1) * sizeof(uint32_t));
				s->e->nbackend--;
			}
		}
		rec_touch(s->e, r);
	}
	pthread_mutex_unlock(&s->e->lock);
}

bool cfg_int(json_object *cfg, const char *key, long long *out)
{
	json_object *v;

	return cfg && json_object_object_get_ex(cfg, key, &v) && phx_json_int(v, out);
}

const char *cfg_str(json_object *cfg, const char *key)
{
	json_object *v;

	if (!cfg || !json_object_object_get_ex(cfg, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

bool entry_int(json_object *entry, const char *key, long long *out)
{
	return cfg_int(entry, key, out);
}

bool entry_bool(json_object *entry, const char *key, bool *out)
{
	json_object *v;

	if (!entry || !json_object_object_get_ex(entry, key, &v))
		return false;
	if (json_object_is_type(v, json_type_boolean)) {
		*out = json_object_get_boolean(v);
		return true;
	}
	if (json_object_is_type(v, json_type_string)) {
		const char *t = json_object_get_string(v);

		if (strcmp(t, "true") == 0 || strcmp(t, "1") == 0)
			return *out = true, true;
		if (strcmp(t, "false") == 0 || strcmp(t, "0") == 0)
			return *out = false, true;
	}
	if (json_object_is_type(v, json_type_int)) {
		*out = json_object_get_int64(v) != 0;
		return true;
	}
	return false;
}

const char *entry_str(json_object *entry, const char *key)
{
	return cfg_str(entry, key);
}
