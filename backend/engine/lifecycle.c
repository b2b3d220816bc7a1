/* The steps on a container that already exists: configure, start, stop,
 * convert to a template, destroy. Each follows its task (or, for the
 * conversion, the container's config) to the end; the listing is never
 * trusted to say an operation finished (PVE-API §2.3). */
#include "backend/engine/lifecycle.h"

#include "backend/engine/params.h"
#include "backend/engine/power_confirm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONVERT_WAIT_S 600.0

int step_configure(struct step *s, unsigned keys)
{
	struct kvbuf kv = { .n = 0 };
	struct phx_err err;
	unsigned tries = 0;
	char names[256];
	int rc;

	params_config(s->entry, keys, &kv);
	if (kv.failed) {
		kv_free(&kv);
		return step_fail(s, "out of memory forming the config request of %u", s->ctid);
	}
	if (kv.n == 0)
		return STEP_OK;
	kv_keys(&kv, names, sizeof(names));
	step_show(s, ST_CONFIGURING, "setting %s", names);
	step_note(s, "setting %s on %s", names, s->node);
	for (;;) {
		memset(&err, 0, sizeof(err));
		rc = s->e->drv->ops->set_config(s->e->drv->ctx, s->node, s->ctid, kv.v, kv.n, &err);
		if (rc == 0 || !step_again(s, &err, &tries, "setting the config", s->node, s->ctid))
			break;
	}
	kv_free(&kv);
	if (rc < 0)
		return step_stopping(s) ? STEP_STOPPED :
			step_fail(s, "configuring %u failed: %s", s->ctid, err.msg);
	step_note(s, "config set");
	return STEP_OK;
}

/* start, stop: a status task. "already running"/"not running" mean the
 * container is already where we want it. st and detail are what the status
 * shows meanwhile: a stop on the way to a conversion or a destroy shows as
 * part of that (`converting: stopping first`), since SPEC.md's states name
 * the operation asked for. */
static int power(struct step *s, const char *op, enum ct_state st, const char *detail,
		 const char *done, const char *already)
{
	char upid[PHX_UPID_MAX] = "", why[600];
	struct phx_err err;
	unsigned tries = 0;
	int rc;

	if (detail)
		step_show(s, st, "%s", detail);
	else
		step_show(s, st, NULL);
	step_note(s, "%s %u on %s", op, s->ctid, s->node);
	for (;;) {
		memset(&err, 0, sizeof(err));
		rc = s->e->drv->ops->status_op(s->e->drv->ctx, s->node, s->ctid, op, upid, &err);
		if (rc == 0 || !step_again(s, &err, &tries, op, s->node, s->ctid))
			break;
	}
	if (rc < 0) {
		if (step_stopping(s))
			return STEP_STOPPED;
		if (err.kind == PHX_E_REFUSED && strstr(err.msg, already)) {
			step_note(s, "%s: %s", op, err.msg);
			step_facts(s, true, -2, done);
			return STEP_OK;
		}
		return step_fail(s, "%s of %u failed: %s", op, s->ctid, err.msg);
	}
	rc = step_wait_task(s, upid, st, detail ? detail : "", why, sizeof(why));
	if (rc == 0)
		rc = step_confirm_power(s, upid, done, why, sizeof(why));
	if (rc == STEP_STOPPED)
		return rc;
	if (rc < 0)
		return step_fail(s, "%s of %u failed: %s", op, s->ctid, why);
	step_facts(s, true, -2, done);
	step_note(s, "%s", done);
	return STEP_OK;
}

int step_start(struct step *s)
{
	return power(s, "start", ST_STARTING, NULL, "running", "already running");
}

int step_stop(struct step *s)
{
	return power(s, "stop", ST_STOPPING, NULL, "stopped", "not running");
}

/* The stop a conversion or a destroy needs first, shown as part of it. */
static int stop_first(struct step *s, enum ct_state st)
{
	return power(s, "stop", st, "stopping first", "stopped", "not running");
}

static bool is_running(struct step *s)
{
	struct ct_rec *r;
	bool b;

	pthread_mutex_lock(&s->e->lock);
	r = rec_find(s->e, s->ctid);
	b = r && strcmp(r->status, "running") == 0;
	pthread_mutex_unlock(&s->e->lock);
	return b;
}

static void last_template_task(struct step *s, char upid[PHX_UPID_MAX],
			       struct phx_task_status *ts)
{
	struct phx_err err = { 0 };

	upid[0] = '\0';
	if (s->e->drv->ops->last_task(s->e->drv->ctx, s->node, s->ctid, "vztemplate",
				      upid, ts, &err) < 0)
		upid[0] = '\0';
}

int step_convert(struct step *s)
{
	char before[PHX_UPID_MAX], upid[PHX_UPID_MAX];
	struct phx_task_status ts;
	struct phx_err err;
	json_object *cfg = NULL;
	long long tpl = 0;
	unsigned tries = 0, polls = 0;
	bool stopped_once = false;
	double until;
	int rc;

	if (step_get_config(s, s->node, s->ctid, &cfg, &err) < 0)
		return step_stopping(s) ? STEP_STOPPED :
			step_fail(s, "converting %u failed: %s", s->ctid, err.msg);
	cfg_int(cfg, "template", &tpl);
	json_object_put(cfg);
	cfg = NULL;
	if (tpl == 1) {
		step_facts(s, true, 1, "stopped");
		return STEP_OK;
	}
	if (is_running(s)) {
		rc = stop_first(s, ST_CONVERTING);
		if (rc)
			return rc;
		stopped_once = true;
	}
	step_show(s, ST_CONVERTING, NULL);
	step_note(s, "converting %u to a template", s->ctid);
	/* The conversion runs in a hidden task (PVE-API §2.12): remember the
	 * newest one before, so a new one after is ours. */
	last_template_task(s, before, &ts);
	for (;;) {
		memset(&err, 0, sizeof(err));
		rc = s->e->drv->ops->template_(s->e->drv->ctx, s->node, s->ctid, &err);
		if (rc == 0)
			break;
		if (err.kind == PHX_E_REFUSED && strstr(err.msg, "template to a template"))
			break;
		if (err.kind == PHX_E_REFUSED && strstr(err.msg, "running") && !stopped_once) {
			/* the listing lagged: it was running after all */
			stopped_once = true;
			rc = stop_first(s, ST_CONVERTING);
			if (rc)
				return rc;
			step_show(s, ST_CONVERTING, NULL);
			continue;
		}
		if (!step_again(s, &err, &tries, "converting", s->node, s->ctid))
			return step_stopping(s) ? STEP_STOPPED :
				step_fail(s, "converting %u to a template failed: %s",
					  s->ctid, err.msg);
	}
	step_show(s, ST_CONVERTING, "waiting for template: 1 in the config");
	until = now_mono() + CONVERT_WAIT_S;
	while (now_mono() < until) {
		const char *lock;

		if (!step_nap(s, polls < 10 ? 100 : 500))
			return STEP_STOPPED;
		polls++;
		if (step_get_config(s, s->node, s->ctid, &cfg, &err) < 0)
			return step_stopping(s) ? STEP_STOPPED :
				step_fail(s, "converting %u failed: %s", s->ctid, err.msg);
		tpl = 0;
		cfg_int(cfg, "template", &tpl);
		lock = cfg_str(cfg, "lock");
		rc = tpl == 1 && (!lock || !*lock);
		json_object_put(cfg);
		cfg = NULL;
		if (rc) {
			step_facts(s, true, 1, "stopped");
			step_note(s, "converted: template: 1 in the config");
			return STEP_OK;
		}
		if (polls % 5 == 0) {
			/* a failed conversion shows only in its task (PVE-API §2.12) */
			memset(&ts, 0, sizeof(ts));
			last_template_task(s, upid, &ts);
			if (upid[0] && strcmp(upid, before) != 0 && !ts.running &&
			    strcmp(ts.exitstatus, "OK") != 0 &&
			    strncmp(ts.exitstatus, "WARNINGS", 8) != 0)
				return step_fail(s, "converting %u to a template failed: %s",
						 s->ctid, ts.exitstatus);
		}
	}
	return step_fail(s, "converting %u to a template failed: template: 1 did not "
			 "appear in its config within %.0f s", s->ctid, CONVERT_WAIT_S);
}

int step_destroy(struct step *s)
{
	struct phx_kv purge = { "purge", "1" };
	char upid[PHX_UPID_MAX] = "", why[600];
	struct phx_err err;
	unsigned tries = 0;
	bool stopped_once = false;
	int rc;

	if (is_running(s)) {
		rc = stop_first(s, ST_DESTROYING);
		if (rc)
			return rc;
		stopped_once = true;
	}
	step_show(s, ST_DESTROYING, NULL);
	step_note(s, "destroying %u on %s", s->ctid, s->node);
	for (;;) {
		memset(&err, 0, sizeof(err));
		rc = s->e->drv->ops->destroy_ct(s->e->drv->ctx, s->node, s->ctid, &purge, 1,
						upid, &err);
		if (rc == 0)
			break;
		if (err.kind == PHX_E_NOTFOUND) {
			step_note(s, "already gone: %s", err.msg);
			step_facts(s, false, -1, "");
			return STEP_OK;
		}
		if (err.kind == PHX_E_REFUSED && strstr(err.msg, "running") && !stopped_once) {
			stopped_once = true;
			rc = stop_first(s, ST_DESTROYING);
			if (rc)
				return rc;
			step_show(s, ST_DESTROYING, NULL);
			continue;
		}
		if (!step_again(s, &err, &tries, "destroying", s->node, s->ctid))
			return step_stopping(s) ? STEP_STOPPED :
				step_fail(s, "destroying %u failed: %s", s->ctid, err.msg);
	}
	rc = step_wait_task(s, upid, ST_DESTROYING, "", why, sizeof(why));
	if (rc == STEP_STOPPED)
		return rc;
	if (rc < 0)
		return step_fail(s, "destroying %u failed: %s", s->ctid, why);
	step_facts(s, false, -1, "");
	step_note(s, "destroyed");
	return STEP_OK;
}
