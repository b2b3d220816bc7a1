/* Migration to another node of the cluster (pve-container API2/LXC.pm
 * migrate_vm, LXC/Migrate.pm, pve-guest-common AbstractMigrate.pm).
 * Containers have no live migration: a running one moves in restart mode
 * (shut down, moved, started on the target). */
#include "sim_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct sim_task_kind kind_vzmigrate;

/* `target-storage` (pve-guest-common `pve-targetstorage`, parsed by
 * pve-common JSONSchema.pm parse_idmap): "1" keeps each volume's storage,
 * "ID" sends every local volume to ID, "SRC:DST,..." maps storages. The
 * map is kept as {"default": ID, "entries": {SRC: DST}, "identity": 1}. */
static json_object *parse_storage_map(const char *text, struct sim_res *r)
{
	json_object *map = json_object_new_object(), *ent = json_object_new_object();
	char buf[1024], *save = NULL;

	json_object_object_add(map, "entries", ent);
	snprintf(buf, sizeof(buf), "%s", text);
	for (char *tok = strtok_r(buf, ",; ", &save); tok; tok = strtok_r(NULL, ",; ", &save)) {
		char *colon = strchr(tok, ':');
		if (!strcmp(tok, "1")) {
			json_object_object_add(map, "identity", json_object_new_int(1));
			continue;
		}
		if (colon)
			*colon = 0;
		if (sim_check_storage_id("target-storage", tok, r) ||
		    (colon && sim_check_storage_id("target-storage", colon + 1, r))) {
			json_object_put(map);
			return NULL;
		}
		if (colon)
			json_object_object_add(ent, tok, json_object_new_string(colon + 1));
		else
			json_object_object_add(map, "default", json_object_new_string(tok));
	}
	return map;
}

/* JSONSchema.pm map_id: the entry, else the default, else the same id */
static const char *map_id(json_object *map, const char *sid)
{
	json_object *v;
	if (!map || json_object_object_get_ex(map, "identity", NULL))
		return sid;
	if (json_object_object_get_ex(json_object_object_get(map, "entries"), sid, &v))
		return json_object_get_string(v);
	if (json_object_object_get_ex(map, "default", &v))
		return json_object_get_string(v);
	return sid;
}

/* API2/LXC.pm $check_storage_access_migrate */
static int check_target_storage(struct sim *s, const char *sid, const char *target,
				struct sim_res *r)
{
	const struct sim_storage *st = sim_storage_find(s, sid);
	char path[128];

	if (!st) {
		res_err(r, 500, "storage '%s' does not exist", sid);
		return -1;
	}
	if (!sim_storage_on_node(st, target)) {
		res_err(r, 500, "storage '%s' is not available on node '%s'", sid, target);
		return -1;
	}
	snprintf(path, sizeof(path), "/storage/%s", sid);
	if (sim_perm(s, path, "Datastore.AllocateSpace", false, r))
		return -1;
	if (!sim_storage_has_content(st, "rootdir")) {
		res_err(r, 500, "storage '%s' does not support CT rootdirs", sid);
		return -1;
	}
	return 0;
}

void sim_lxc_migrate(struct sim *s, const char *node, const char *vmid,
		     json_object *p, const struct sim_call *c, struct sim_res *r)
{
	static const struct pdef params[] = {
		{ "target", PT_STR, 0, 256, NULL },
		{ "target-storage", PT_STR, 0, 1024, NULL },
		{ "online", PT_BOOL, 0, 1, NULL },
		{ "restart", PT_BOOL, 0, 1, NULL },
		{ "timeout", PT_INT, LLONG_MIN, LLONG_MAX, NULL },
		{ "bwlimit", PT_NUM, 0, LLONG_MAX, NULL },
		{ NULL, 0, 0, 0, NULL },
	};
	static const char *const req[] = { "target", NULL };
	const char *target, *ts;
	json_object *g, *args, *map = NULL;
	struct sim_task *t;
	int id;

	/* migrate_vm `permissions`: VM.Migrate on /vms/{vmid} */
	if (sim_vm_perm(s, vmid, "VM.Migrate", false, r))
		return;
	if (sim_check_node(s, node, r) || sim_validate(s, p, params, false, req, r))
		return;
	sim_param_str(p, "target", &target);
	/* target is a `pve-node` (pve_verify_node_name) */
	if (!sim_match("^([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)$", target)) {
		res_param(r, "target", "invalid format - value does not look like a valid node name");
		return;
	}
	/* migrate_vm: raise_param_exc "target is local node." */
	if (!strcmp(target, node)) {
		res_param(r, "target", "target is local node.");
		return;
	}
	/* PVE::Cluster::check_node_exists */
	if (!sim_is_node(s, target)) {
		res_err(r, 500, "no such cluster node '%s'", target);
		return;
	}
	/* "test if VM exists": load_config */
	g = sim_load_config(s, node, vmid, r, &id);
	if (!g)
		return;
	/* "try to detect errors early" */
	if (sim_guest_running(g) && !sim_param_bool(p, "online", false) &&
	    !sim_param_bool(p, "restart", false)) {
		res_err(r, 500, "can't migrate running container without --online or --restart");
		return;
	}
	if (sim_param_str(p, "target-storage", &ts)) {
		json_object *ent;
		const char *dflt;
		map = parse_storage_map(ts, r);
		if (!map)
			return;
		/* VM.Config.Disk unless the map is the identity */
		if (!json_object_object_get_ex(map, "identity", NULL) &&
		    sim_vm_perm(s, vmid, "VM.Config.Disk", false, r))
			goto fail;
		ent = json_object_object_get(map, "entries");
		json_object_object_foreach(ent, src, dst) {
			(void)src;
			if (check_target_storage(s, json_object_get_string(dst), target, r))
				goto fail;
		}
		dflt = json_object_get_string(json_object_object_get(map, "default"));
		if (dflt && check_target_storage(s, dflt, target, r))
			goto fail;
	}
	/* An HA-managed CT would get an `hamigrate` worker running
	 * `ha-manager migrate`; pvesim's HA model has no CRM to carry that out,
	 * so it migrates such a CT as an unmanaged one (docs/pvesim.md). */
	args = json_object_new_object();
	json_object_object_add(args, "vmid", json_object_new_int(id));
	json_object_object_add(args, "target", json_object_new_string(target));
	json_object_object_add(args, "online",
			       json_object_new_boolean(sim_param_bool(p, "online", false)));
	json_object_object_add(args, "restart",
			       json_object_new_boolean(sim_param_bool(p, "restart", false)));
	if (map)
		json_object_object_add(args, "storagemap", map);
	/* LXC/Migrate.pm lock_vm: the config flock for the whole migration */
	t = sim_task_start(s, node, &kind_vzmigrate, id, c, args, id);
	if (!t) {
		res_err(r, 500, "out of memory");
		return;
	}
	res_ok(r, json_object_new_string(t->upid));
	return;
fail:
	json_object_put(map);
}

/* AbstractMigrate.pm $msg2text: a timestamp, "ERROR:" for errors */
static void mlog(struct sim *s, struct sim_task *t, bool error, const char *msg)
{
	char ts[32];
	time_t now = sim_epoch_now(s);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%F %H:%M:%S", &tm);
	task_log(t, "%s%s %s", ts, error ? " ERROR:" : "", msg);
}

/* AbstractMigrate.pm migrate: an error is logged with the duration and the
 * task dies with "migration aborted" */
static int aborted(struct sim *s, struct sim_task *t, const char *why, char *err,
		   size_t len)
{
	char msg[800];
	long d = (long)(sim_epoch_now(s) - t->starttime);

	snprintf(msg, sizeof(msg), "migration aborted (duration %02ld:%02ld:%02ld): %s",
		 d / 3600, d / 60 % 60, d % 60, why);
	mlog(s, t, true, msg);
	snprintf(err, len, "migration aborted");
	return -1;
}

/* LXC/Migrate.pm prepare: the checks, the ssh test, the shutdown */
static int migrate_begin(struct sim *s, struct sim_task *t, char *err, size_t len)
{
	const char *target = sim_args_str(t->args, "target");
	json_object *g = sim_task_guest(s, t, err, len), *map;
	struct mount_ref m[64];
	char why[600];
	int nm;

	if (!g)
		return aborted(s, t, err, err, len);
	map = json_object_object_get(t->args, "storagemap");
	/* check_lock */
	if (sim_lock_err(g, false, why, sizeof(why)))
		return aborted(s, t, why, err, len);
	if (sim_guest_running(g)) {
		if (json_object_get_boolean(json_object_object_get(t->args, "online")))
			return aborted(s, t, "lxc live migration is currently not implemented",
				       err, len);
		if (!json_object_get_boolean(json_object_object_get(t->args, "restart")))
			return aborted(s, t, "running container can only be migrated in restart mode",
				       err, len);
		json_object_object_add(t->args, "was_running", json_object_new_boolean(1));
	}
	nm = sim_collect_mounts(sim_guest_conf(g), m, 64);
	for (int i = 0; i < nm; i++) {
		const struct sim_storage *st;
		if (m[i].bind) {
			/* a dev/bind mount point not marked shared */
			snprintf(why, sizeof(why), "cannot migrate local %s mount point '%s'",
				 !strncmp(m[i].vol, "/dev/", 5) ? "device" : "bind", m[i].key);
			return aborted(s, t, why, err, len);
		}
		st = sim_storage_find(s, m[i].sid);
		if (!st) {
			snprintf(why, sizeof(why), "storage '%s' does not exist", m[i].sid);
			return aborted(s, t, why, err, len);
		}
		if (!sim_storage_has_content(st, "rootdir")) {
			snprintf(why, sizeof(why),
				 "content type 'rootdir' is not available on storage '%s'", m[i].sid);
			return aborted(s, t, why, err, len);
		}
		if (!sim_storage_is_shared(st->type)) {
			/* the target storage must exist there with rootdir */
			const char *tsid = map_id(map, m[i].sid);
			const struct sim_storage *tst = sim_storage_find(s, tsid);
			if (!tst) {
				snprintf(why, sizeof(why), "storage '%s' does not exist", tsid);
				return aborted(s, t, why, err, len);
			}
			/* storage_check_enabled(..., $self->{node}) */
			if (!sim_storage_on_node(tst, target)) {
				snprintf(why, sizeof(why), "storage '%s' is not available on node '%s'",
					 tsid, target);
				return aborted(s, t, why, err, len);
			}
			if (!sim_storage_has_content(tst, "rootdir")) {
				snprintf(why, sizeof(why),
					 "%s:%s: content type 'rootdir' is not available on storage '%s'",
					 m[i].sid, m[i].vol, tsid);
				return aborted(s, t, why, err, len);
			}
		}
	}
	/* "test ssh connection": a node that is down does not answer */
	if (sim_node_offline(s, target))
		return aborted(s, t, "Can't connect to destination address using public key",
			       err, len);
	if (sim_guest_running(g)) {
		snprintf(why, sizeof(why), "shutdown CT %d", sim_args_int(t->args, "vmid"));
		mlog(s, t, false, why);
		json_object_object_add(g, "running", json_object_new_boolean(0));
	}
	/* phase1 begins by writing lock: migrate into the config */
	sim_set_lock(g, "migrate");
	sim_mark_dirty(s);
	return 0;
}

static int node_index(struct sim *s, const char *node)
{
	for (int i = 0; i < s->o.n_nodes; i++)
		if (!strcmp(s->o.nodes[i], node))
			return i;
	return 0;
}

/* LXC/Migrate.pm phase1's checks of one local volume (the config's or a
 * snapshot's): 0, or why it cannot move */
static int check_local_volume(struct sim *s, const struct mount_ref *mr,
			      const char *node, bool in_snapshot, char *why,
			      size_t len)
{
	const struct sim_storage *st = sim_storage_find(s, mr->sid);
	char key[160];
	json_object *v;

	if (in_snapshot && st->type != ST_ZFSPOOL) {
		snprintf(why, len, "non-migratable snapshot exists");
		return -1;
	}
	/* "image is a linked clone on local storage, se we can't migrate":
	 * parse_volname's base name, which the registry keeps for both the
	 * ZFS and the LVM-thin naming */
	v = json_object_object_get(json_object_object_get(s->volumes,
		sim_volkey(s, mr->sid, node, key, sizeof(key))), mr->vol);
	if (v && json_object_object_get_ex(v, "base", NULL)) {
		snprintf(why, len, "clone of '%s'",
			 json_object_get_string(json_object_object_get(v, "base")));
		return -1;
	}
	return 0;
}

/* AbstractMigrate.pm final_cleanup when the config did not move: the lock
 * goes and, in restart mode, the CT starts again on the source node */
static void cleanup_on_source(struct sim *s, struct sim_task *t, json_object *g)
{
	mlog(s, t, false, "start final cleanup");
	if (g && sim_guest_lock(g) && !strcmp(sim_guest_lock(g), "migrate"))
		sim_set_lock(g, NULL);
	if (g && json_object_get_boolean(json_object_object_get(t->args, "was_running"))) {
		mlog(s, t, false, "start container on source node");
		json_object_object_add(g, "running", json_object_new_boolean(1));
	}
	sim_mark_dirty(s);
}

/* phase1 (volumes, config), phase3 (free the source copies), final_cleanup
 * (unlock, start on the target in restart mode) */
static int migrate_finish(struct sim *s, struct sim_task *t, char *err, size_t len)
{
	const char *target = sim_args_str(t->args, "target");
	json_object *g = sim_task_guest(s, t, err, len), *map, *snaps;
	json_object *moves = json_object_new_array();
	int vmid = sim_args_int(t->args, "vmid");
	struct mount_ref m[64];
	char msg[900], why[600];
	bool abort = false;
	int nm;

	json_object_object_add(t->args, "moves", moves);
	if (!g)
		return aborted(s, t, err, err, len);
	map = json_object_object_get(t->args, "storagemap");
	snprintf(msg, sizeof(msg), "starting migration of CT %d to node '%s' (192.168.100.%d)",
		 vmid, target, 10 + node_index(s, target));
	mlog(s, t, false, msg);

	/* volumes that snapshots refer to */
	snaps = sim_guest_snapshots(g);
	json_object_object_foreach(snaps, sn, sconf) {
		struct mount_ref sm[64];
		int sn_n = sim_collect_mounts(sconf, sm, 64);
		(void)sn;
		for (int i = 0; i < sn_n; i++) {
			const struct sim_storage *st = sim_storage_find(s, sm[i].sid);
			if (sm[i].bind || !st || sim_storage_is_shared(st->type))
				continue;
			if (check_local_volume(s, &sm[i], t->node, true, why, sizeof(why))) {
				snprintf(msg, sizeof(msg), "can't migrate local volume '%s:%s': %s",
					 sm[i].sid, sm[i].vol, why);
				mlog(s, t, false, msg);
				abort = true;
			}
		}
	}
	nm = sim_collect_mounts(sim_guest_conf(g), m, 64);
	for (int i = 0; i < nm; i++) {
		const struct sim_storage *st = sim_storage_find(s, m[i].sid);
		if (m[i].bind || !st)
			continue;
		if (sim_storage_is_shared(st->type)) {
			snprintf(msg, sizeof(msg), "volume '%s:%s' is on shared storage '%s'",
				 m[i].sid, m[i].vol, m[i].sid);
			mlog(s, t, false, msg);
			continue;
		}
		snprintf(msg, sizeof(msg), "found local volume '%s:%s' (in current VM config)",
			 m[i].sid, m[i].vol);
		mlog(s, t, false, msg);
		if (check_local_volume(s, &m[i], t->node, false, why, sizeof(why))) {
			snprintf(msg, sizeof(msg), "can't migrate local volume '%s:%s': %s",
				 m[i].sid, m[i].vol, why);
			mlog(s, t, false, msg);
			abort = true;
		}
	}
	if (abort || t->taskfail) {
		mlog(s, t, true, abort ? "can't migrate CT - check log" : FAULT_TEXT);
		mlog(s, t, false, "aborting phase 1 - cleanup resources");
		cleanup_on_source(s, t, g);
		return aborted(s, t, abort ? "can't migrate CT - check log" : FAULT_TEXT,
			       err, len);
	}
	/* storage_migrate each local volume to its (mapped) storage on the
	 * target; allow_rename: the target picks a free name */
	for (int i = 0; i < nm; i++) {
		const struct sim_storage *st = sim_storage_find(s, m[i].sid);
		const char *tsid;
		char size[32] = "4G", nvol[400], e[256], val[800];
		const char *sz = strstr(m[i].opts, "size=");

		if (m[i].bind || !st || sim_storage_is_shared(st->type))
			continue;
		tsid = map_id(map, m[i].sid);
		if (sz)
			snprintf(size, sizeof(size), "%.*s", (int)strcspn(sz + 5, ","), sz + 5);
		if (sim_volume_alloc(s, tsid, target, vmid, size, NULL, nvol, sizeof(nvol),
				     e, sizeof(e))) {
			snprintf(why, sizeof(why),
				 "storage migration for '%s:%s' to storage '%s' failed - %s",
				 m[i].sid, m[i].vol, tsid, e);
			mlog(s, t, true, why);
			mlog(s, t, false, "aborting phase 1 - cleanup resources");
			cleanup_on_source(s, t, g);
			return aborted(s, t, why, err, len);
		}
		snprintf(msg, sizeof(msg), "volume '%s:%s' is '%s:%s' on the target",
			 m[i].sid, m[i].vol, tsid, nvol);
		mlog(s, t, false, msg);
		snprintf(val, sizeof(val), "%s:%s", m[i].sid, m[i].vol);
		json_object_array_add(moves, json_object_new_string(val));
		snprintf(val, sizeof(val), "%s:%s%s%s", tsid, nvol,
			 m[i].opts[0] ? "," : "", m[i].opts);
		json_object_object_add(sim_guest_conf(g), m[i].key, json_object_new_string(val));
	}
	/* the config file moves to nodes/TARGET/lxc: the CT is the target's */
	json_object_object_add(g, "node", json_object_new_string(target));
	/* phase3: destroy the local copies on the source */
	for (size_t i = 0; i < json_object_array_length(moves); i++) {
		char sid[64], vol[300], opts[8], e[256];
		const char *v = json_object_get_string(json_object_array_get_idx(moves, i));
		if (!sim_volume_split(v, sid, sizeof(sid), vol, sizeof(vol), opts, sizeof(opts)))
			sim_volume_free(s, sid, t->node, vol, e, sizeof(e));
	}
	mlog(s, t, false, "start final cleanup");
	sim_set_lock(g, NULL);
	if (json_object_get_boolean(json_object_object_get(t->args, "was_running"))) {
		mlog(s, t, false, "start container on target node");
		json_object_object_add(g, "running", json_object_new_boolean(1));
	}
	{
		long d = (long)(sim_epoch_now(s) - t->starttime);
		snprintf(msg, sizeof(msg), "migration finished successfully (duration %02ld:%02ld:%02ld)",
			 d / 3600, d / 60 % 60, d % 60);
		mlog(s, t, false, msg);
	}
	sim_mark_dirty(s);
	return 0;
}

static const struct sim_task_kind kind_vzmigrate = {
	"vzmigrate", 200, true, migrate_begin, migrate_finish, NULL };
