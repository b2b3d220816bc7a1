/* Snapshots (pve-container API2/LXC/Snapshot.pm, PVE::AbstractConfig
 * snapshot_create/delete/rollback): list, create, delete, rollback. */
#include "sim_internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct sim_task_kind kind_vzsnapshot, kind_vzdelsnapshot,
	kind_vzrollback;

void sim_snapshot_list(struct sim *s, const char *node, const char *vmid,
		       struct sim_res *r)
{
	json_object *g, *arr, *cur, *v;
	char digest[41];
	int id;

	/* the method's `permissions` (RPCEnvironment.pm check) */
	if (sim_vm_perm(s, vmid, "VM.Audit", false, r))
		return;
	if (sim_check_node(s, node, r))
		return;
	g = sim_load_config(s, node, vmid, r, &id);
	if (!g)
		return;
	arr = json_object_new_array();
	json_object_object_foreach(sim_guest_snapshots(g), name, sc) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(name));
		sim_add_num(o, "snaptime", json_object_object_get_ex(sc, "snaptime", &v) ?
			json_object_get_int64(v) : 0);
		json_object_object_add(o, "description", json_object_new_string(
			json_object_object_get_ex(sc, "description", &v) ?
			json_object_get_string(v) : ""));
		if (json_object_object_get_ex(sc, "parent", &v))
			json_object_object_add(o, "parent", json_object_get(v));
		json_object_array_add(arr, o);
	}
	cur = json_object_new_object();
	sim_conf_digest(g, digest);
	json_object_object_add(cur, "name", json_object_new_string("current"));
	json_object_object_add(cur, "digest", json_object_new_string(digest));
	sim_add_num(cur, "running", sim_guest_running(g));
	json_object_object_add(cur, "description", json_object_new_string("You are here!"));
	if (json_object_object_get_ex(sim_guest_conf(g), "parent", &v))
		json_object_object_add(cur, "parent", json_object_get(v));
	json_object_array_add(arr, cur);
	res_ok(r, arr);
}

static int snap_task(struct sim *s, const char *node, const char *vmid,
		     const struct sim_task_kind *type, const char *snap, json_object *p,
		     const struct sim_call *c, struct sim_res *r)
{
	json_object *g, *args;
	struct sim_task *t;
	int id;

	g = sim_load_config(s, node, vmid, r, &id);
	if (!g)
		return -1;
	args = json_object_new_object();
	json_object_object_add(args, "vmid", json_object_new_int(id));
	json_object_object_add(args, "snapname", json_object_new_string(snap));
	if (p) {
		const char *d;
		if (sim_param_str(p, "description", &d))
			json_object_object_add(args, "description", json_object_new_string(d));
		if (sim_param_bool(p, "start", false))
			json_object_object_add(args, "start", json_object_new_boolean(1));
	}
	t = sim_task_start(s, node, type, id, c, args, id);
	if (!t) {
		res_err(r, 500, "out of memory");
		return -1;
	}
	res_ok(r, json_object_new_string(t->upid));
	return 0;
}

void sim_snapshot_create(struct sim *s, const char *node, const char *vmid,
			 json_object *p, const struct sim_call *c,
			 struct sim_res *r)
{
	static const struct pdef params[] = {
		{ "snapname", PT_STR, 0, 40, NULL },
		{ "description", PT_STR, 0, 8192, NULL },
		{ NULL, 0, 0, 0, NULL },
	};
	static const char *const req[] = { "snapname", NULL };
	const char *snap;

	/* the method's `permissions` (RPCEnvironment.pm check) */
	if (sim_vm_perm(s, vmid, "VM.Snapshot", false, r))
		return;
	if (sim_check_node(s, node, r) || sim_validate(s, p, params, false, req, r))
		return;
	sim_param_str(p, "snapname", &snap);
	{
		size_t n = strlen(snap);
		bool ok = n >= 2 && isalpha((unsigned char)snap[0]);
		for (size_t i = 1; ok && i < n; i++)
			ok = isalnum((unsigned char)snap[i]) || snap[i] == '_' || snap[i] == '-';
		if (!ok) {
			res_param(r, "snapname", "invalid format - invalid configuration ID '%s'\n", snap);
			return;
		}
	}
	if (!strcmp(snap, "current") || !strcmp(snap, "vzdump")) {
		res_err(r, 500, "unable to use snapshot name '%s' (reserved name)", snap);
		return;
	}
	snap_task(s, node, vmid, &kind_vzsnapshot, snap, p, c, r);
}

void sim_snapshot_delete(struct sim *s, const char *node, const char *vmid,
			 const char *snap, json_object *p,
			 const struct sim_call *c, struct sim_res *r)
{
	static const struct pdef params[] = {
		{ "force", PT_BOOL, 0, 1, NULL },
		{ NULL, 0, 0, 0, NULL },
	};
	/* the method's `permissions` (RPCEnvironment.pm check) */
	if (sim_vm_perm(s, vmid, "VM.Snapshot", false, r))
		return;
	if (sim_check_node(s, node, r) || sim_validate(s, p, params, false, NULL, r))
		return;
	snap_task(s, node, vmid, &kind_vzdelsnapshot, snap, NULL, c, r);
}

void sim_snapshot_rollback(struct sim *s, const char *node, const char *vmid,
			   const char *snap, json_object *p,
			   const struct sim_call *c, struct sim_res *r)
{
	static const struct pdef params[] = {
		{ "start", PT_BOOL, 0, 1, NULL },
		{ NULL, 0, 0, 0, NULL },
	};
	/* the method's `permissions` (RPCEnvironment.pm check) */
	if (sim_vm_perm(s, vmid, "VM.Snapshot,VM.Snapshot.Rollback", true, r))
		return;
	if (sim_check_node(s, node, r) || sim_validate(s, p, params, false, NULL, r))
		return;
	snap_task(s, node, vmid, &kind_vzrollback, snap, p, c, r);
}

static int snapshot_begin(struct sim *s, struct sim_task *t, char *err, size_t len)
{
	json_object *g = sim_task_guest(s, t, err, len), *snaps;
	const char *snap = sim_args_str(t->args, "snapname");
	const char *lock;
	bool exists;

	if (!g)
		return -1;
	snaps = sim_guest_snapshots(g);
	exists = json_object_object_get_ex(snaps, snap, NULL);

	if (!strcmp(t->type, "vzsnapshot")) {
		struct mount_ref m[64];
		int nm;
		if (sim_guest_template(g)) {
			snprintf(err, len, "you can't take a snapshot if it's a template");
			return -1;
		}
		if (sim_lock_err(g, false, err, len))
			return -1;
		if (exists) {
			snprintf(err, len, "snapshot name '%s' already used", snap);
			return -1;
		}
		nm = sim_collect_mounts(sim_guest_conf(g), m, 64);
		for (int i = 0; i < nm; i++)
			if (m[i].bind || !sim_linked_capable(s, m[i].sid)) {
				snprintf(err, len, "snapshot feature is not available");
				return -1;
			}
		lock = "snapshot";
	} else {
		if (sim_guest_template(g)) {
			snprintf(err, len, !strcmp(t->type, "vzrollback") ?
				 "you can't rollback if vm is a template" :
				 "you can't delete a snapshot if vm is a template");
			return -1;
		}
		if (!exists) {
			snprintf(err, len, "snapshot '%s' does not exist", snap);
			return -1;
		}
		if (sim_lock_err(g, false, err, len))
			return -1;
		lock = !strcmp(t->type, "vzrollback") ? "rollback" : "snapshot-delete";
	}
	sim_set_lock(g, lock);
	json_object_object_add(t->args, "lockset", json_object_new_string(lock));
	sim_mark_dirty(s);
	return 0;
}

static int snapshot_finish(struct sim *s, struct sim_task *t, char *err, size_t len)
{
	json_object *g = sim_finish_guest(s, t, err, len), *snaps, *conf, *sc, *v;
	const char *snap = sim_args_str(t->args, "snapname");

	if (!g)
		return -1;
	snaps = sim_guest_snapshots(g);
	conf = sim_guest_conf(g);
	sim_set_lock(g, NULL);
	if (!strcmp(t->type, "vzsnapshot")) {
		const char *d = sim_args_str(t->args, "description");
		sc = json_object_new_object();
		json_object_object_foreach(conf, k, val)
			if (strcmp(k, "lock"))
				json_object_object_add(sc, k, json_object_get(val));
		json_object_object_add(sc, "snaptime",
				       json_object_new_int64(sim_epoch_now(s)));
		if (d)
			json_object_object_add(sc, "description", json_object_new_string(d));
		json_object_object_add(snaps, snap, sc);
		json_object_object_add(conf, "parent", json_object_new_string(snap));
	} else if (!strcmp(t->type, "vzdelsnapshot")) {
		json_object *parent = NULL;
		json_object_object_get_ex(snaps, snap, &sc);
		if (json_object_object_get_ex(sc, "parent", &v))
			parent = json_object_get(v);
		/* children of the deleted snapshot hang on to its parent */
		json_object_object_foreach(snaps, n, other) {
			(void)n;
			if (json_object_object_get_ex(other, "parent", &v) &&
			    !strcmp(json_object_get_string(v), snap)) {
				if (parent)
					json_object_object_add(other, "parent", json_object_get(parent));
				else
					json_object_object_del(other, "parent");
			}
		}
		if (json_object_object_get_ex(conf, "parent", &v) &&
		    !strcmp(json_object_get_string(v), snap)) {
			if (parent)
				json_object_object_add(conf, "parent", json_object_get(parent));
			else
				json_object_object_del(conf, "parent");
		}
		json_object_put(parent);
		json_object_object_del(snaps, snap);
	} else {
		json_object *nc = json_object_new_object();
		json_object_object_get_ex(snaps, snap, &sc);
		json_object_object_foreach(sc, k, val)
			if (strcmp(k, "snaptime") && strcmp(k, "snapstate"))
				json_object_object_add(nc, k, json_object_get(val));
		json_object_object_add(nc, "parent", json_object_new_string(snap));
		json_object_object_add(g, "conf", nc);
		json_object_object_add(g, "running", json_object_new_boolean(0));
		if (json_object_object_get_ex(t->args, "start", NULL)) {
			struct sim_call c = { .user = t->user, .taskfail = false };
			json_object *a = json_object_new_object();
			int id = sim_args_int(t->args, "vmid");
			json_object_object_add(a, "vmid", json_object_new_int(id));
			sim_task_start(s, t->node, &sim_kind_vzstart, id, &c, a, id);
		}
	}
	sim_mark_dirty(s);
	return 0;
}


static const struct sim_task_kind kind_vzsnapshot = {
	"vzsnapshot", 100, false, snapshot_begin, snapshot_finish, sim_task_unlock };
static const struct sim_task_kind kind_vzdelsnapshot = {
	"vzdelsnapshot", 100, false, snapshot_begin, snapshot_finish, sim_task_unlock };
static const struct sim_task_kind kind_vzrollback = {
	"vzrollback", 100, false, snapshot_begin, snapshot_finish, sim_task_unlock };

/* pve-snapshot-name: pve-configid (JSONSchema.pm $CONFIGID_RE), at most
 * 40 characters */
static int check_snapname(const char *snap, struct sim_res *r)
{
	if (strlen(snap) > 40)
		res_param(r, "snapname", "value may only be 40 characters long");
	else if (!sim_match("^[a-zA-Z][a-zA-Z0-9_-]+$", snap))
		res_param(r, "snapname", "invalid format - invalid configuration ID '%s'\n", snap);
	else
		return 0;
	return -1;
}

/* Snapshot.pm snapshot_cmd_idx: the two sub-paths, whatever the CT */
void sim_snapshot_index(struct sim *s, const char *node, const char *vmid,
			const char *snap, json_object *p, struct sim_res *r)
{
	json_object *arr, *o;
	(void)vmid;
	if (sim_check_node(s, node, r) || check_snapname(snap, r) ||
	    sim_validate(s, p, NULL, false, NULL, r))
		return;
	arr = json_object_new_array();
	o = json_object_new_object();
	json_object_object_add(o, "cmd", json_object_new_string("rollback"));
	json_object_array_add(arr, o);
	o = json_object_new_object();
	json_object_object_add(o, "cmd", json_object_new_string("config"));
	json_object_array_add(arr, o);
	res_ok(r, arr);
}

/* Snapshot.pm get_snapshot_config: the snapshot's section */
void sim_snapshot_config_get(struct sim *s, const char *node, const char *vmid,
			     const char *snap, json_object *p, struct sim_res *r)
{
	json_object *g, *sc, *o;
	int id;

	/* the method's `permissions` (RPCEnvironment.pm check) */
	if (sim_vm_perm(s, vmid, "VM.Snapshot,VM.Snapshot.Rollback,VM.Audit", true, r))
		return;
	if (sim_check_node(s, node, r) || check_snapname(snap, r) ||
	    sim_validate(s, p, NULL, false, NULL, r))
		return;
	g = sim_load_config(s, node, vmid, r, &id);
	if (!g)
		return;
	if (!json_object_object_get_ex(sim_guest_snapshots(g), snap, &sc)) {
		res_err(r, 500, "snapshot '%s' does not exist", snap);
		return;
	}
	o = json_object_new_object();
	json_object_object_foreach(sc, k, v)
		json_object_object_add(o, k, json_object_get(v));
	res_ok(r, o);
}

/* Snapshot.pm update_snapshot_config: only the description; without one
 * nothing is checked at all */
void sim_snapshot_config_put(struct sim *s, const char *node, const char *vmid,
			     const char *snap, json_object *p, struct sim_res *r)
{
	static const struct pdef params[] = {
		{ "description", PT_STR, 0, 8192, NULL },
		{ NULL, 0, 0, 0, NULL },
	};
	const char *d;
	json_object *g, *sc;
	int id;

	/* the method's `permissions` (RPCEnvironment.pm check) */
	if (sim_vm_perm(s, vmid, "VM.Snapshot", false, r))
		return;
	if (sim_check_node(s, node, r) || check_snapname(snap, r) ||
	    sim_validate(s, p, params, false, NULL, r))
		return;
	if (!sim_param_str(p, "description", &d)) {
		res_ok(r, NULL);
		return;
	}
	g = sim_load_config(s, node, vmid, r, &id);
	if (!g)
		return;
	if (sim_check_unlocked(s, g, id, r))
		return;
	if (!json_object_object_get_ex(sim_guest_snapshots(g), snap, &sc)) {
		res_err(r, 500, "snapshot '%s' does not exist", snap);
		return;
	}
	json_object_object_add(sc, "description", json_object_new_string(d));
	sim_mark_dirty(s);
	res_ok(r, NULL);
}
