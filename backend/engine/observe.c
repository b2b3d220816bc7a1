/* What the engine lets people watch: the mount's event stream (the root
 * `events` file) and its counters (the root `metrics` file).
 *
 * API requests are counted where every one of them passes: the engine never
 * calls the configured driver directly but a metering driver with the same
 * ops, which times each call and sorts its outcome (answered, refused with
 * an error status, no answer at all) before handing the result back. So the
 * refresher, the jobs and whatever steps a build grows are all counted
 * without each call site having to remember to. The driver makes one HTTP
 * request per call (the engine owns the retry policy, steps.c), so a call
 * is a request. */
#include "backend/engine/engine_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define EVENTS_KEPT 4096 /* lines a slow reader may lag before the marker */

/* --- the metering driver --- */

/* No answer: nothing came back (connection refused, timeout, TLS failure)
 * or a proxy said it got none (pveproxy's 595/596, 59x in general). Any
 * other failure is the server's refusal, with its status. */
static void count_call(struct phx_engine *e, double t0, int rc, const struct phx_err *err)
{
	phx_metrics_observe(e->metrics, PHX_H_API_SECONDS, now_mono() - t0);
	phx_metrics_inc(e->metrics, PHX_C_API_REQUESTS);
	if (rc == 0)
		return;
	if (err->http == 0 || (err->http >= 590 && err->http <= 599))
		phx_metrics_inc(e->metrics, PHX_C_API_NO_ANSWER);
	else
		phx_metrics_inc(e->metrics, PHX_C_API_REFUSED);
}

#define METERED(op, ...)                                                  \
	do {                                                              \
		struct phx_engine *e = ctx;                               \
		double t0 = now_mono();                                   \
		int rc = e->real_drv->ops->op(e->real_drv->ctx, __VA_ARGS__); \
		count_call(e, t0, rc, err);                               \
		return rc;                                                \
	} while (0)

static int m_list_guests(void *ctx, struct phx_guest_list *out, struct phx_err *err)
{
	METERED(list_guests, out, err);
}

static int m_list_nodes(void *ctx, char ***nodes, size_t *n, struct phx_err *err)
{
	METERED(list_nodes, nodes, n, err);
}

static int m_get_config(void *ctx, const char *node, uint32_t vmid, json_object **cfg,
			struct phx_err *err)
{
	METERED(get_config, node, vmid, cfg, err);
}

static int m_create(void *ctx, const char *node, uint32_t vmid, const struct phx_kv *params,
		    size_t n, char upid[PHX_UPID_MAX], struct phx_err *err)
{
	METERED(create, node, vmid, params, n, upid, err);
}

static int m_clone(void *ctx, const char *node, uint32_t src, uint32_t newid,
		   const struct phx_kv *params, size_t n, char upid[PHX_UPID_MAX],
		   struct phx_err *err)
{
	METERED(clone, node, src, newid, params, n, upid, err);
}

static int m_set_config(void *ctx, const char *node, uint32_t vmid, const struct phx_kv *params,
			size_t n, struct phx_err *err)
{
	METERED(set_config, node, vmid, params, n, err);
}

static int m_status_op(void *ctx, const char *node, uint32_t vmid, const char *op,
		       char upid[PHX_UPID_MAX], struct phx_err *err)
{
	METERED(status_op, node, vmid, op, upid, err);
}

static int m_status_current(void *ctx, const char *node, uint32_t vmid, char status[16],
			    bool *ha_managed, struct phx_err *err)
{
	METERED(status_current, node, vmid, status, ha_managed, err);
}

static int m_template(void *ctx, const char *node, uint32_t vmid, struct phx_err *err)
{
	METERED(template_, node, vmid, err);
}

static int m_destroy_ct(void *ctx, const char *node, uint32_t vmid, const struct phx_kv *params,
			size_t n, char upid[PHX_UPID_MAX], struct phx_err *err)
{
	METERED(destroy_ct, node, vmid, params, n, upid, err);
}

static int m_task_status(void *ctx, const char *upid, struct phx_task_status *st,
			 struct phx_err *err)
{
	METERED(task_status, upid, st, err);
}

static int m_task_log(void *ctx, const char *upid, unsigned start, char ***lines, size_t *n,
		      struct phx_err *err)
{
	METERED(task_log, upid, start, lines, n, err);
}

static int m_list_storage(void *ctx, struct phx_storage_list *out, struct phx_err *err)
{
	METERED(list_storage, out, err);
}

static int m_node_loads(void *ctx, struct phx_node_load_list *out, struct phx_err *err)
{
	METERED(node_loads, out, err);
}

static int m_migrate(void *ctx, const char *node, uint32_t vmid, const char *target,
		     bool restart, char upid[PHX_UPID_MAX], struct phx_err *err)
{
	METERED(migrate, node, vmid, target, restart, upid, err);
}

static int m_list_snapshots(void *ctx, const char *node, uint32_t vmid, char ***names,
			    size_t *n, struct phx_err *err)
{
	METERED(list_snapshots, node, vmid, names, n, err);
}

static int m_snapshot(void *ctx, const char *node, uint32_t vmid, const char *name,
		      const char *description, char upid[PHX_UPID_MAX], struct phx_err *err)
{
	METERED(snapshot, node, vmid, name, description, upid, err);
}

static int m_delete_snapshot(void *ctx, const char *node, uint32_t vmid, const char *name,
			     char upid[PHX_UPID_MAX], struct phx_err *err)
{
	METERED(delete_snapshot, node, vmid, name, upid, err);
}

static int m_resize(void *ctx, const char *node, uint32_t vmid, const char *disk,
		    const char *size, char upid[PHX_UPID_MAX], struct phx_err *err)
{
	METERED(resize, node, vmid, disk, size, upid, err);
}

static int m_fw_rules(void *ctx, const char *node, uint32_t vmid, json_object **rules,
		      struct phx_err *err)
{
	METERED(fw_rules, node, vmid, rules, err);
}

static int m_fw_add_rule(void *ctx, const char *node, uint32_t vmid,
			 const struct phx_kv *params, size_t n, struct phx_err *err)
{
	METERED(fw_add_rule, node, vmid, params, n, err);
}

static int m_fw_delete_rule(void *ctx, const char *node, uint32_t vmid, unsigned pos,
			    struct phx_err *err)
{
	METERED(fw_delete_rule, node, vmid, pos, err);
}

static int m_fw_set_options(void *ctx, const char *node, uint32_t vmid,
			    const struct phx_kv *params, size_t n, struct phx_err *err)
{
	METERED(fw_set_options, node, vmid, params, n, err);
}

static int m_last_task(void *ctx, const char *node, uint32_t vmid, const char *type,
		       char upid[PHX_UPID_MAX], struct phx_task_status *st, struct phx_err *err)
{
	METERED(last_task, node, vmid, type, upid, st, err);
}

/* An op the real driver lacks stays NULL: callers test for it. */
#define WRAP(op, fn) o->op = r->op ? fn : NULL

/* Every op of driver.h is metered below: one that is added there must get
 * its wrapper here too (until then it would be called uncounted). */
#define METERED_OPS 24
_Static_assert(sizeof(struct phx_driver_ops) == (METERED_OPS + 1) * sizeof(void (*)(void)),
	       "a driver op was added or removed: meter it in observe.c (meter_driver)");

static void meter_driver(struct phx_engine *e)
{
	const struct phx_driver_ops *r = e->real_drv->ops;
	struct phx_driver_ops *o = &e->metered_ops;

	*o = *r;          /* whatever is not wrapped below still works */
	o->destroy = NULL; /* the mount owns the driver */
	WRAP(list_guests, m_list_guests);
	WRAP(list_nodes, m_list_nodes);
	WRAP(get_config, m_get_config);
	WRAP(create, m_create);
	WRAP(clone, m_clone);
	WRAP(set_config, m_set_config);
	WRAP(status_op, m_status_op);
	WRAP(status_current, m_status_current);
	WRAP(template_, m_template);
	WRAP(destroy_ct, m_destroy_ct);
	WRAP(task_status, m_task_status);
	WRAP(task_log, m_task_log);
	WRAP(list_storage, m_list_storage);
	WRAP(node_loads, m_node_loads);
	WRAP(migrate, m_migrate);
	WRAP(list_snapshots, m_list_snapshots);
	WRAP(snapshot, m_snapshot);
	WRAP(delete_snapshot, m_delete_snapshot);
	WRAP(resize, m_resize);
	WRAP(fw_rules, m_fw_rules);
	WRAP(fw_add_rule, m_fw_add_rule);
	WRAP(fw_delete_rule, m_fw_delete_rule);
	WRAP(fw_set_options, m_fw_set_options);
	WRAP(last_task, m_last_task);
	e->metered.ops = o;
	e->metered.ctx = e;
	e->drv = &e->metered;
}

/* --- lifecycle --- */

int observe_start(struct phx_engine *e, char *err, size_t errlen)
{
	e->events = phx_events_new(EVENTS_KEPT);
	e->metrics = phx_metrics_new();
	if (!e->events || !e->metrics) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (e->drv) {
		e->real_drv = e->drv;
		meter_driver(e);
	}
	return 0;
}

/* After the workers and the refresher ended: nothing posts any more. The
 * stream is closed (blocked readers return end of file) and freed; the
 * mount stops the engine only once no FUSE request is left. */
void observe_stop(struct phx_engine *e)
{
	phx_events_close(e->events);
	phx_events_free(e->events);
	phx_metrics_free(e->metrics);
	e->events = NULL;
	e->metrics = NULL;
}

struct phx_events *phx_engine_events(struct phx_engine *e)
{
	return e->events;
}

struct phx_metrics *phx_engine_metrics(struct phx_engine *e)
{
	return e->metrics;
}

/* --- posting --- */

void eng_event(struct phx_engine *e, uint32_t ctid, const char *what, const char *fmt, ...)
{
	char detail[PHX_EVENT_LINE_MAX];
	va_list ap;

	if (!e->events)
		return;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	phx_events_post(e->events, ctid, what, "%s", detail);
	phx_metrics_inc(e->metrics, PHX_C_EVENTS);
}

/* The word before the first ':' of a status line: the state. */
static void status_word(const char *status, char *word, size_t len)
{
	size_t n = strcspn(status, ":");

	snprintf(word, len, "%.*s", (int)n, status);
}

void observe_state(struct phx_engine *e, struct ct_rec *r)
{
	char status[512], word[sizeof(r->shown_word)], was[sizeof(r->shown_word)];

	rec_status(r, status, sizeof(status));
	status_word(status, word, sizeof(word));
	if (strcmp(word, r->shown_word) == 0)
		return;
	snprintf(was, sizeof(was), "%s", r->shown_word);
	snprintf(r->shown_word, sizeof(r->shown_word), "%s", word);
	/* The first listing tells what the fleet is, not what changed. */
	if (!e->quiet_states)
		eng_event(e, r->ctid, "state", "%s -> %s", was, status);
}

void observe_job_start(struct phx_engine *e, struct ct_rec *r, const struct job *j)
{
	if (!(j->wants & W_BUILD) || (r->exists && !r->resume_build) || r->build_counted)
		return;
	/* Once per build: a build that goes back to the queue (the backend
	 * went away) and resumes is still the same build. */
	r->build_counted = true;
	phx_metrics_inc(e->metrics, PHX_C_BUILDS_STARTED);
	eng_event(e, r->ctid, "build", "started");
}

void observe_job_end(struct phx_engine *e, struct ct_rec *r, const struct job *j, int rc)
{
	double now = now_mono();

	/* Whatever the job did, it did just now: the listing must catch up
	 * before a difference in those attributes can be someone else's. */
	reconcile_mark_ours(r, j->wants, j->cfg_keys, now);
	if (rc == 0)
		r->seen = r->exists; /* built, adopted, or destroyed by us */
	else if (r->exists)
		r->seen = true;
	if (rc == 1 || !r->build_counted)
		return;
	r->build_counted = false;
	if (rc == 0) {
		phx_metrics_inc(e->metrics, PHX_C_BUILDS_DONE);
		eng_event(e, r->ctid, "build", "done: %s", r->template_ == 1 ? "template" :
			  strcmp(r->status, "running") == 0 ? "running" : "stopped");
	} else {
		phx_metrics_inc(e->metrics, PHX_C_BUILDS_FAILED);
		eng_event(e, r->ctid, "build", "failed: %s", r->reason);
	}
}

void eng_observe_hook(struct phx_engine *e, double seconds, bool ok)
{
	if (!e)
		return;
	phx_metrics_inc(e->metrics, PHX_C_HOOKS_RUN);
	if (!ok)
		phx_metrics_inc(e->metrics, PHX_C_HOOKS_FAILED);
	phx_metrics_observe(e->metrics, PHX_H_HOOK_SECONDS, seconds);
}
