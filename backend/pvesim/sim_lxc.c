/* The container collection and whole-CT operations (pve-container
 * API2/LXC.pm): list, create, destroy, feature. Two-phase as in
 * pve-container: synchronous checks answered as HTTP errors, then a task
 * whose own checks and effects show only in its log and exitstatus. */
#include "sim_internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct sim_task_kind kind_vzcreate, kind_vzdestroy;

/* A create without `unprivileged` makes a privileged CT on PVE 8
 * (stable-bookworm LXC/Config.pm: default => 0, and API2/LXC.pm create_vm
 * passes it on only when given) and an unprivileged one on PVE 9 (master
 * API2/LXC.pm create_vm: "$unprivileged = 1 if !defined($unprivileged)",
 * commit 103068a). */
/* API2/LXC.pm create_vm -> pve-storage Storage.pm check_volume_access,
 * before the worker forks: a path is root@pam's alone (an API token is
 * never root@pam); a volume's storage must exist and its content type,
 * read from the volume name by the storage's parse_volname, must be
 * vztmpl. Whether the file exists is found in the task. */
static int check_ostemplate(struct sim *s, json_object *p,
			    const struct sim_call *c, struct sim_res *r)
{
	const char *ost, *colon;
	const struct sim_storage *st;
	char sid[64], vol[300], opts[8];

	if (!sim_param_str(p, "ostemplate", &ost))
		return 0;
	colon = strchr(ost, ':');
	/* parse_volume_id: STORAGE:NAME with a storage id before the colon */
	if (!colon || colon == ost || (size_t)(colon - ost) >= sizeof(sid) ||
	    !sim_match("^[a-zA-Z][a-zA-Z0-9_.-]*[a-zA-Z0-9]:", ost)) {
		if (sim_is_root(c))
			return 0;
		res_err(r, 500, "Only root can pass arbitrary filesystem paths.");
		return -1;
	}
	sim_volume_split(ost, sid, sizeof(sid), vol, sizeof(vol), opts, sizeof(opts));
	st = sim_storage_find(s, sid);
	if (!st) {
		res_err(r, 500, "storage '%s' does not exist", sid);
		return -1;
	}
	if (st->type == ST_DIR || st->type == ST_NFS) {
		/* Plugin.pm parse_volname */
		if (!strncmp(vol, "vztmpl/", 7))
			return sim_template_access(s, sid, r);
		if (!sim_match("^(iso|backup|snippets|import)/.+|^images/[0-9]+/.+|^[0-9]+/.+", vol)) {
			res_err(r, 500, "unable to parse directory volume name '%s'", vol);
			return -1;
		}
	} else if (!sim_match("^(vm|base|subvol|basevol)-[0-9]+-", vol) &&
		   !sim_match("^(base|basevol)-[0-9]+-[^/]+/(vm|subvol)-[0-9]+-", vol)) {
		res_err(r, 500, "unable to parse %s volume name '%s'",
			st->type == ST_ZFSPOOL ? "zfs" : "lvm", vol);
		return -1;
	}
	res_err(r, 500, "unable to use volume %s - content type needs to be 'vztmpl'", ost);
	return -1;
}

static bool unprivileged_default(const struct sim *s)
{
	return sim_pve(s) >= 9;
}

void sim_lxc_list(struct sim *s, const char *node, struct sim_res *r)
{
	json_object *arr;
	if (sim_check_node(s, node, r))
		return;
	arr = json_object_new_array();
	json_object_object_foreach(s->guests, key, g)
		if (!strcmp(sim_guest_node(g), node))
			json_object_array_add(arr, sim_vmstatus(atoi(key), g));
	res_ok(r, arr);
}

/* ---- create ---- */

static const struct pdef create_params[] = {
	{ "vmid", PT_VMID, 0, 0, NULL },
	{ "ostemplate", PT_STR, 0, 255, NULL },
	{ "storage", PT_STR, 0, 256, NULL },
	{ "password", PT_STR, 0, 4096, NULL },
	{ "ssh-public-keys", PT_STR, 0, 65536, NULL },
	{ "pool", PT_STR, 0, 256, NULL },
	{ "start", PT_BOOL, 0, 1, NULL },
	{ "force", PT_BOOL, 0, 1, NULL },
	{ "restore", PT_BOOL, 0, 1, NULL },
	{ "unique", PT_BOOL, 0, 1, NULL },
	{ "ignore-unpack-errors", PT_BOOL, 0, 1, NULL },
	{ "bwlimit", PT_NUM, 0, LLONG_MAX, NULL },
	{ "ha-managed", PT_BOOL, 0, 1, NULL },
	{ NULL, 0, 0, 0, NULL },
};

/* netN values to canonical form; 400 on a bad one */
void sim_lxc_create(struct sim *s, const char *node, json_object *p,
		    const struct sim_call *c, struct sim_res *r)
{
	static const char *const req[] = { "vmid", "ostemplate", NULL };
	const char *v, *storage = "local";
	json_object *g, *args, *params;
	struct sim_task *t;
	int vmid;

	if (sim_check_node(s, node, r) ||
	    sim_validate(s, p, create_params, true, req, r))
		return;
	if (sim_param_str(p, "password", &v) && strlen(v) < 5) {
		res_param(r, "password", "value must be at least 5 characters long");
		return;
	}
	vmid = atoi(json_object_get_string(json_object_object_get(p, "vmid")));
	/* create_vm permissions: VM.Allocate on /vms/{vmid} */
	if (sim_vm_perm(s, json_object_get_string(json_object_object_get(p, "vmid")),
			"VM.Allocate", false, r))
		return;
	/* create_vm: Sys.Console on / for ha-managed */
	if (sim_param_bool(p, "ha-managed", false) && sim_perm(s, "/", "Sys.Console", false, r))
		return;
	if (sim_param_bool(p, "restore", false)) {
		res_err(r, 501, "restore is not simulated by pvesim");
		return;
	}
	g = sim_guest(s, vmid);
	if (g) {
		res_err(r, 500, "CT %d already exists on node '%s'", vmid,
			sim_guest_node(g));
		return;
	}
	if (sim_param_str(p, "pool", &v)) {
		res_err(r, 403, "Permission check failed (pool '%s' does not exist)", v);
		return;
	}
	sim_param_str(p, "storage", &storage);
	if (!sim_storage_find(s, storage)) {
		res_err(r, 500, "storage '%s' does not exist", storage);
		return;
	}
	/* create_vm: check_ct_modify_config_perm on the parameters left
	 * after extract_param (node, vmid, ignore-unpack-errors, bwlimit,
	 * start, ha-managed, unprivileged, restore, unique, pool,
	 * ostemplate, storage): each key's VM.Config.* privilege, then
	 * each netN's bridge (LXC.pm check_bridge_access), all before the
	 * template's storage. Feature flags have their own check below. */
	if (!sim_is_root(c)) {
		static const char *const extracted[] = {
			"node", "vmid", "ignore-unpack-errors", "bwlimit", "start",
			"ha-managed", "unprivileged", "restore", "unique", "pool",
			"ostemplate", "storage", "features", NULL };
		json_object_object_foreach(p, ck, cv) {
			bool skip = false;
			(void)cv;
			for (const char *const *e = extracted; *e; e++)
				skip |= !strcmp(ck, *e);
			if (!skip && sim_vm_perm(s, json_object_get_string(json_object_object_get(p, "vmid")),
						 sim_conf_key_priv(ck), false, r))
				return;
		}
	}
	json_object_object_foreach(p, nk, nv) {
		if (!strncmp(nk, "net", 3) && isdigit((unsigned char)nk[3]) &&
		    json_object_is_type(nv, json_type_string) &&
		    sim_bridge_perm(s, json_object_get_string(nv), r))
			return;
	}
	if (check_ostemplate(s, p, c, r))
		return;
	/* create_vm's check_and_activate_storage, before the worker forks:
	 * every storage a new volume goes to must exist
	 * (PVE::Storage::storage_config) and hold container dirs */
	{
		const char *rootfs = NULL;
		char sid[64], size[32];
		sim_param_str(p, "rootfs", &rootfs);
		json_object_object_foreach(p, k, val) {
			const struct sim_storage *st;
			if (!sim_is_mp_key(k) || json_object_is_type(val, json_type_null))
				continue;
			if (!sim_new_volume_syntax(json_object_get_string(val), sid,
					       sizeof(sid), size, sizeof(size)))
				continue;
			st = sim_storage_find(s, sid[0] ? sid : storage);
			if (!st) {
				res_err(r, 500, "storage '%s' does not exist", sid);
				return;
			}
			/* check_and_activate_storage: storage_check_enabled
			 * for this node (Storage.pm storage_check_node) */
			if (!sim_storage_on_node(st, node)) {
				res_err(r, 500, "storage '%s' is not available on node '%s'", st->id, node);
				return;
			}
			if (!sim_storage_has_content(st, "rootdir")) {
				res_param(r, "storage", "storage '%s' does not support container directories", st->id);
				return;
			}
			/* check_and_activate_storage */
			{
				char sp[128];
				snprintf(sp, sizeof(sp), "/storage/%s", st->id);
				if (sim_perm(s, sp, "Datastore.AllocateSpace", false, r))
					return;
			}
		}
		if (!rootfs && !sim_storage_has_content(sim_storage_find(s, storage), "rootdir")) {
			res_param(r, "storage", "storage '%s' does not support container directories", storage);
			return;
		}
		/* create_vm: "check/activate default storage" for a rootfs
		 * that was not given */
		if (!rootfs) {
			char sp[128];
			snprintf(sp, sizeof(sp), "/storage/%s", storage);
			if (sim_perm(s, sp, "Datastore.AllocateSpace", false, r))
				return;
		}
	}
	if (sim_check_features(sim_param_str(p, "features", &v) ? v : NULL, NULL,
			   sim_param_bool(p, "unprivileged", unprivileged_default(s)), c, r))
		return;
	if (sim_canonical_nets(s, p, false, r))
		return;

	/* create_and_lock_config: from here the VMID is taken */
	sim_guest_new(s, vmid, node);
	params = json_object_new_object();
	json_object_object_foreach(p, k2, v2)
		if (!json_object_is_type(v2, json_type_null))
			json_object_object_add(params, k2, json_object_get(v2));
	if (!json_object_object_get_ex(params, "rootfs", NULL)) {
		char def[96];
		snprintf(def, sizeof(def), "%s:4", storage);
		json_object_object_add(params, "rootfs", json_object_new_string(def));
	}
	args = json_object_new_object();
	json_object_object_add(args, "vmid", json_object_new_int(vmid));
	json_object_object_add(args, "storage", json_object_new_string(storage));
	json_object_object_add(args, "params", params);
	t = sim_task_start(s, node, &kind_vzcreate, vmid, c, args, vmid);
	if (!t) {
		res_err(r, 500, "unable to create CT %d - out of memory", vmid);
		return;
	}
	res_ok(r, json_object_new_string(t->upid));
}

static const char *template_ostype(const char *volid)
{
	return strstr(volid, "ubuntu") ? "ubuntu" : "debian";
}

static int create_begin(struct sim *s, struct sim_task *t, char *err, size_t len)
{
	json_object *params = json_object_object_get(t->args, "params");
	const char *storage = sim_args_str(t->args, "storage");
	const char *ost = json_object_get_string(json_object_object_get(params, "ostemplate"));
	json_object *alloc = json_object_new_array();
	int vmid = sim_args_int(t->args, "vmid");
	char tsid[64], tname[256], topts[8];
	bool found = false;

	json_object_object_add(t->args, "allocated", alloc);
	/* disks first, as create_vm does, then the archive */
	json_object_object_foreach(params, k, v) {
		char sid[64], size[32], vol[300], e[256], full[400];
		const struct sim_storage *st;
		if (!sim_is_mp_key(k) ||
		    !sim_new_volume_syntax(json_object_get_string(v), sid, sizeof(sid),
				       size, sizeof(size)))
			continue;
		if (!sid[0])
			snprintf(sid, sizeof(sid), "%s", storage);
		if (sim_volume_alloc(s, sid, t->node, vmid, size, NULL, vol,
				     sizeof(vol), e, sizeof(e))) {
			snprintf(err, len, "unable to create CT %d - %s", vmid, e);
			return -1;
		}
		st = sim_storage_find(s, sid);
		snprintf(full, sizeof(full), "%s:%s", sid, vol);
		json_object_array_add(alloc, json_object_new_string(full));
		if (st->type == ST_LVMTHIN)
			task_log(t, "  Logical volume \"%s\" created.", vol);
		json_object_object_add(t->args, k, json_object_new_string(size));
	}
	if (!sim_volume_split(ost, tsid, sizeof(tsid), tname, sizeof(tname),
			      topts, sizeof(topts)) && !strcmp(tsid, "local") &&
	    !strncmp(tname, "vztmpl/", 7))
		for (const char *const *x = sim_os_templates; *x; x++)
			found |= !strcmp(tname + 7, *x);
	if (!found) {
		if (!sim_volume_split(ost, tsid, sizeof(tsid), tname, sizeof(tname),
				      topts, sizeof(topts)) && !sim_storage_find(s, tsid))
			snprintf(err, len, "unable to create CT %d - storage '%s' does not exist",
				 vmid, tsid);
		else
			snprintf(err, len, "unable to create CT %d - volume '%s' does not exist",
				 vmid, ost);
		return -1;
	}
	task_log(t, "extracting archive '/var/lib/vz/template/cache/%s'", tname + 7);
	return 0;
}

static int create_finish(struct sim *s, struct sim_task *t, char *err, size_t len)
{
	json_object *params = json_object_object_get(t->args, "params");
	json_object *alloc = json_object_object_get(t->args, "allocated");
	int vmid = sim_args_int(t->args, "vmid");
	json_object *g = sim_guest(s, vmid), *conf;
	const char *ost = json_object_get_string(json_object_object_get(params, "ostemplate"));
	size_t ai = 0;
	char buf[512];

	if (t->taskfail || !g) {
		snprintf(err, len, "unable to create CT %d - %s", vmid, FAULT_TEXT);
		return -1;
	}
	task_log(t, "Total bytes read: 524288000 (500MiB, 250MiB/s)");
	task_log(t, "Detected container architecture: amd64");
	conf = json_object_new_object();
	json_object_object_foreach(params, k, v) {
		const struct pdef *d = sim_conf_pdef(k);
		if (!d || !strcmp(k, "lock"))
			continue;
		if (sim_is_mp_key(k)) {
			json_object *sz = json_object_object_get(t->args, k);
			const char *val = json_object_get_string(v);
			const char *opts = strchr(val, ',');
			if (sz && ai < json_object_array_length(alloc)) {
				snprintf(buf, sizeof(buf), "%s%s,size=%s",
					 json_object_get_string(json_object_array_get_idx(alloc, ai++)),
					 opts ? opts : "", json_object_get_string(sz));
				json_object_object_add(conf, k, json_object_new_string(buf));
				continue;
			}
		}
		if (!strcmp(k, "tags")) {
			sim_tags_normalize(json_object_get_string(v), buf, sizeof(buf));
			json_object_object_add(conf, k, json_object_new_string(buf));
			continue;
		}
		sim_conf_set_param(conf, k, v);
	}
	if (!json_object_object_get_ex(conf, "hostname", NULL)) {
		snprintf(buf, sizeof(buf), "CT%d", vmid);
		json_object_object_add(conf, "hostname", json_object_new_string(buf));
	}
	if (!json_object_object_get_ex(conf, "memory", NULL))
		json_object_object_add(conf, "memory", json_object_new_int(512));
	if (!json_object_object_get_ex(conf, "swap", NULL))
		json_object_object_add(conf, "swap", json_object_new_int(512));
	if (!json_object_object_get_ex(conf, "arch", NULL))
		json_object_object_add(conf, "arch", json_object_new_string("amd64"));
	if (!json_object_object_get_ex(conf, "ostype", NULL))
		json_object_object_add(conf, "ostype",
				       json_object_new_string(template_ostype(ost)));
	/* written only when 1 (create_vm: $conf->{unprivileged} = 1 if ...) */
	if (!sim_param_bool(params, "unprivileged", unprivileged_default(s)))
		json_object_object_del(conf, "unprivileged");
	else
		json_object_object_add(conf, "unprivileged", json_object_new_int(1));
	/* the final write has no lock key: that ends the create lock */
	json_object_object_add(g, "conf", conf);
	sim_mark_dirty(s);
	/* create_vm (PVE 9): `ha-manager add ct:ID --state started|stopped`
	 * after the create, started when start was asked */
	if (sim_param_bool(params, "ha-managed", false)) {
		task_log(t, "Add as HA resource");
		json_object_object_add(g, "ha", json_object_new_string(
			sim_param_bool(params, "start", false) ? "started" : "stopped"));
	}
	if (sim_param_bool(params, "start", false)) {
		struct sim_call c = { .user = t->user, .taskfail = false };
		json_object *a = json_object_new_object();
		json_object_object_add(a, "vmid", json_object_new_int(vmid));
		/* start_vm forks its own vzstart and does not wait for it */
		sim_task_start(s, t->node, &sim_kind_vzstart, vmid, &c, a, vmid);
	}
	return 0;
}

/* ---- destroy ---- */

void sim_lxc_destroy(struct sim *s, const char *node, const char *vmid,
		     json_object *p, const struct sim_call *c,
		     struct sim_res *r)
{
	static const struct pdef params[] = {
		{ "force", PT_BOOL, 0, 1, NULL },
		{ "purge", PT_BOOL, 0, 1, NULL },
		{ "destroy-unreferenced-disks", PT_BOOL, 0, 1, NULL },
		{ NULL, 0, 0, 0, NULL },
	};
	json_object *g, *args, *pr;
	struct sim_task *t;
	int id;

	/* the method's `permissions` (RPCEnvironment.pm check) */
	if (sim_vm_perm(s, vmid, "VM.Allocate", false, r))
		return;
	if (sim_check_node(s, node, r) || sim_validate(s, p, params, false, NULL, r))
		return;
	g = sim_load_config(s, node, vmid, r, &id);
	if (!g)
		return;
	if (json_object_object_get_ex(sim_guest_conf(g), "protection", &pr) &&
	    json_object_get_int(pr)) {
		res_err(r, 500, "can't remove CT %d - protection mode enabled", id);
		return;
	}
	if (sim_check_unlocked(s, g, id, r))
		return;
	/* destroy_vm $early_checks: an HA resource needs purge, which then
	 * removes it from the HA configuration */
	if (sim_guest_ha(g) && !sim_param_bool(p, "purge", false)) {
		res_err(r, 500, "unable to remove CT %d - used in HA resources and purge "
			"parameter not set.", id);
		return;
	}
	if (sim_guest_running(g) && !sim_param_bool(p, "force", false)) {
		res_err(r, 500, "unable to destroy CT %d - container is running", id);
		return;
	}
	args = json_object_new_object();
	json_object_object_add(args, "vmid", json_object_new_int(id));
	json_object_object_add(args, "force", json_object_new_boolean(
				       sim_param_bool(p, "force", false)));
	t = sim_task_start(s, node, &kind_vzdestroy, id, c, args, id);
	if (!t) {
		res_err(r, 500, "out of memory");
		return;
	}
	res_ok(r, json_object_new_string(t->upid));
}

static int destroy_finish(struct sim *s, struct sim_task *t, char *err, size_t len)
{
	int id = sim_args_int(t->args, "vmid");
	json_object *g = sim_finish_guest(s, t, err, len), *vols;
	struct mount_ref m[64];
	int nm;

	if (!g)
		return -1;
	if (sim_guest_running(g)) {
		json_object_object_add(g, "running", json_object_new_boolean(0));
		task_log(t, "stopping CT %d", id);
	}
	nm = sim_collect_mounts(sim_guest_conf(g), m, 64);
	/* unusedN volumes go too */
	json_object_object_foreach(sim_guest_conf(g), k, v) {
		if (strncmp(k, "unused", 6) || nm >= 64)
			continue;
		memset(&m[nm], 0, sizeof(m[nm]));
		if (!sim_volume_split(json_object_get_string(v), m[nm].sid, sizeof(m[nm].sid),
				      m[nm].vol, sizeof(m[nm].vol), m[nm].opts,
				      sizeof(m[nm].opts)))
			nm++;
	}
	vols = json_object_new_array();
	for (int i = 0; i < nm; i++) {
		char e[512];
		if (m[i].bind)
			continue;
		if (sim_volume_free(s, m[i].sid, t->node, m[i].vol, e, sizeof(e))) {
			json_object_put(vols);
			snprintf(err, len, "%s", e);
			return -1;
		}
		if (sim_storage_find(s, m[i].sid)->type == ST_LVMTHIN)
			task_log(t, "  Logical volume \"%s\" successfully removed.", m[i].vol);
	}
	json_object_put(vols);
	sim_guest_delete(s, id);
	return 0;
}

void sim_lxc_feature(struct sim *s, const char *node, const char *vmid,
		     json_object *p, struct sim_res *r)
{
	static const struct pdef params[] = {
		{ "feature", PT_ENUM, 0, 0, "snapshot,clone,copy" },
		{ "snapname", PT_STR, 0, 40, NULL },
		{ NULL, 0, 0, 0, NULL },
	};
	static const char *const req[] = { "feature", NULL };
	const char *feat, *snap = NULL;
	struct mount_ref m[64];
	json_object *g, *o;
	int id, nm, has = 1;

	/* the method's `permissions` (RPCEnvironment.pm check) */
	if (sim_vm_perm(s, vmid, "VM.Audit", false, r))
		return;
	if (sim_check_node(s, node, r) || sim_validate(s, p, params, false, req, r))
		return;
	g = sim_load_config(s, node, vmid, r, &id);
	if (!g)
		return;
	sim_param_str(p, "feature", &feat);
	sim_param_str(p, "snapname", &snap);
	nm = sim_collect_mounts(sim_guest_conf(g), m, 64);
	for (int i = 0; i < nm; i++) {
		if (!strcmp(feat, "copy"))
			has &= !m[i].bind;
		else if (!strcmp(feat, "snapshot"))
			has &= !m[i].bind && sim_linked_capable(s, m[i].sid);
		else
			has &= !m[i].bind && sim_linked_capable(s, m[i].sid) &&
			       (sim_guest_template(g) || snap);
	}
	o = json_object_new_object();
	sim_add_num(o, "hasFeature", has);
	res_ok(r, o);
}


/* a failed create frees its volumes and deletes the config */
static void create_failed(struct sim *s, struct sim_task *t)
{
	int id = sim_args_int(t->args, "vmid");
	json_object *g = sim_guest(s, id);

	sim_free_allocated(s, t, t->node);
	if (g && sim_guest_lock(g) && !strcmp(sim_guest_lock(g), "create"))
		sim_guest_delete(s, id);
	sim_mark_dirty(s);
}

static int destroy_begin(struct sim *s, struct sim_task *t, char *err, size_t len)
{
	json_object *g = sim_task_guest(s, t, err, len);
	if (!g || sim_lock_err(g, false, err, len))
		return -1;
	if (sim_guest_running(g) &&
	    !json_object_get_boolean(json_object_object_get(t->args, "force"))) {
		snprintf(err, len, "unable to destroy CT %d - container is running",
			 sim_args_int(t->args, "vmid"));
		return -1;
	}
	return 0;
}

static const struct sim_task_kind kind_vzcreate = {
	"vzcreate", 300, false, create_begin, create_finish, create_failed };
static const struct sim_task_kind kind_vzdestroy = {
	"vzdestroy", 100, true, destroy_begin, destroy_finish, sim_task_unlock };
