#include "fake_driver.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAXG 512
#define MAXT 4096
#define MAXF 64
#define MAXC 32768

struct guest {
	bool exists;
	uint32_t vmid;
	char node[PHX_NODE_MAX];
	bool running, template_;
	bool vm;          /* a QEMU VM: listed, never an LXC container */
	char lock[32];
	json_object *cfg; /* hostname, memory, ... */
	unsigned created_seq;
	char snaps[256];  /* snapshot names, each followed by a space */
};

struct task {
	char upid[PHX_UPID_MAX];
	char type[16];
	uint32_t id, target;
	double end;
	bool done;
	char exitstatus[256];
	const char *effect; /* what happens at the end */
	char snap[48];      /* vzsnapshot, vzdelsnapshot: the name */
};

struct fault {
	char op[16];
	uint32_t vmid;
	int times;
	enum phx_err_kind kind;
	char msg[256];
	bool lose;         /* lose_answer */
	int http;          /* the status answered, 0: no answer at all */
	bool task;         /* fail_task */
};

struct call {
	char op[16];
	uint32_t vmid;
	char *params;
};

struct fake {
	pthread_mutex_t lock;
	char nodes[4][PHX_NODE_MAX];
	size_t nnodes;
	unsigned task_ms;
	bool lag;
	struct phx_guest_list frozen; /* fake_freeze_listing: what list_guests says */
	bool freeze;
	struct guest g[MAXG];
	struct task t[MAXT];
	size_t nt;
	struct fault faults[MAXF];
	size_t nf;
	struct call calls[MAXC];
	size_t ncalls;
	unsigned max_tasks, max_clones, seq;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fail(struct phx_err *err, enum phx_err_kind kind, int http, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(struct phx_err *err, enum phx_err_kind kind, int http, const char *fmt, ...)
{
	va_list ap;

	err->kind = kind;
	err->http = http;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static struct guest *find(struct fake *f, uint32_t vmid)
{
	for (size_t i = 0; i < MAXG; i++)
		if (f->g[i].exists && f->g[i].vmid == vmid)
			return &f->g[i];
	return NULL;
}

static struct guest *add(struct fake *f, uint32_t vmid, const char *node)
{
	for (size_t i = 0; i < MAXG; i++)
		if (!f->g[i].exists) {
			struct guest *g = &f->g[i];

			memset(g, 0, sizeof(*g));
			g->exists = true;
			g->vmid = vmid;
			snprintf(g->node, sizeof(g->node), "%s", node);
			g->cfg = json_object_new_object();
			g->created_seq = ++f->seq;
			return g;
		}
	abort();
}

static void del(struct guest *g)
{
	json_object_put(g->cfg);
	g->cfg = NULL;
	g->exists = false;
}

static void record(struct fake *f, const char *op, uint32_t vmid,
		   const struct phx_kv *p, size_t n)
{
	struct call *c;
	size_t len = 1;
	char *s;

	/* task polls are too many to keep and say nothing about planning */
	if (f->ncalls == MAXC || strncmp(op, "task_", 5) == 0)
		return;
	c = &f->calls[f->ncalls++];
	snprintf(c->op, sizeof(c->op), "%s", op);
	c->vmid = vmid;
	for (size_t i = 0; i < n; i++)
		len += strlen(p[i].key) + strlen(p[i].value) + 2;
	s = calloc(1, len);
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(s, "&");
		strcat(s, p[i].key);
		strcat(s, "=");
		strcat(s, p[i].value);
	}
	c->params = s;
}

/* A fault for this call, consumed. */
static struct fault *fault_for(struct fake *f, const char *op, uint32_t vmid, bool task)
{
	for (size_t i = 0; i < f->nf; i++) {
		struct fault *x = &f->faults[i];

		if (x->times > 0 && x->task == task && strcmp(x->op, op) == 0 &&
		    (x->vmid == 0 || x->vmid == vmid)) {
			x->times--;
			return x;
		}
	}
	return NULL;
}

static const char *param(const struct phx_kv *p, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(p[i].key, key) == 0)
			return p[i].value;
	return NULL;
}

static void apply_params(struct guest *g, const struct phx_kv *p, size_t n)
{
	static const char *const keys[] = { "hostname", "memory", "swap", "cores", "net0",
					    "onboot", "startup", "unprivileged", "rootfs",
					    "ostemplate" };

	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (strcmp(p[i].key, keys[k]) == 0)
				json_object_object_add(g->cfg, keys[k],
						       json_object_new_string(p[i].value));
}

static unsigned running_tasks(struct fake *f, double t)
{
	unsigned n = 0;

	for (size_t i = 0; i < f->nt; i++)
		if (!f->t[i].done && f->t[i].end > t)
			n++;
	return n;
}

static unsigned running_clones(struct fake *f, uint32_t src)
{
	unsigned n = 0;

	for (size_t i = 0; i < f->nt; i++)
		if (!f->t[i].done && strcmp(f->t[i].type, "vzclone") == 0 && f->t[i].id == src)
			n++;
	return n;
}

static void finish_task(struct fake *f, struct task *t)
{
	struct guest *g = find(f, t->target), *src;
	bool ok = strcmp(t->exitstatus, "OK") == 0;

	t->done = true;
	if (strcmp(t->type, "vzcreate") == 0 && g) {
		if (ok)
			g->lock[0] = '\0';
		else
			del(g);
	} else if (strcmp(t->type, "vzclone") == 0) {
		src = find(f, t->id);
		if (src)
			src->lock[0] = '\0';
		if (g) {
			if (ok)
				g->lock[0] = '\0';
			else
				del(g);
		}
	} else if (strcmp(t->type, "vzstart") == 0 && g && ok) {
		g->running = true;
	} else if (strcmp(t->type, "vzstop") == 0 && g && ok) {
		g->running = false;
	} else if (strcmp(t->type, "vztemplate") == 0 && g && ok) {
		g->template_ = true;
	} else if (strcmp(t->type, "vzdestroy") == 0 && g && ok) {
		del(g);
	} else if (strcmp(t->type, "vzsnapshot") == 0 && g) {
		g->lock[0] = '\0';
		if (ok && strlen(g->snaps) + strlen(t->snap) + 2 < sizeof(g->snaps))
			strcat(strcat(g->snaps, t->snap), " ");
	} else if (strcmp(t->type, "vzdelsnapshot") == 0 && g) {
		char *at, word[64];

		g->lock[0] = '\0';
		snprintf(word, sizeof(word), "%s ", t->snap);
		if (ok && (at = strstr(g->snaps, word)))
			memmove(at, at + strlen(word), strlen(at + strlen(word)) + 1);
	}
}

static bool has_snap(const struct guest *g, const char *name)
{
	char word[64];
	const char *at = g->snaps;

	snprintf(word, sizeof(word), "%s ", name);
	while ((at = strstr(at, word))) {
		if (at == g->snaps || at[-1] == ' ')
			return true;
		at++;
	}
	return false;
}

/* Tasks end when their time has come; effects are applied lazily. */
static void advance(struct fake *f)
{
	double t = now();

	for (size_t i = 0; i < f->nt; i++)
		if (!f->t[i].done && f->t[i].end <= t)
			finish_task(f, &f->t[i]);
}

static struct task *start_task(struct fake *f, const char *node, const char *type,
			       uint32_t id, uint32_t target)
{
	struct task *t;
	struct fault *x;
	unsigned n;

	if (f->nt == MAXT)
		abort();
	t = &f->t[f->nt++];
	memset(t, 0, sizeof(*t));
	snprintf(t->type, sizeof(t->type), "%s", type);
	t->id = id;
	t->target = target;
	t->end = now() + f->task_ms / 1000.0;
	snprintf(t->upid, sizeof(t->upid), "UPID:%s:%08X:%08X:%08X:%s:%u:root@pam!phx:",
		 node, (unsigned)f->nt, 0x1234u, (unsigned)time(NULL), type, id);
	x = fault_for(f, type, target, true);
	snprintf(t->exitstatus, sizeof(t->exitstatus), "%s", x ? x->msg : "OK");
	n = running_tasks(f, now());
	if (n > f->max_tasks)
		f->max_tasks = n;
	if (strcmp(type, "vzclone") == 0) {
		n = running_clones(f, id);
		if (n > f->max_clones)
			f->max_clones = n;
	}
	return t;
}

static bool on_node(struct fake *f, const char *node)
{
	for (size_t i = 0; i < f->nnodes; i++)
		if (strcmp(f->nodes[i], node) == 0)
			return true;
	return false;
}

#define ENTER(op, vmid, p, n)                                              \
	struct fake *f = ctx;                                              \
	struct fault *fx;                                                  \
	pthread_mutex_lock(&f->lock);                                      \
	advance(f);                                                        \
	record(f, op, vmid, p, n);                                         \
	fx = fault_for(f, op, vmid, false);                                \
	if (fx && !fx->lose) {                                             \
		int rc_ = fail(err, fx->kind, fx->http, "%s", fx->msg);    \
		pthread_mutex_unlock(&f->lock);                            \
		return rc_;                                                \
	}
#define LEAVE(rc)                                                          \
	do {                                                               \
		int rc2_ = (rc);                                           \
		pthread_mutex_unlock(&f->lock);                            \
		return rc2_;                                               \
	} while (0)

static int f_list_guests(void *ctx, struct phx_guest_list *out, struct phx_err *err)
{
	ENTER("list_guests", 0, NULL, 0);
	out->v = calloc(MAXG, sizeof(*out->v));
	if (f->freeze) {
		memcpy(out->v, f->frozen.v, f->frozen.n * sizeof(*out->v));
		out->n = f->frozen.n;
		LEAVE(0);
	}
	out->n = 0;
	for (size_t i = 0; i < MAXG; i++) {
		struct guest *g = &f->g[i];
		struct phx_guest *o;

		if (!g->exists)
			continue;
		o = &out->v[out->n++];
		o->vmid = g->vmid;
		snprintf(o->node, sizeof(o->node), "%s", g->node);
		snprintf(o->type, sizeof(o->type), "%s", g->vm ? "qemu" : "lxc");
		snprintf(o->status, sizeof(o->status), "%s",
			 f->lag ? "unknown" : g->running ? "running" : "stopped");
		o->template_ = f->lag ? -1 : g->template_;
		snprintf(o->lock, sizeof(o->lock), "%s", g->lock);
		/* sizes and name from the config, as pvestatd reports them */
		if (!f->lag) {
			json_object *v;

			if (json_object_object_get_ex(g->cfg, "memory", &v))
				o->maxmem = strtoull(json_object_get_string(v), NULL, 10) * 1024 * 1024;
			if (json_object_object_get_ex(g->cfg, "cores", &v))
				o->maxcpu = strtod(json_object_get_string(v), NULL);
			if (json_object_object_get_ex(g->cfg, "hostname", &v))
				snprintf(o->name, sizeof(o->name), "%s", json_object_get_string(v));
		}
	}
	LEAVE(0);
}

static int f_list_nodes(void *ctx, char ***nodes, size_t *n, struct phx_err *err)
{
	ENTER("list_nodes", 0, NULL, 0);
	*nodes = calloc(f->nnodes, sizeof(char *));
	for (size_t i = 0; i < f->nnodes; i++)
		(*nodes)[i] = strdup(f->nodes[i]);
	*n = f->nnodes;
	LEAVE(0);
}

static int notfound(struct phx_err *err, const char *node, uint32_t vmid)
{
	return fail(err, PHX_E_NOTFOUND, 500,
		    "Configuration file 'nodes/%s/lxc/%u.conf' does not exist", node, vmid);
}

static int f_get_config(void *ctx, const char *node, uint32_t vmid, json_object **cfg,
			struct phx_err *err)
{
	struct guest *g;

	ENTER("get_config", vmid, NULL, 0);
	g = find(f, vmid);
	if (!g || strcmp(g->node, node) != 0)
		LEAVE(notfound(err, node, vmid));
	*cfg = NULL;
	json_object_deep_copy(g->cfg, cfg, NULL);
	if (g->template_)
		json_object_object_add(*cfg, "template", json_object_new_int(1));
	if (g->lock[0])
		json_object_object_add(*cfg, "lock", json_object_new_string(g->lock));
	LEAVE(0);
}

static int f_create(void *ctx, const char *node, uint32_t vmid, const struct phx_kv *p,
		    size_t n, char upid[PHX_UPID_MAX], struct phx_err *err)
{
	struct guest *g;
	struct task *t;

	ENTER("create", vmid, p, n);
	if (!on_node(f, node))
		LEAVE(fail(err, PHX_E_REFUSED, 500, "no such cluster node '%s'", node));
	if (find(f, vmid))
		LEAVE(fail(err, PHX_E_EXISTS, 500, "CT %u already exists on node '%s'", vmid,
			   find(f, vmid)->node));
	if (!param(p, n, "ostemplate"))
		LEAVE(fail(err, PHX_E_REFUSED, 400, "Parameter verification failed."));
	g = add(f, vmid, node);
	snprintf(g->lock, sizeof(g->lock), "create");
	apply_params(g, p, n);
	t = start_task(f, node, "vzcreate", vmid, vmid);
	if (strcmp(t->exitstatus, "OK") != 0) {
		char m[256];

		snprintf(m, sizeof(m), "unable to create CT %u - %s", vmid, t->exitstatus);
		snprintf(t->exitstatus, sizeof(t->exitstatus), "%s", m);
	}
	snprintf(upid, PHX_UPID_MAX, "%s", t->upid);
	if (fx && fx->lose)
		LEAVE(fail(err, PHX_E_EXISTS, 500, "CT %u already exists on node '%s'", vmid, node));
	LEAVE(0);
}

static int f_clone(void *ctx, const char *node, uint32_t src, uint32_t newid,
		   const struct phx_kv *p, size_t n, char upid[PHX_UPID_MAX], struct phx_err *err)
{
	struct guest *s, *g;
	struct task *t;
	const char *full;

	ENTER("clone", newid, p, n);
	s = find(f, src);
	if (!s || strcmp(s->node, node) != 0)
		LEAVE(notfound(err, node, src));
	if (s->lock[0])
		LEAVE(fail(err, PHX_E_LOCKED, 500, "CT is locked (%s)", s->lock));
	if (find(f, newid))
		LEAVE(fail(err, PHX_E_EXISTS, 500, "CT %u already exists on node '%s'", newid,
			   find(f, newid)->node));
	full = param(p, n, "full");
	if (param(p, n, "snapname") && !has_snap(s, param(p, n, "snapname")))
		LEAVE(fail(err, PHX_E_REFUSED, 500, "snapshot '%s' does not exist",
			   param(p, n, "snapname")));
	if (full && strcmp(full, "0") == 0) {
		if (param(p, n, "storage"))
			LEAVE(fail(err, PHX_E_REFUSED, 500,
				   "parameter 'storage' not allowed for linked clones"));
		if (!s->template_)
			LEAVE(fail(err, PHX_E_REFUSED, 500,
				   "Linked clone feature for 'local-lvm:vm-%u-disk-0' is not available",
				   src));
	}
	snprintf(s->lock, sizeof(s->lock), "disk");
	g = add(f, newid, node);
	snprintf(g->lock, sizeof(g->lock), "create");
	json_object_put(g->cfg);
	g->cfg = NULL;
	json_object_deep_copy(s->cfg, &g->cfg, NULL);
	t = start_task(f, node, "vzclone", src, newid);
	if (strcmp(t->exitstatus, "OK") != 0) {
		char m[256];

		snprintf(m, sizeof(m), "clone failed: %s", t->exitstatus);
		snprintf(t->exitstatus, sizeof(t->exitstatus), "%s", m);
	}
	snprintf(upid, PHX_UPID_MAX, "%s", t->upid);
	if (fx && fx->lose)
		LEAVE(fail(err, PHX_E_EXISTS, 500, "CT %u already exists on node '%s'", newid, node));
	LEAVE(0);
}

static int f_set_config(void *ctx, const char *node, uint32_t vmid, const struct phx_kv *p,
			size_t n, struct phx_err *err)
{
	struct guest *g;

	ENTER("set_config", vmid, p, n);
	g = find(f, vmid);
	if (!g || strcmp(g->node, node) != 0)
		LEAVE(notfound(err, node, vmid));
	if (g->lock[0])
		LEAVE(fail(err, PHX_E_LOCKED, 500, "CT is locked (%s)", g->lock));
	if (n == 0)
		LEAVE(fail(err, PHX_E_REFUSED, 500, "no options specified"));
	apply_params(g, p, n);
	LEAVE(0);
}

static int f_status_op(void *ctx, const char *node, uint32_t vmid, const char *op,
		       char upid[PHX_UPID_MAX], struct phx_err *err)
{
	struct guest *g;
	struct task *t;

	ENTER(op, vmid, NULL, 0);
	g = find(f, vmid);
	if (!g || strcmp(g->node, node) != 0)
		LEAVE(notfound(err, node, vmid));
	if (strcmp(op, "start") == 0) {
		if (g->running)
			LEAVE(fail(err, PHX_E_REFUSED, 500, "CT %u already running", vmid));
		t = start_task(f, node, "vzstart", vmid, vmid);
		if (g->template_)
			snprintf(t->exitstatus, sizeof(t->exitstatus),
				 "you can't start a CT if it's a template");
		else if (g->lock[0])
			snprintf(t->exitstatus, sizeof(t->exitstatus), "CT is locked (%s)", g->lock);
	} else {
		if (!g->running)
			LEAVE(fail(err, PHX_E_REFUSED, 500, "CT %u not running", vmid));
		t = start_task(f, node, "vzstop", vmid, vmid);
	}
	snprintf(upid, PHX_UPID_MAX, "%s", t->upid);
	LEAVE(0);
}

static int f_template(void *ctx, const char *node, uint32_t vmid, struct phx_err *err)
{
	struct guest *g;

	ENTER("template", vmid, NULL, 0);
	g = find(f, vmid);
	if (!g || strcmp(g->node, node) != 0)
		LEAVE(notfound(err, node, vmid));
	if (g->lock[0])
		LEAVE(fail(err, PHX_E_LOCKED, 500, "CT is locked (%s)", g->lock));
	if (g->template_)
		LEAVE(fail(err, PHX_E_REFUSED, 500, "you can't convert a template to a template"));
	if (g->running)
		LEAVE(fail(err, PHX_E_REFUSED, 500,
			   "you can't convert a CT to template if the CT is running"));
	start_task(f, node, "vztemplate", vmid, vmid); /* hidden: no UPID out */
	LEAVE(0);
}

static int f_destroy_ct(void *ctx, const char *node, uint32_t vmid, const struct phx_kv *p,
			size_t n, char upid[PHX_UPID_MAX], struct phx_err *err)
{
	struct guest *g;
	struct task *t;

	ENTER("destroy", vmid, p, n);
	g = find(f, vmid);
	if (!g || strcmp(g->node, node) != 0)
		LEAVE(notfound(err, node, vmid));
	if (g->lock[0])
		LEAVE(fail(err, PHX_E_LOCKED, 500, "CT is locked (%s)", g->lock));
	if (g->running)
		LEAVE(fail(err, PHX_E_REFUSED, 500,
			   "unable to destroy CT %u - container is running", vmid));
	t = start_task(f, node, "vzdestroy", vmid, vmid);
	snprintf(upid, PHX_UPID_MAX, "%s", t->upid);
	LEAVE(0);
}

/* Snapshots (pve-container API2/LXC/Snapshot.pm): a task each, the CT
 * locked meanwhile; names are unique; a template has none. */
static int f_list_snapshots(void *ctx, const char *node, uint32_t vmid, char ***names,
			    size_t *n, struct phx_err *err)
{
	struct guest *g;
	char copy[256], *save = NULL;

	ENTER("list_snapshots", vmid, NULL, 0);
	g = find(f, vmid);
	if (!g || strcmp(g->node, node) != 0)
		LEAVE(notfound(err, node, vmid));
	*n = 0;
	*names = calloc(16, sizeof(char *));
	snprintf(copy, sizeof(copy), "%s", g->snaps);
	for (char *w = strtok_r(copy, " ", &save); w && *n < 16; w = strtok_r(NULL, " ", &save))
		(*names)[(*n)++] = strdup(w);
	LEAVE(0);
}

static int snap_op(struct fake *f, const char *node, uint32_t vmid, const char *name,
		   bool del_, char upid[PHX_UPID_MAX], struct phx_err *err)
{
	struct guest *g = find(f, vmid);
	struct task *t;

	if (!g || strcmp(g->node, node) != 0)
		return notfound(err, node, vmid);
	if (g->lock[0])
		return fail(err, PHX_E_LOCKED, 500, "CT is locked (%s)", g->lock);
	if (g->template_)
		return fail(err, PHX_E_REFUSED, 500, "snapshot feature is not available");
	if (del_ != has_snap(g, name))
		return fail(err, PHX_E_REFUSED, 500, del_ ? "snapshot '%s' does not exist" :
			    "snapshot name '%s' already used", name);
	snprintf(g->lock, sizeof(g->lock), "%s", del_ ? "snapshot-delete" : "snapshot");
	t = start_task(f, node, del_ ? "vzdelsnapshot" : "vzsnapshot", vmid, vmid);
	snprintf(t->snap, sizeof(t->snap), "%s", name);
	snprintf(upid, PHX_UPID_MAX, "%s", t->upid);
	return 0;
}

static int f_snapshot(void *ctx, const char *node, uint32_t vmid, const char *name,
		      const char *description, char upid[PHX_UPID_MAX], struct phx_err *err)
{
	struct phx_kv kv = { "snapname", name };

	(void)description;
	ENTER("snapshot", vmid, &kv, 1);
	LEAVE(snap_op(f, node, vmid, name, false, upid, err));
}

static int f_delete_snapshot(void *ctx, const char *node, uint32_t vmid, const char *name,
			     char upid[PHX_UPID_MAX], struct phx_err *err)
{
	struct phx_kv kv = { "snapname", name };

	ENTER("delete_snapshot", vmid, &kv, 1);
	LEAVE(snap_op(f, node, vmid, name, true, upid, err));
}

static struct task *task_by_upid(struct fake *f, const char *upid)
{
	for (size_t i = 0; i < f->nt; i++)
		if (strcmp(f->t[i].upid, upid) == 0)
			return &f->t[i];
	return NULL;
}

static int f_task_status(void *ctx, const char *upid, struct phx_task_status *st,
			 struct phx_err *err)
{
	struct task *t;

	ENTER("task_status", 0, NULL, 0);
	t = task_by_upid(f, upid);
	if (!t)
		LEAVE(fail(err, PHX_E_REFUSED, 400, "no such task"));
	st->running = !t->done;
	snprintf(st->exitstatus, sizeof(st->exitstatus), "%s", t->done ? t->exitstatus : "");
	LEAVE(0);
}

static int f_task_log(void *ctx, const char *upid, unsigned start, char ***lines,
		      size_t *n, struct phx_err *err)
{
	char all[2][300];
	size_t total = 1;
	struct task *t;

	ENTER("task_log", 0, NULL, 0);
	t = task_by_upid(f, upid);
	if (!t)
		LEAVE(fail(err, PHX_E_REFUSED, 400, "no such task"));
	snprintf(all[0], sizeof(all[0]), "%s of %u", t->type, t->target);
	if (t->done) {
		total = 2;
		if (strcmp(t->exitstatus, "OK") == 0)
			snprintf(all[1], sizeof(all[1]), "TASK OK");
		else
			snprintf(all[1], sizeof(all[1]), "TASK ERROR: %s", t->exitstatus);
	}
	*n = start < total ? total - start : 0;
	*lines = calloc(*n ? *n : 1, sizeof(char *));
	for (size_t i = 0; i < *n; i++)
		(*lines)[i] = strdup(all[start + i]);
	LEAVE(0);
}

static int f_last_task(void *ctx, const char *node, uint32_t vmid, const char *type,
		       char upid[PHX_UPID_MAX], struct phx_task_status *st, struct phx_err *err)
{
	ENTER("last_task", vmid, NULL, 0);
	(void)node;
	upid[0] = '\0';
	for (size_t i = f->nt; i-- > 0;)
		if (f->t[i].id == vmid && strcmp(f->t[i].type, type) == 0) {
			snprintf(upid, PHX_UPID_MAX, "%s", f->t[i].upid);
			st->running = !f->t[i].done;
			snprintf(st->exitstatus, sizeof(st->exitstatus), "%s",
				 f->t[i].done ? f->t[i].exitstatus : "");
			break;
		}
	LEAVE(0);
}

/* A stock node's storages: what the clone step asks to decide between a
 * linked and a full clone (engine/clone_mode.c). */
static int f_list_storage(void *ctx, struct phx_storage_list *out, struct phx_err *err)
{
	static const char *const st[][3] = {
		{ "local", "dir", "vztmpl,iso,backup" },
		{ "local-lvm", "lvmthin", "rootdir,images" },
		{ "local-zfs", "zfspool", "rootdir,images" },
	};
	ENTER("list_storage", 0, NULL, 0);
	(void)err;
	out->n = sizeof(st) / sizeof(st[0]);
	out->v = calloc(out->n, sizeof(*out->v));
	for (size_t i = 0; out->v && i < out->n; i++) {
		snprintf(out->v[i].id, sizeof(out->v[i].id), "%s", st[i][0]);
		snprintf(out->v[i].type, sizeof(out->v[i].type), "%s", st[i][1]);
		snprintf(out->v[i].content, sizeof(out->v[i].content), "%s", st[i][2]);
	}
	if (!out->v)
		out->n = 0;
	LEAVE(0);
}

static void f_destroy(void *ctx)
{
	(void)ctx;
}

static const struct phx_driver_ops fake_ops = {
	.destroy = f_destroy,
	.list_guests = f_list_guests,
	.list_nodes = f_list_nodes,
	.get_config = f_get_config,
	.create = f_create,
	.clone = f_clone,
	.set_config = f_set_config,
	.status_op = f_status_op,
	.template_ = f_template,
	.destroy_ct = f_destroy_ct,
	.task_status = f_task_status,
	.task_log = f_task_log,
	.last_task = f_last_task,
	.list_storage = f_list_storage,
	.list_snapshots = f_list_snapshots,
	.snapshot = f_snapshot,
	.delete_snapshot = f_delete_snapshot,
};

struct fake *fake_new(const char *const *nodes, size_t nnodes, unsigned task_ms)
{
	struct fake *f = calloc(1, sizeof(*f));

	pthread_mutex_init(&f->lock, NULL);
	for (size_t i = 0; i < nnodes && i < 4; i++)
		snprintf(f->nodes[i], sizeof(f->nodes[i]), "%s", nodes[i]);
	f->nnodes = nnodes;
	f->task_ms = task_ms;
	return f;
}

void fake_free(struct fake *f)
{
	for (size_t i = 0; i < MAXG; i++)
		if (f->g[i].exists)
			del(&f->g[i]);
	for (size_t i = 0; i < f->ncalls; i++)
		free(f->calls[i].params);
	free(f->frozen.v);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

struct phx_driver fake_driver(struct fake *f)
{
	struct phx_driver d = { &fake_ops, f };

	return d;
}

void fake_add_ct(struct fake *f, const char *node, uint32_t vmid, bool template_,
		 bool running, const char *lock)
{
	struct guest *g;

	pthread_mutex_lock(&f->lock);
	g = add(f, vmid, node);
	g->template_ = template_;
	g->running = running;
	snprintf(g->lock, sizeof(g->lock), "%s", lock ? lock : "");
	json_object_object_add(g->cfg, "hostname", json_object_new_string("preexisting"));
	pthread_mutex_unlock(&f->lock);
}

static void add_fault(struct fake *f, const char *op, uint32_t vmid, int times,
		      enum phx_err_kind kind, const char *msg, bool lose, bool task)
{
	struct fault *x;

	pthread_mutex_lock(&f->lock);
	x = &f->faults[f->nf++];
	snprintf(x->op, sizeof(x->op), "%s", op);
	x->vmid = vmid;
	x->times = times;
	x->kind = kind;
	snprintf(x->msg, sizeof(x->msg), "%s", msg ? msg : "");
	x->lose = lose;
	x->task = task;
	x->http = 500;
	pthread_mutex_unlock(&f->lock);
}

void fake_fail_call(struct fake *f, const char *op, uint32_t vmid, int times,
		    enum phx_err_kind kind, const char *msg)
{
	add_fault(f, op, vmid, times, kind, msg, false, false);
}

void fake_fail_task(struct fake *f, const char *type, uint32_t vmid, const char *exitstatus)
{
	add_fault(f, type, vmid, 1, PHX_E_OK, exitstatus, false, true);
}

void fake_lose_answer(struct fake *f, const char *op, uint32_t vmid)
{
	add_fault(f, op, vmid, 1, PHX_E_EXISTS, "", true, false);
}

void fake_set_listing_lag(struct fake *f, bool lag)
{
	pthread_mutex_lock(&f->lock);
	f->lag = lag;
	pthread_mutex_unlock(&f->lock);
}

#define OBSERVE(expr)                                  \
	do {                                           \
		pthread_mutex_lock(&f->lock);          \
		advance(f);                            \
		struct guest *g = find(f, vmid);       \
		bool b_ = (expr);                      \
		pthread_mutex_unlock(&f->lock);        \
		return b_;                             \
	} while (0)

bool fake_exists(struct fake *f, uint32_t vmid) { OBSERVE(g != NULL); }
bool fake_is_template(struct fake *f, uint32_t vmid) { OBSERVE(g && g->template_); }
bool fake_is_running(struct fake *f, uint32_t vmid) { OBSERVE(g && g->running); }

unsigned fake_created_seq(struct fake *f, uint32_t vmid)
{
	unsigned s;

	pthread_mutex_lock(&f->lock);
	s = find(f, vmid) ? find(f, vmid)->created_seq : 0;
	pthread_mutex_unlock(&f->lock);
	return s;
}

unsigned fake_calls(struct fake *f, const char *op, uint32_t vmid)
{
	unsigned n = 0;

	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < f->ncalls; i++)
		if (strcmp(f->calls[i].op, op) == 0 && (!vmid || f->calls[i].vmid == vmid))
			n++;
	pthread_mutex_unlock(&f->lock);
	return n;
}

unsigned fake_max_tasks(struct fake *f)
{
	unsigned n;

	pthread_mutex_lock(&f->lock);
	n = f->max_tasks;
	pthread_mutex_unlock(&f->lock);
	return n;
}

unsigned fake_max_clones_per_source(struct fake *f)
{
	unsigned n;

	pthread_mutex_lock(&f->lock);
	n = f->max_clones;
	pthread_mutex_unlock(&f->lock);
	return n;
}

unsigned fake_guests(struct fake *f)
{
	unsigned n = 0;

	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < MAXG; i++)
		n += f->g[i].exists;
	pthread_mutex_unlock(&f->lock);
	return n;
}

char *fake_last_params(struct fake *f, const char *op, uint32_t vmid)
{
	char *s = NULL;

	pthread_mutex_lock(&f->lock);
	for (size_t i = f->ncalls; i-- > 0;)
		if (strcmp(f->calls[i].op, op) == 0 && f->calls[i].vmid == vmid) {
			s = strdup(f->calls[i].params);
			break;
		}
	pthread_mutex_unlock(&f->lock);
	return s ? s : strdup("");
}

void fake_config(struct fake *f, uint32_t vmid, const char *key, char *buf, size_t len)
{
	struct guest *g;
	json_object *v;

	pthread_mutex_lock(&f->lock);
	g = find(f, vmid);
	snprintf(buf, len, "%s", g && json_object_object_get_ex(g->cfg, key, &v) ?
		 json_object_get_string(v) : "");
	pthread_mutex_unlock(&f->lock);
}

/* --- changes made by someone else (the GUI, pct) --- */

void fake_outside_set(struct fake *f, uint32_t vmid, const char *key, const char *value)
{
	struct guest *g;

	pthread_mutex_lock(&f->lock);
	g = find(f, vmid);
	if (g)
		json_object_object_add(g->cfg, key, json_object_new_string(value));
	pthread_mutex_unlock(&f->lock);
}

void fake_outside_power(struct fake *f, uint32_t vmid, bool running)
{
	struct guest *g;

	pthread_mutex_lock(&f->lock);
	g = find(f, vmid);
	if (g)
		g->running = running;
	pthread_mutex_unlock(&f->lock);
}

void fake_outside_delete(struct fake *f, uint32_t vmid)
{
	struct guest *g;

	pthread_mutex_lock(&f->lock);
	g = find(f, vmid);
	if (g)
		del(g);
	pthread_mutex_unlock(&f->lock);
}

void fake_freeze_listing(struct fake *f, bool freeze)
{
	struct phx_err err;

	if (freeze) {
		struct phx_guest_list l = { 0 };

		f_list_guests(f, &l, &err);
		pthread_mutex_lock(&f->lock);
		free(f->frozen.v);
		f->frozen = l;
		f->freeze = true;
		pthread_mutex_unlock(&f->lock);
		return;
	}
	pthread_mutex_lock(&f->lock);
	f->freeze = false;
	pthread_mutex_unlock(&f->lock);
}

void fake_add_vm(struct fake *f, const char *node, uint32_t vmid)
{
	struct guest *g;

	pthread_mutex_lock(&f->lock);
	g = add(f, vmid, node);
	g->vm = true;
	pthread_mutex_unlock(&f->lock);
}

void fake_drop_call(struct fake *f, const char *op, uint32_t vmid, int times)
{
	add_fault(f, op, vmid, times, PHX_E_TRANSIENT, "Connection refused", false, false);
	pthread_mutex_lock(&f->lock);
	f->faults[f->nf - 1].http = 0;
	pthread_mutex_unlock(&f->lock);
}
