/* Clone (pve-container API2/LXC.pm clone_vm): linked and full clones, from
 * the current state or a snapshot, to this node or another. */
#include "sim_internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct sim_task_kind kind_vzclone;

void sim_lxc_clone(struct sim *s, const char *node, const char *vmid,
		   json_object *p, const struct sim_call *c, struct sim_res *r)
{
	static const struct pdef params[] = {
		{ "newid", PT_VMID, 0, 0, NULL },
		{ "hostname", PT_DNS, 0, 255, NULL },
		{ "description", PT_STR, 0, 8192, NULL },
		{ "pool", PT_STR, 0, 256, NULL },
		{ "snapname", PT_STR, 0, 40, NULL },
		{ "storage", PT_STR, 0, 256, NULL },
		{ "full", PT_BOOL, 0, 1, NULL },
		{ "target", PT_STR, 0, 256, NULL },
		{ "bwlimit", PT_NUM, 0, LLONG_MAX, NULL },
		{ NULL, 0, 0, 0, NULL },
	};
	static const char *const req[] = { "newid", NULL };
	const char *pool, *target = NULL, *storage = NULL, *snap = NULL, *v;
	json_object *g, *src, *newconf, *args, *ng;
	struct mount_ref m[64];
	struct sim_task *t;
	int id, newid, nm;
	bool full, remote = false;

	/* the method's `permissions` (RPCEnvironment.pm check) */
	if (sim_vm_perm(s, vmid, "VM.Clone", false, r))
		return;
	if (sim_check_node(s, node, r) || sim_validate(s, p, params, false, req, r))
		return;
	newid = atoi(json_object_get_string(json_object_object_get(p, "newid")));
	/* clone_vm: VM.Allocate on the new id (check_vm_perm) */
	if (sim_vm_perm(s, json_object_get_string(json_object_object_get(p, "newid")),
			"VM.Allocate", false, r))
		return;
	if (sim_param_str(p, "pool", &pool)) {
		res_err(r, 403, "Permission check failed (pool '%s' does not exist)", pool);
		return;
	}
	if (sim_param_str(p, "target", &target) && strcmp(target, "localhost") &&
	    strcmp(target, node)) {
		if (!sim_is_node(s, target)) {
			res_err(r, 500, "no such cluster node '%s'", target);
			return;
		}
		remote = true;
	}
	if (sim_param_str(p, "storage", &storage)) {
		const struct sim_storage *st = sim_storage_find(s, storage);
		if (!st) {
			res_err(r, 500, "storage '%s' does not exist", storage);
			return;
		}
		if (remote && !sim_storage_is_shared(st->type)) {
			res_err(r, 500, "can't clone to non-shared storage '%s'", storage);
			return;
		}
	}
	g = sim_load_config(s, node, vmid, r, &id);
	if (!g)
		return;
	/* set_lock(disk) on the source runs check_lock */
	if (sim_check_unlocked(s, g, id, r))
		return;
	if ((ng = sim_guest(s, newid))) {
		res_err(r, 500, "CT %d already exists on node '%s'", newid,
			sim_guest_node(ng));
		return;
	}
	full = sim_param_bool(p, "full", !sim_guest_template(g));
	if (storage && !full) {
		res_err(r, 500, "parameter 'storage' not allowed for linked clones");
		return;
	}
	src = sim_guest_conf(g);
	if (sim_param_str(p, "snapname", &snap) &&
	    !json_object_object_get_ex(sim_guest_snapshots(g), snap, &src)) {
		res_err(r, 500, "snapshot '%s' does not exist", snap);
		return;
	}
	nm = sim_collect_mounts(src, m, 64);
	for (int i = 0; i < nm; i++) {
		char volid[400];
		snprintf(volid, sizeof(volid), "%s:%s", m[i].sid, m[i].vol);
		if (m[i].bind) {
			res_err(r, 500, "unable to clone mountpoint '%s' (type %s)", m[i].key,
				!strncmp(m[i].vol, "/dev/", 5) ? "device" : "bind");
			return;
		}
		/* clone_vm: Datastore.AllocateSpace on the storage each
		 * volume goes to (`storage` when given) */
		{
			char sp[128];
			snprintf(sp, sizeof(sp), "/storage/%s", storage ? storage : m[i].sid);
			if (sim_perm(s, sp, "Datastore.AllocateSpace", false, r))
				return;
		}
		if (full && sim_guest_running(g) && !snap) {
			/* API2/LXC.pm clone_vm: the text changed in PVE 9 */
			res_err(r, 500, "%s", sim_pve(s) == 8 ?
				"Cannot do full clones on a running container without snapshots" :
				"Full clone of a running container is only possible from a snapshot");
			return;
		}
		if (!full && (!sim_linked_capable(s, m[i].sid) ||
			      (!sim_guest_template(g) && !snap))) {
			res_err(r, 500, "Linked clone feature for '%s' is not available", volid);
			return;
		}
		if (remote) {
			const struct sim_storage *st = sim_storage_find(s, m[i].sid);
			if (!st || !sim_storage_is_shared(st->type)) {
				res_err(r, 500, "can't clone CT to node '%s' (CT uses local storage)", target);
				return;
			}
		}
	}
	/* clone_vm: SDN.Use on every bridge the clone's netN use
	 * (LXC.pm check_bridge_access) */
	json_object_object_foreach(src, nk, nv) {
		if (!strncmp(nk, "net", 3) && isdigit((unsigned char)nk[3]) &&
		    sim_bridge_perm(s, json_object_get_string(nv), r))
			return;
	}
	/* the clone's config: everything but snapshot state, template,
	 * unused volumes; new MACs; no volumes until the task copies them */
	newconf = json_object_new_object();
	json_object_object_foreach(src, k, val) {
		if (!strcmp(k, "template") || !strcmp(k, "parent") ||
		    !strcmp(k, "snaptime") || !strcmp(k, "snapstate") ||
		    !strcmp(k, "lock") || !strncmp(k, "unused", 6) ||
		    sim_is_mp_key(k))
			continue;
		if (!strncmp(k, "net", 3) && isdigit((unsigned char)k[3])) {
			char out[1024], e[256];
			if (!sim_net_canonical(s, json_object_get_string(val), true, out,
					       sizeof(out), e, sizeof(e))) {
				json_object_object_add(newconf, k, json_object_new_string(out));
				continue;
			}
		}
		json_object_object_add(newconf, k, json_object_get(val));
	}
	if (sim_param_str(p, "hostname", &v))
		json_object_object_add(newconf, "hostname", json_object_new_string(v));
	if (sim_param_str(p, "description", &v) && *v)
		json_object_object_add(newconf, "description", json_object_new_string(v));
	json_object_object_add(newconf, "lock", json_object_new_string("create"));

	sim_set_lock(g, "disk");
	ng = sim_guest_new(s, newid, node);
	json_object_object_add(ng, "conf", newconf);
	args = json_object_new_object();
	json_object_object_add(args, "vmid", json_object_new_int(id));
	json_object_object_add(args, "newid", json_object_new_int(newid));
	json_object_object_add(args, "full", json_object_new_boolean(full));
	if (snap)
		json_object_object_add(args, "snapname", json_object_new_string(snap));
	if (storage)
		json_object_object_add(args, "storage", json_object_new_string(storage));
	if (remote)
		json_object_object_add(args, "target", json_object_new_string(target));
	t = sim_task_start(s, node, &kind_vzclone, id, c, args, id);
	if (!t) {
		res_err(r, 500, "out of memory");
		return;
	}
	res_ok(r, json_object_new_string(t->upid));
}

static int clone_begin(struct sim *s, struct sim_task *t, char *err, size_t len)
{
	task_log(t, "creating a clone of container %d with ID %d",
		 sim_args_int(t->args, "vmid"), sim_args_int(t->args, "newid"));
	(void)s;
	(void)err;
	(void)len;
	return 0;
}

static int clone_finish(struct sim *s, struct sim_task *t, char *err, size_t len)
{
	int id = sim_args_int(t->args, "vmid"), newid = sim_args_int(t->args, "newid");
	json_object *g = sim_guest(s, id), *ng = sim_guest(s, newid), *src, *alloc;
	const char *snap = sim_args_str(t->args, "snapname");
	const char *storage = sim_args_str(t->args, "storage");
	const char *target = sim_args_str(t->args, "target");
	bool full = json_object_get_boolean(json_object_object_get(t->args, "full"));
	struct mount_ref m[64];
	int nm;

	alloc = json_object_new_array();
	json_object_object_add(t->args, "allocated", alloc);
	if (!g || !ng) {
		snprintf(err, len, "clone failed: unexpected state change");
		return -1;
	}
	if (t->taskfail) {
		snprintf(err, len, "clone failed: %s", FAULT_TEXT);
		return -1;
	}
	src = sim_guest_conf(g);
	if (snap)
		json_object_object_get_ex(sim_guest_snapshots(g), snap, &src);
	nm = sim_collect_mounts(src, m, 64);
	for (int i = 0; i < nm; i++) {
		char vol[400], e[256], val[800], size[32] = "4G";
		const char *sz = strstr(m[i].opts, "size=");
		const char *dsid = full && storage ? storage : m[i].sid;
		const struct sim_storage *st = sim_storage_find(s, m[i].sid);
		const char *base = NULL;

		if (sz)
			snprintf(size, sizeof(size), "%.*s", (int)strcspn(sz + 5, ","), sz + 5);
		if (full) {
			task_log(t, "create full clone of mountpoint %s (%s:%s)",
				 m[i].key, m[i].sid, m[i].vol);
		} else {
			task_log(t, "create linked clone of mount point %s (%s:%s)",
				 m[i].key, m[i].sid, m[i].vol);
			base = m[i].vol;
		}
		if (sim_volume_alloc(s, dsid, t->node, newid, size,
				     st && st->type == ST_ZFSPOOL ? base : NULL,
				     vol, sizeof(vol), e, sizeof(e))) {
			snprintf(err, len, "clone failed: %s", e);
			return -1;
		}
		if (base && st && st->type == ST_LVMTHIN) {
			/* the registry remembers the origin; the name does not */
			char key[160];
			json_object *tab = json_object_object_get(s->volumes,
				sim_volkey(s, dsid, t->node, key, sizeof(key)));
			json_object_object_add(json_object_object_get(tab, vol), "base",
					       json_object_new_string(base));
		}
		if (sim_storage_find(s, dsid)->type == ST_LVMTHIN)
			task_log(t, "  Logical volume \"%s\" created.", vol);
		snprintf(val, sizeof(val), "%s:%s", dsid, vol);
		json_object_array_add(alloc, json_object_new_string(val));
		snprintf(val, sizeof(val), "%s:%s%s%s", dsid, vol,
			 m[i].opts[0] ? "," : "", m[i].opts);
		json_object_object_add(sim_guest_conf(ng), m[i].key,
				       json_object_new_string(val));
	}
	sim_set_lock(ng, NULL);
	if (target)
		json_object_object_add(ng, "node", json_object_new_string(target));
	if (sim_guest_lock(g) && !strcmp(sim_guest_lock(g), "disk"))
		sim_set_lock(g, NULL);
	sim_mark_dirty(s);
	return 0;
}


/* a failed clone frees what it copied, deletes the new config and lifts
 * the source's disk lock */
static void clone_failed(struct sim *s, struct sim_task *t)
{
	json_object *g = sim_guest(s, sim_args_int(t->args, "vmid"));
	int newid = sim_args_int(t->args, "newid");
	json_object *ng = sim_guest(s, newid);

	sim_free_allocated(s, t, t->node);
	if (ng && sim_guest_lock(ng) && !strcmp(sim_guest_lock(ng), "create"))
		sim_guest_delete(s, newid);
	if (g && sim_guest_lock(g) && !strcmp(sim_guest_lock(g), "disk"))
		sim_set_lock(g, NULL);
	sim_mark_dirty(s);
}

static const struct sim_task_kind kind_vzclone = {
	"vzclone", 200, false, clone_begin, clone_finish, clone_failed };
