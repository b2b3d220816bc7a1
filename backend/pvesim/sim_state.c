/* The simulated cluster's state: options, guest lookup, and persistence of
 * everything in state.json. Core layer: uses sim_params.c and sim_res.c,
 * nothing above. */
#include "sim_internal.h"
#include "backend/atomic_file.h"
#include "backend/comma_list.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *sim_storage_type_name(enum sim_storage_type t)
{
	switch (t) {
	case ST_DIR: return "dir";
	case ST_LVMTHIN: return "lvmthin";
	case ST_ZFSPOOL: return "zfspool";
	case ST_NFS: return "nfs";
	}
	return "dir";
}

int sim_storage_type_parse(const char *s, enum sim_storage_type *t)
{
	static const enum sim_storage_type all[] = { ST_DIR, ST_LVMTHIN,
						     ST_ZFSPOOL, ST_NFS };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (!strcmp(s, sim_storage_type_name(all[i]))) {
			*t = all[i];
			return 0;
		}
	return -EINVAL;
}

/* Proxmox marks nfs (and other network storages) shared; local dir, LVM-thin
 * and ZFS pools are per node. */
bool sim_storage_is_shared(enum sim_storage_type t)
{
	return t == ST_NFS;
}

static bool valid_name(const char *s, bool allow_dot)
{
	size_t n = strlen(s);
	if (n == 0 || n >= SIM_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-' ||
			  (allow_dot && (c == '_' || c == '.'));
		if (!ok)
			return false;
	}
	return s[0] != '-' && s[n - 1] != '-';
}

int sim_opts_add_node(struct sim_opts *o, const char *name)
{
	if (o->n_nodes >= SIM_MAX_NODES || !valid_name(name, false))
		return -EINVAL;
	for (int i = 0; i < o->n_nodes; i++)
		if (!strcmp(o->nodes[i], name))
			return -EEXIST;
	snprintf(o->nodes[o->n_nodes++], SIM_NAME_MAX, "%s", name);
	return 0;
}

int sim_opts_add_qemu(struct sim_opts *o, const char *spec)
{
	char buf[160], *node = NULL, *st = NULL, *end;
	unsigned long vmid;

	if (o->n_qemu >= (int)(sizeof(o->qemu) / sizeof(o->qemu[0])) ||
	    strlen(spec) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", spec);
	if ((node = strchr(buf, ':'))) {
		*node++ = 0;
		if ((st = strchr(node, ':')))
			*st++ = 0;
	}
	vmid = strtoul(buf, &end, 10);
	if (end == buf || *end || vmid < 100 || vmid > 999999999UL)
		return -EINVAL;
	if (node && *node && !valid_name(node, false))
		return -EINVAL;
	if (st && strcmp(st, "running") && strcmp(st, "stopped"))
		return -EINVAL;
	o->qemu[o->n_qemu].vmid = (unsigned)vmid;
	snprintf(o->qemu[o->n_qemu].node, SIM_NAME_MAX, "%s", node ? node : "");
	o->qemu[o->n_qemu].running = !st || !strcmp(st, "running");
	o->n_qemu++;
	return 0;
}

int sim_opts_add_storage(struct sim_opts *o, const char *spec)
{
	char id[SIM_NAME_MAX], type[16];
	const char *colon = strchr(spec, ':'), *path;
	struct sim_storage *st;
	enum sim_storage_type t;
	size_t tl;

	if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof(id) ||
	    o->n_storages >= SIM_MAX_STORAGES)
		return -EINVAL;
	memcpy(id, spec, colon - spec);
	id[colon - spec] = 0;
	path = strchr(colon + 1, ':');
	tl = path ? (size_t)(path - colon - 1) : strlen(colon + 1);
	if (tl >= sizeof(type))
		return -EINVAL;
	memcpy(type, colon + 1, tl);
	type[tl] = 0;
	if (!valid_name(id, true) || sim_storage_type_parse(type, &t))
		return -EINVAL;
	/* only file-based storages have a path, and it is absolute */
	if (path && (path[1] != '/' || strlen(path + 1) >= sizeof(st->path) ||
		     (t != ST_DIR && t != ST_NFS)))
		return -EINVAL;
	for (int i = 0; i < o->n_storages; i++)
		if (!strcmp(o->storages[i].id, id))
			return -EEXIST;
	st = &o->storages[o->n_storages++];
	memset(st, 0, sizeof(*st));
	snprintf(st->id, SIM_NAME_MAX, "%s", id);
	st->type = t;
	if (path)
		snprintf(st->path, sizeof(st->path), "%s", path + 1);
	else if (t == ST_DIR && !strcmp(id, "local"))
		snprintf(st->path, sizeof(st->path), "/var/lib/vz");
	else if (t == ST_DIR || t == ST_NFS)
		snprintf(st->path, sizeof(st->path), "/mnt/pve/%s", id);
	return 0;
}

int sim_opts_set_version(struct sim_opts *o, const char *v)
{
	if (strcmp(v, "8") && strcmp(v, "9"))
		return -EINVAL;
	o->pve_version = v[0] - '0';
	return 0;
}

/* Fill in what the command line left out: PVE 9, one node `pve`, the three
 * stock storages. */
void sim_opts_defaults(struct sim_opts *o)
{
	if (o->pve_version == 0)
		o->pve_version = 9;
	if (o->n_nodes == 0)
		sim_opts_add_node(o, "pve");
	if (o->n_storages == 0) {
		sim_opts_add_storage(o, "local:dir");
		sim_opts_add_storage(o, "local-lvm:lvmthin");
		sim_opts_add_storage(o, "local-zfs:zfspool");
	}
}

static uint64_t default_mono(void *ctx)
{
	struct timespec ts;
	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static time_t default_epoch(void *ctx)
{
	(void)ctx;
	return time(NULL);
}

struct sim *sim_new(const struct sim_opts *opts, char *err, size_t errlen)
{
	struct sim *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->o = *opts;
	sim_opts_defaults(&s->o);
	if (opts->state_dir)
		snprintf(s->state_path, sizeof(s->state_path),
			 "%s/state.json", opts->state_dir);
	s->guests = json_object_new_object();
	s->volumes = json_object_new_object();
	s->mono = default_mono;
	s->epoch = default_epoch;
	s->next_pid = 0x1000 + (getpid() & 0xfff);
	s->rng = 0x9E3779B97F4A7C15ull ^ (uint64_t)time(NULL);
	s->boot_ms = sim_now(s);
	return s;
}

static void task_release(struct sim_task *t)
{
	json_object_put(t->args);
	json_object_put(t->log);
}

void sim_free(struct sim *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->n_tasks; i++)
		task_release(&s->tasks[i]);
	free(s->tasks);
	json_object_put(s->guests);
	json_object_put(s->volumes);
	json_object_put(s->access);
	free(s);
}

void sim_set_clock(struct sim *s, sim_clock_fn mono, sim_epoch_fn epoch,
		   void *ctx)
{
	s->mono = mono;
	s->epoch = epoch;
	s->clock_ctx = ctx;
	s->boot_ms = sim_now(s);
	s->next_stats_ms = 0;
}

void sim_set_seed(struct sim *s, uint64_t seed)
{
	s->rng = seed ? seed : 1;
}

uint64_t sim_now(struct sim *s)
{
	return s->mono(s->clock_ctx);
}

time_t sim_epoch_now(struct sim *s)
{
	return s->epoch(s->clock_ctx);
}

/* xorshift64*: reproducible MACs and secrets-free randomness per seed */
uint64_t sim_rand(struct sim *s)
{
	uint64_t x = s->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	s->rng = x;
	return x * 0x2545F4914F6CDD1Dull;
}

bool sim_is_node(struct sim *s, const char *node)
{
	for (int i = 0; i < s->o.n_nodes; i++)
		if (!strcmp(s->o.nodes[i], node))
			return true;
	return false;
}

int sim_set_node_offline(struct sim *s, const char *node, bool offline)
{
	for (int i = 1; i < s->o.n_nodes; i++)
		if (!strcmp(s->o.nodes[i], node)) {
			s->offline[i] = offline;
			return 0;
		}
	return -1;
}

int sim_set_storage_nodes(struct sim *s, const char *spec)
{
	const char *colon = strchr(spec, ':');
	struct sim_storage *st = NULL;
	char list[256], *save = NULL;

	if (!colon || strlen(colon + 1) >= sizeof(list))
		return -EINVAL;
	for (int i = 0; i < s->o.n_storages; i++)
		if (!strncmp(s->o.storages[i].id, spec, colon - spec) &&
		    !s->o.storages[i].id[colon - spec])
			st = &s->o.storages[i];
	if (!st)
		return -EINVAL;
	snprintf(list, sizeof(list), "%s", colon + 1);
	for (char *n = strtok_r(list, ",", &save); n; n = strtok_r(NULL, ",", &save))
		if (!sim_is_node(s, n))
			return -EINVAL;
	snprintf(st->nodes, sizeof(st->nodes), "%s", colon + 1);
	return 0;
}

int sim_set_node_memory(struct sim *s, const char *spec)
{
	const char *colon = strchr(spec, ':');
	char *end;
	unsigned long gib;

	if (!colon)
		return -EINVAL;
	gib = strtoul(colon + 1, &end, 10);
	if (*end || end == colon + 1 || gib == 0 || gib > 1u << 20)
		return -EINVAL;
	for (int i = 0; i < s->o.n_nodes; i++)
		if (!strncmp(s->o.nodes[i], spec, colon - spec) && !s->o.nodes[i][colon - spec]) {
			s->o.node_mem_gib[i] = (unsigned)gib;
			return 0;
		}
	return -EINVAL;
}

/* pve-storage Storage.pm storage_check_node: a storage with `nodes` is
 * only on those */
bool sim_storage_on_node(const struct sim_storage *st, const char *node)
{
	return !st->nodes[0] || phx_comma_list_has(st->nodes, node);
}

bool sim_node_offline(struct sim *s, const char *node)
{
	for (int i = 1; i < s->o.n_nodes; i++)
		if (!strcmp(s->o.nodes[i], node))
			return s->offline[i];
	return false;
}

const char *sim_local_node(struct sim *s)
{
	return s->o.nodes[0];
}

const struct sim_storage *sim_storage_find(struct sim *s, const char *sid)
{
	for (int i = 0; i < s->o.n_storages; i++)
		if (!strcmp(s->o.storages[i].id, sid))
			return &s->o.storages[i];
	return NULL;
}

json_object *sim_guest(struct sim *s, int vmid)
{
	char key[16];
	json_object *g;
	snprintf(key, sizeof(key), "%d", vmid);
	return json_object_object_get_ex(s->guests, key, &g) ? g : NULL;
}

json_object *sim_guest_conf(json_object *g)
{
	json_object *c = NULL;
	json_object_object_get_ex(g, "conf", &c);
	return c;
}

const char *sim_guest_node(json_object *g)
{
	json_object *n;
	return json_object_object_get_ex(g, "node", &n) ?
		json_object_get_string(n) : "";
}

bool sim_guest_running(json_object *g)
{
	json_object *v;
	return json_object_object_get_ex(g, "running", &v) &&
	       json_object_get_boolean(v);
}

bool sim_guest_template(json_object *g)
{
	json_object *v;
	return json_object_object_get_ex(sim_guest_conf(g), "template", &v) &&
	       json_object_get_int(v) == 1;
}

const char *sim_guest_lock(json_object *g)
{
	json_object *v;
	return json_object_object_get_ex(sim_guest_conf(g), "lock", &v) ?
		json_object_get_string(v) : NULL;
}

void sim_set_lock(json_object *g, const char *lock)
{
	json_object *c = sim_guest_conf(g);
	if (lock)
		json_object_object_add(c, "lock", json_object_new_string(lock));
	else
		json_object_object_del(c, "lock");
}

void sim_mark_dirty(struct sim *s)
{
	s->dirty = true;
}

bool sim_dirty(const struct sim *s)
{
	return s->dirty;
}

int sim_check_node(struct sim *s, const char *node, struct sim_res *r)
{
	if (sim_is_node(s, node))
		return 0;
	if (!valid_name(node, false)) {
		res_param(r, "node",
			  "invalid format - value does not look like a valid node name\n");
		return -1;
	}
	res_err(r, 500,
		"hostname lookup '%s' failed - failed to get address info for: %s: Name or service not known",
		node, node);
	return -1;
}

json_object *sim_load_config(struct sim *s, const char *node,
			     const char *vmid, struct sim_res *r, int *vmid_out)
{
	int id = sim_parse_vmid(vmid);
	json_object *g;

	if (id < 0) {
		res_param(r, "vmid",
			  "invalid format - value does not look like a valid VM ID\n");
		return NULL;
	}
	if (id < 100) {
		res_param(r, "vmid", "value must have a minimum value of 100");
		return NULL;
	}
	*vmid_out = id;
	g = sim_guest(s, id);
	if (!g || strcmp(sim_guest_node(g), node)) {
		res_missing_conf(r, node, id);
		return NULL;
	}
	return g;
}

int sim_unlock(struct sim *s, int vmid)
{
	json_object *g = sim_guest(s, vmid);
	if (!g)
		return -ENOENT;
	sim_set_lock(g, NULL);
	sim_mark_dirty(s);
	return 0;
}

/* ---- persistence ---- */

static json_object *task_to_json(const struct sim_task *t)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "upid", json_object_new_string(t->upid));
	json_object_object_add(o, "endtime", json_object_new_int64(t->endtime));
	json_object_object_add(o, "running",
			       json_object_new_boolean(t->phase != TP_DONE));
	json_object_object_add(o, "exitstatus",
			       json_object_new_string(t->exitstatus));
	json_object_object_add(o, "log", json_object_get(t->log));
	json_object_object_add(o, "args", json_object_get(t->args));
	return o;
}

int sim_save(struct sim *s, char *err, size_t errlen)
{
	json_object *root, *tasks;
	const char *text;
	int rc;

	if (!s->o.state_dir) {
		s->dirty = false;
		return 0;
	}
	root = json_object_new_object();
	tasks = json_object_new_array();
	json_object_object_add(root, "format", json_object_new_int(1));
	json_object_object_add(root, "next_pid",
			       json_object_new_int64(s->next_pid));
	json_object_object_add(root, "guests", json_object_get(s->guests));
	json_object_object_add(root, "volumes", json_object_get(s->volumes));
	for (int i = 0; i < s->n_tasks; i++)
		json_object_array_add(tasks, task_to_json(&s->tasks[i]));
	json_object_object_add(root, "tasks", tasks);
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	rc = atomic_write_file(s->state_path, text, strlen(text), 0600, err,
			       errlen);
	json_object_put(root);
	if (rc == 0)
		s->dirty = false;
	return rc;
}

/* UPID:node:pid:pstart:starttime:type:id:user: */
static int task_from_upid(struct sim_task *t, const char *upid)
{
	char buf[sizeof(t->upid)];
	char *f[10];
	int n = 0;
	char *p;

	snprintf(buf, sizeof(buf), "%s", upid);
	p = buf;
	while (n < 10) {
		f[n++] = p;
		p = strchr(p, ':');
		if (!p)
			break;
		*p++ = 0;
	}
	if (n != 9 || strcmp(f[0], "UPID") || *f[8])
		return -EINVAL;
	snprintf(t->upid, sizeof(t->upid), "%s", upid);
	snprintf(t->node, sizeof(t->node), "%s", f[1]);
	t->pid = strtoul(f[2], NULL, 16);
	t->pstart = strtoul(f[3], NULL, 16);
	t->starttime = strtoll(f[4], NULL, 16);
	snprintf(t->type, sizeof(t->type), "%s", f[5]);
	snprintf(t->id, sizeof(t->id), "%s", f[6]);
	snprintf(t->user, sizeof(t->user), "%s", f[7]);
	return 0;
}

static void restore_task(struct sim *s, json_object *o)
{
	json_object *v;
	struct sim_task t;

	memset(&t, 0, sizeof(t));
	if (!json_object_object_get_ex(o, "upid", &v) ||
	    task_from_upid(&t, json_object_get_string(v)))
		return;
	t.phase = TP_DONE;
	if (json_object_object_get_ex(o, "log", &v) &&
	    json_object_is_type(v, json_type_array))
		t.log = json_object_get(v);
	else
		t.log = json_object_new_array();
	if (json_object_object_get_ex(o, "args", &v))
		t.args = json_object_get(v);
	else
		t.args = json_object_new_object();
	if (json_object_object_get_ex(o, "endtime", &v))
		t.endtime = json_object_get_int64(v);
	if (json_object_object_get_ex(o, "exitstatus", &v))
		snprintf(t.exitstatus, sizeof(t.exitstatus), "%s",
			 json_object_get_string(v));
	if (json_object_object_get_ex(o, "running", &v) &&
	    json_object_get_boolean(v)) {
		/* The worker died with the node: its log has no final TASK
		 * line, which the real read_status reports like this. */
		snprintf(t.exitstatus, sizeof(t.exitstatus),
			 "unexpected status");
		t.endtime = sim_epoch_now(s);
	}
	if (s->n_tasks == s->cap_tasks) {
		int cap = s->cap_tasks ? s->cap_tasks * 2 : 64;
		struct sim_task *nt = realloc(s->tasks, cap * sizeof(*nt));
		if (!nt) {
			task_release(&t);
			return;
		}
		s->tasks = nt;
		s->cap_tasks = cap;
	}
	s->tasks[s->n_tasks++] = t;
}

int sim_load(struct sim *s, char *err, size_t errlen)
{
	json_object *root, *v;

	if (!s->o.state_dir)
		return 0;
	if (access(s->state_path, F_OK) != 0)
		return 0;
	root = json_object_from_file(s->state_path);
	if (!root) {
		snprintf(err, errlen, "%s: %s", s->state_path,
			 json_util_get_last_err());
		return -EINVAL;
	}
	if (json_object_object_get_ex(root, "guests", &v) &&
	    json_object_is_type(v, json_type_object)) {
		json_object_put(s->guests);
		s->guests = json_object_get(v);
	}
	if (json_object_object_get_ex(root, "volumes", &v) &&
	    json_object_is_type(v, json_type_object)) {
		json_object_put(s->volumes);
		s->volumes = json_object_get(v);
	}
	if (json_object_object_get_ex(root, "next_pid", &v))
		s->next_pid = (uint32_t)json_object_get_int64(v);
	if (json_object_object_get_ex(root, "tasks", &v) &&
	    json_object_is_type(v, json_type_array))
		for (size_t i = 0; i < json_object_array_length(v); i++)
			restore_task(s, json_object_array_get_idx(v, i));
	json_object_put(root);

	/* The node "rebooted": containers come back stopped unless onboot
	 * starts them again; locks stay as they were (pct unlock clears). */
	json_object_object_foreach(s->guests, key, g) {
		json_object *ob;
		(void)key;
		if (!sim_guest_running(g))
			continue;
		if (json_object_object_get_ex(sim_guest_conf(g), "onboot", &ob) &&
		    json_object_get_int(ob) == 1 && !sim_guest_template(g))
			continue;
		json_object_object_add(g, "running",
				       json_object_new_boolean(0));
	}
	/* pvestatd has published nothing yet after the reboot */
	json_object_object_foreach(s->guests, key2, g2) {
		(void)key2;
		json_object_object_del(g2, "rrd");
	}
	s->dirty = true;
	return 0;
}

long long sim_conf_int(json_object *c, const char *k, long long dflt)
{
	json_object *v;
	if (!json_object_object_get_ex(c, k, &v))
		return dflt;
	return strtoll(json_object_get_string(v), NULL, 10);
}

/* Node i's memory in use now: 1 GiB for the host plus the running guests'
 * memory. Here, beside the guest accessors, because both the listings
 * (sim_cluster.c) and pvestatd's publishing (sim_task.c) read it. */
long long sim_node_mem_now(struct sim *s, int i)
{
	long long used = 1LL << 30;
	json_object_object_foreach(s->guests, k, g) {
		(void)k;
		if (!strcmp(sim_guest_node(g), s->o.nodes[i]) && sim_guest_running(g))
			used += sim_conf_int(sim_guest_conf(g), "memory", 512) << 20;
	}
	return used;
}
