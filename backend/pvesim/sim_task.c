/* Tasks: UPIDs, logs, the config flock they hold, and the clock that moves
 * them from waiting to running to stopped. Also pvestatd's periodic
 * publication of guest statistics, which /cluster/resources reads. */
#include "sim_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Real tasks differ in length: extracting a template takes longer than
 * starting a container. Each kind gives its multiplier of --task-ms. */
static unsigned task_duration(struct sim *s, const struct sim_task_kind *k)
{
	return (unsigned)((unsigned long long)s->o.task_ms * k->pct / 100);
}

void task_log(struct sim_task *t, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_object_array_add(t->log, json_object_new_string(buf));
}

bool sim_flock_held(struct sim *s, int vmid)
{
	for (int i = 0; i < s->n_tasks; i++)
		if (s->tasks[i].phase == TP_RUNNING &&
		    s->tasks[i].flock_vmid == vmid)
			return true;
	return false;
}

struct sim_task *sim_task_find(struct sim *s, const char *upid)
{
	for (int i = s->n_tasks - 1; i >= 0; i--)
		if (!strcmp(s->tasks[i].upid, upid))
			return &s->tasks[i];
	return NULL;
}

int sim_tasks_running(const struct sim *s)
{
	int n = 0;
	for (int i = 0; i < s->n_tasks; i++)
		n += s->tasks[i].phase != TP_DONE;
	return n;
}

static void task_end(struct sim *s, struct sim_task *t, const char *error)
{
	/* newlines in the die text become spaces in the final log line */
	char msg[sizeof(t->exitstatus)];
	size_t n;

	snprintf(msg, sizeof(msg), "%s", error ? error : "OK");
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = 0;
	for (char *p = msg; *p; p++)
		if (*p == '\n')
			*p = ' ';
	if (error) {
		task_log(t, "TASK ERROR: %s", msg);
		snprintf(t->exitstatus, sizeof(t->exitstatus), "%s", msg);
	} else {
		task_log(t, "TASK OK");
		snprintf(t->exitstatus, sizeof(t->exitstatus), "OK");
	}
	t->phase = TP_DONE;
	t->endtime = sim_epoch_now(s);
	if (error && t->kind && t->kind->failed)
		t->kind->failed(s, t);
	sim_mark_dirty(s);
}

/* A hook may start tasks of its own (create --start, rollback --start,
 * HA's LRM worker). Room for them is made before the hook runs, and no
 * task is pruned while it runs, so that neither the hook's task nor
 * anything pointing into it (its user) moves under it. */
#define HOOK_TASK_ROOM 4

static struct sim_task *make_room(struct sim *s, struct sim_task *t)
{
	ptrdiff_t i = t - s->tasks;

	if (s->cap_tasks - s->n_tasks < HOOK_TASK_ROOM) {
		int cap = s->cap_tasks * 2 + HOOK_TASK_ROOM;
		struct sim_task *nt = realloc(s->tasks, (size_t)cap * sizeof(*nt));
		if (nt) {
			s->tasks = nt;
			s->cap_tasks = cap;
		}
	}
	return &s->tasks[i];
}

/* Move one task along; returns ms until it next needs attention. The
 * task may move (make_room): callers find it again by index. */
static uint64_t task_advance(struct sim *s, struct sim_task *t, uint64_t now)
{
	char err[1024];

	t = make_room(s, t);
	s->in_hook++;

	if (t->phase == TP_WAIT_FLOCK) {
		if (t->flock_vmid && sim_flock_held(s, t->flock_vmid)) {
			if (now < t->due_ms) {
				s->in_hook--;
				return t->due_ms - now;
			}
			sim_flock_timeout_msg(t->flock_vmid, err, sizeof(err));
			task_end(s, t, err);
			s->in_hook--;
			return UINT64_MAX;
		}
		err[0] = 0;
		t->phase = TP_RUNNING;
		t->due_ms = now + task_duration(s, t->kind);
		if (t->kind->begin && t->kind->begin(s, t, err, sizeof(err))) {
			task_end(s, t, err);
			s->in_hook--;
			return UINT64_MAX;
		}
		sim_mark_dirty(s);
	}
	if (t->phase == TP_RUNNING) {
		if (now < t->due_ms) {
			s->in_hook--;
			return t->due_ms - now;
		}
		err[0] = 0;
		if (t->kind->finish && t->kind->finish(s, t, err, sizeof(err)))
			task_end(s, t, err);
		else
			task_end(s, t, NULL);
	}
	s->in_hook--;
	return UINT64_MAX;
}

static void prune_tasks(struct sim *s)
{
	int drop = s->n_tasks - SIM_MAX_TASKS_KEPT;
	int w = 0;
	for (int i = 0; i < s->n_tasks; i++) {
		if (drop > 0 && s->tasks[i].phase == TP_DONE) {
			json_object_put(s->tasks[i].args);
			json_object_put(s->tasks[i].log);
			drop--;
			continue;
		}
		s->tasks[w++] = s->tasks[i];
	}
	s->n_tasks = w;
}

struct sim_task *sim_task_start(struct sim *s, const char *node,
				const struct sim_task_kind *kind, int id,
				const struct sim_call *c, json_object *args,
				int flock_vmid)
{
	struct sim_task *t;
	uint64_t now = sim_now(s);
	char user[sizeof(t->user)];
	int idx;

	/* c->user may point into a task (a hook's own) */
	snprintf(user, sizeof(user), "%s", c && c->user ? c->user : "root@pam");
	if (s->n_tasks >= SIM_MAX_TASKS_KEPT && !s->in_hook)
		prune_tasks(s);
	if (s->n_tasks == s->cap_tasks && s->in_hook) {
		json_object_put(args); /* make_room failed: nothing may move */
		return NULL;
	}
	if (s->n_tasks == s->cap_tasks) {
		int cap = s->cap_tasks ? s->cap_tasks * 2 : 64;
		struct sim_task *nt = realloc(s->tasks, cap * sizeof(*nt));
		if (!nt) {
			json_object_put(args);
			return NULL;
		}
		s->tasks = nt;
		s->cap_tasks = cap;
	}
	t = &s->tasks[s->n_tasks++];
	memset(t, 0, sizeof(*t));
	snprintf(t->node, sizeof(t->node), "%s", node);
	t->kind = kind;
	snprintf(t->type, sizeof(t->type), "%s", kind->type);
	if (id > 0)
		snprintf(t->id, sizeof(t->id), "%d", id);
	snprintf(t->user, sizeof(t->user), "%s", user);
	t->pid = s->next_pid++;
	t->pstart = 0x00A00000u + (uint32_t)((now - s->boot_ms) / 10);
	t->starttime = sim_epoch_now(s);
	snprintf(t->upid, sizeof(t->upid), "UPID:%s:%08X:%08X:%08X:%s:%s:%s:",
		 t->node, t->pid, t->pstart, (unsigned)t->starttime, t->type,
		 t->id, t->user);
	t->args = args ? args : json_object_new_object();
	t->log = json_object_new_array();
	t->taskfail = c && c->taskfail;
	t->flock_vmid = kind->flock ? flock_vmid : 0;
	t->phase = TP_WAIT_FLOCK;
	t->due_ms = now + s->o.lock_timeout_ms;
	sim_mark_dirty(s);
	/* the worker starts at once; its first checks run now */
	idx = s->n_tasks - 1;
	task_advance(s, t, now);
	return &s->tasks[idx];
}

static void publish_stats(struct sim *s)
{
	/* pvestatd: update_node_status, then the guests' (pve-manager
	 * PVE/Service/pvestatd.pm update_status) */
	for (int i = 0; i < s->o.n_nodes; i++)
		s->node_mem_pub[i] = sim_node_mem_now(s, i);
	s->node_mem_published = true;
	json_object_object_foreach(s->guests, key, g) {
		json_object *rrd = json_object_new_object();
		json_object *c = sim_guest_conf(g), *h;
		(void)key;
		/* a config that holds only the create lock has no stats yet */
		if (json_object_object_length(c) == 1 &&
		    json_object_object_get_ex(c, "lock", NULL)) {
			json_object_put(rrd);
			json_object_object_del(g, "rrd");
			continue;
		}
		json_object_object_add(rrd, "status", json_object_new_string(
			sim_guest_running(g) ? "running" : "stopped"));
		if (json_object_object_get_ex(c, "hostname", &h))
			json_object_object_add(rrd, "name", json_object_get(h));
		json_object_object_add(rrd, "template",
				       json_object_new_int(sim_guest_template(g)));
		json_object_object_add(g, "rrd", rrd);
	}
}

unsigned sim_tick(struct sim *s)
{
	uint64_t now = sim_now(s);
	uint64_t next = 1000;

	for (int i = 0; i < s->n_tasks; i++) {
		uint64_t d;
		if (s->tasks[i].phase == TP_DONE)
			continue;
		d = task_advance(s, &s->tasks[i], now);
		if (d < next)
			next = d;
	}
	/* a finished task may have freed a flock another one waits for */
	for (int i = 0; i < s->n_tasks; i++)
		if (s->tasks[i].phase == TP_WAIT_FLOCK) {
			uint64_t d = task_advance(s, &s->tasks[i], now);
			if (d < next)
				next = d;
		}
	if (s->o.stats_lag_ms) {
		if (now >= s->next_stats_ms) {
			publish_stats(s);
			s->next_stats_ms = now + s->o.stats_lag_ms;
		}
		if (s->next_stats_ms - now < next)
			next = s->next_stats_ms - now;
	}
	return (unsigned)next;
}

/* ---- endpoints ---- */

static bool upid_wellformed(const char *u)
{
	int colons = 0;
	if (strncmp(u, "UPID:", 5))
		return false;
	for (const char *p = u; *p; p++)
		colons += *p == ':';
	return colons == 8 && u[strlen(u) - 1] == ':';
}

static struct sim_task *task_lookup(struct sim *s, const char *node,
				    const char *upid, struct sim_res *r)
{
	struct sim_task *t;
	if (!upid_wellformed(upid)) {
		res_param(r, "upid", "unable to parse worker upid");
		return NULL;
	}
	t = sim_task_find(s, upid);
	if (!t || strcmp(t->node, node)) {
		res_param(r, "upid", "no such task");
		return NULL;
	}
	return t;
}

static void add_user(json_object *o, const char *user)
{
	const char *bang = strchr(user, '!');
	if (bang) {
		json_object_object_add(o, "user", json_object_new_string_len(
					       user, (int)(bang - user)));
		json_object_object_add(o, "tokenid",
				       json_object_new_string(bang + 1));
	} else {
		json_object_object_add(o, "user", json_object_new_string(user));
	}
}

static json_object *task_json(const struct sim_task *t, bool list)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "upid", json_object_new_string(t->upid));
	json_object_object_add(o, "node", json_object_new_string(t->node));
	json_object_object_add(o, "pid", json_object_new_int64(t->pid));
	json_object_object_add(o, "pstart", json_object_new_int64(t->pstart));
	json_object_object_add(o, "starttime",
			       json_object_new_int64(t->starttime));
	json_object_object_add(o, "type", json_object_new_string(t->type));
	json_object_object_add(o, "id", json_object_new_string(t->id));
	add_user(o, t->user);
	if (list) {
		if (t->phase == TP_DONE) {
			json_object_object_add(o, "endtime",
					       json_object_new_int64(t->endtime));
			json_object_object_add(o, "status",
					       json_object_new_string(t->exitstatus));
		}
		return o;
	}
	json_object_object_add(o, "status", json_object_new_string(
				       t->phase == TP_DONE ? "stopped" : "running"));
	if (t->phase == TP_DONE)
		json_object_object_add(o, "exitstatus",
				       json_object_new_string(t->exitstatus));
	return o;
}

void sim_task_status(struct sim *s, const char *node, const char *upid,
		     struct sim_res *r)
{
	struct sim_task *t;
	if (sim_check_node(s, node, r))
		return;
	t = task_lookup(s, node, upid, r);
	/* Tasks.pm read_task_status: not the caller's own task needs
	 * Sys.Audit on /nodes/NODE */
	if (t && !sim_task_visible(s, t->user, node)) {
		char path[96];
		snprintf(path, sizeof(path), "/nodes/%s", node);
		sim_perm(s, path, "Sys.Audit", false, r);
		return;
	}
	if (t)
		res_ok(r, task_json(t, false));
}

void sim_task_log(struct sim *s, const char *node, const char *upid,
		  json_object *p, struct sim_res *r)
{
	static const struct pdef params[] = {
		{ "start", PT_INT, 0, LLONG_MAX, NULL },
		{ "limit", PT_INT, 0, LLONG_MAX, NULL },
		{ "download", PT_BOOL, 0, 1, NULL },
		{ NULL, 0, 0, 0, NULL },
	};
	struct sim_task *t;
	json_object *arr;
	long long start, limit, n;

	if (sim_check_node(s, node, r) || sim_validate(s, p, params, false, NULL, r))
		return;
	t = task_lookup(s, node, upid, r);
	if (!t)
		return;
	/* Tasks.pm read_task_log: as read_task_status */
	if (!sim_task_visible(s, t->user, node)) {
		char path[96];
		snprintf(path, sizeof(path), "/nodes/%s", node);
		sim_perm(s, path, "Sys.Audit", false, r);
		return;
	}
	start = sim_param_int(p, "start", 0);
	limit = sim_param_int(p, "limit", 50);
	n = (long long)json_object_array_length(t->log);
	arr = json_object_new_array();
	if (n == 0) {
		json_object *l = json_object_new_object();
		json_object_object_add(l, "n", json_object_new_int(1));
		json_object_object_add(l, "t", json_object_new_string("no content"));
		json_object_array_add(arr, l);
		n = 1;
	}
	for (long long i = start; i < (long long)json_object_array_length(t->log) &&
	     (limit == 0 || i < start + limit); i++) {
		json_object *l = json_object_new_object();
		json_object_object_add(l, "n", json_object_new_int64(i + 1));
		json_object_object_add(l, "t", json_object_get(
					       json_object_array_get_idx(t->log, i)));
		json_object_array_add(arr, l);
	}
	res_ok(r, arr);
	r->total = (int)n;
}

void sim_task_list(struct sim *s, const char *node, json_object *p,
		   struct sim_res *r)
{
	static const struct pdef params[] = {
		{ "vmid", PT_VMID, 0, 0, NULL },
		{ "typefilter", PT_STR, 0, 64, NULL },
		{ "source", PT_ENUM, 0, 0, "archive,active,all" },
		{ "start", PT_INT, 0, LLONG_MAX, NULL },
		{ "limit", PT_INT, 0, LLONG_MAX, NULL },
		{ "errors", PT_BOOL, 0, 1, NULL },
		{ "userfilter", PT_STR, 0, 128, NULL },
		{ "statusfilter", PT_STR, 0, 256, NULL },
		{ "since", PT_INT, 0, LLONG_MAX, NULL },
		{ "until", PT_INT, 0, LLONG_MAX, NULL },
		{ NULL, 0, 0, 0, NULL },
	};
	const char *vmid = NULL, *type = NULL, *source = "archive", *user = NULL;
	long long start, limit, count = 0;
	bool errors;
	json_object *arr;

	if (sim_check_node(s, node, r) || sim_validate(s, p, params, false, NULL, r))
		return;
	sim_param_str(p, "vmid", &vmid);
	sim_param_str(p, "typefilter", &type);
	sim_param_str(p, "source", &source);
	sim_param_str(p, "userfilter", &user);
	errors = sim_param_bool(p, "errors", false);
	start = sim_param_int(p, "start", 0);
	limit = sim_param_int(p, "limit", 50);
	arr = json_object_new_array();
	/* newest first */
	for (int i = s->n_tasks - 1; i >= 0; i--) {
		struct sim_task *t = &s->tasks[i];
		bool done = t->phase == TP_DONE;
		if (strcmp(t->node, node))
			continue;
		/* Tasks.pm node_tasks: the caller's own, or all with
		 * Sys.Audit on /nodes/NODE */
		if (!sim_task_visible(s, t->user, node))
			continue;
		if ((!strcmp(source, "archive") && !done) ||
		    (!strcmp(source, "active") && done))
			continue;
		if (vmid && strcmp(vmid, t->id))
			continue;
		if (type && strcmp(type, t->type))
			continue;
		if (user && !strstr(t->user, user))
			continue;
		if (errors && (!done || !strcmp(t->exitstatus, "OK")))
			continue;
		if (count >= start && (limit == 0 || count < start + limit))
			json_object_array_add(arr, task_json(t, true));
		count++;
	}
	res_ok(r, arr);
	r->total = (int)count;
}
