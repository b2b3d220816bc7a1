/* lxc-manager.sh's steps beyond create, configure and start: the OS
 * template as a host path, firewall, disk size, raw CTID.conf lines and
 * snapshots (provision.h). */
#include "backend/engine/provision.h"

#include "backend/atomic_file.h"
#include "backend/lxc_keys.h"
#include "backend/ostemplate.h"
#include "backend/rawconf.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One driver call with the one retry policy (steps.c); rc and err are the
 * caller's. */
#define CALL(s, what, node, vmid, call)                                          \
	do {                                                                     \
		unsigned tries_ = 0;                                             \
		for (;;) {                                                       \
			memset(&err, 0, sizeof(err));                            \
			rc = (call);                                             \
			if (rc == 0 || !step_again(s, &err, &tries_, what, node, vmid)) \
				break;                                           \
		}                                                                \
	} while (0)

static int failed_call(struct step *s, const char *fmt, const char *msg)
{
	if (step_stopping(s))
		return STEP_STOPPED;
	return step_fail(s, fmt, s->ctid, msg);
}

/* The driver lacks an op (a test double may): the step fails saying so. */
static bool missing_op(struct step *s, bool have, const char *what)
{
	if (have)
		return false;
	step_fail(s, "%s of %u: the backend driver cannot do this", what, s->ctid);
	return true;
}

int step_ostemplate(struct step *s, struct kvbuf *kv)
{
	const char *tmpl = entry_str(s->entry, "template");
	struct phx_storage_list list = { 0 };
	char volid[600], why[512];
	struct phx_err err;
	int rc;

	if (!tmpl || !phx_ostemplate_is_path(tmpl))
		return STEP_OK;
	if (missing_op(s, s->e->drv->ops->list_storage != NULL, "mapping the OS template"))
		return STEP_FAILED;
	CALL(s, "listing the storages", NULL, 0,
	     s->e->drv->ops->list_storage(s->e->drv->ctx, &list, &err));
	if (rc < 0)
		return failed_call(s, "OS template of %u: listing the storages failed: %s", err.msg);
	rc = phx_ostemplate_volid(tmpl, &list, s->node, volid, sizeof(volid), why, sizeof(why));
	phx_storage_list_free(&list);
	if (rc < 0)
		return step_fail(s, "OS template of %u: %s is a path on the host, which Proxmox "
				 "takes from root@pam only, and no storage covers it: %s",
				 s->ctid, tmpl, why);
	step_note(s, "OS template %s is %s on the backend", tmpl, volid);
	kv_set(kv, "ostemplate", volid);
	return kv->failed ? step_fail(s, "out of memory forming the create request of %u",
				      s->ctid) : STEP_OK;
}

/* --- firewall --- */

/* A rule's parameters as the entry says them (the origin's "port" is
 * Proxmox's dport; enable defaults to 1 as lxc-manager.sh sends it). */
static void rule_params(json_object *rule, unsigned pos, struct kvbuf *kv)
{
	static const char *const keys[] = { "type", "action", "source", "dest", "proto",
					    "dport", "sport", "comment", "iface", "macro",
					    "log", "icmp-type", NULL };

	for (const char *const *k = keys; *k; k++) {
		const char *key = *k;
		json_object *v;

		if (!json_object_object_get_ex(rule, key, &v) && !strcmp(key, "dport"))
			json_object_object_get_ex(rule, "port", &v);
		else if (!json_object_object_get_ex(rule, key, &v))
			v = NULL;
		if (!v || json_object_is_type(v, json_type_null))
			continue;
		if (json_object_get_string(v)[0])
			kv_add(kv, key, "%s", json_object_get_string(v));
	}
	{
		json_object *en;
		bool on = !json_object_object_get_ex(rule, "enable", &en) ||
			  json_object_get_boolean(en);

		kv_add(kv, "enable", "%d", on ? 1 : 0);
	}
	kv_add(kv, "pos", "%u", pos);
}

/* Whether Proxmox's list already holds the rules the entry asks for, in
 * order (each parameter we would send has the same value). */
static bool rules_match(json_object *have, json_object *want)
{
	size_t n = want ? json_object_array_length(want) : 0;

	if (!json_object_is_type(have, json_type_array) || json_object_array_length(have) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		json_object *h = NULL;
		struct kvbuf kv = { .n = 0 };
		bool same = true;

		/* listed in pos order */
		for (size_t k = 0; k < n; k++) {
			json_object *r = json_object_array_get_idx(have, k), *p;

			if (json_object_object_get_ex(r, "pos", &p) &&
			    (size_t)json_object_get_int(p) == i)
				h = r;
		}
		if (!h)
			return false;
		rule_params(json_object_array_get_idx(want, i), (unsigned)i, &kv);
		for (size_t k = 0; k < kv.n && same; k++) {
			json_object *v;

			if (!strcmp(kv.v[k].key, "pos"))
				continue;
			same = json_object_object_get_ex(h, kv.v[k].key, &v) &&
			       !strcmp(json_object_get_string(v), kv.v[k].value);
		}
		kv_free(&kv);
		if (!same)
			return false;
	}
	return true;
}

int step_firewall(struct step *s)
{
	const struct phx_driver_ops *ops = s->e->drv->ops;
	json_object *fw = NULL, *want = NULL, *opts = NULL, *have = NULL;
	struct kvbuf kv = { .n = 0 };
	struct phx_err err;
	size_t n;
	int rc;

	if (!s->entry || !json_object_object_get_ex(s->entry, "firewall", &fw) ||
	    !json_object_is_type(fw, json_type_object))
		return STEP_OK;
	if (!phx_firewall_enabled(s->entry)) {
		step_note(s, "firewall: not enabled in the entry (net0 has no firewall=1)");
		return STEP_OK;
	}
	if (missing_op(s, ops->fw_rules != NULL, "the firewall"))
		return STEP_FAILED;
	step_show(s, ST_CONFIGURING, "firewall");
	/* options: enable=1 and what the entry adds */
	kv_add(&kv, "enable", "1");
	if (json_object_object_get_ex(fw, "options", &opts) &&
	    json_object_is_type(opts, json_type_object)) {
		json_object_object_foreach(opts, key, val) {
			if (!strcmp(key, "enable"))
				continue;
			if (json_object_is_type(val, json_type_boolean))
				kv_add(&kv, key, "%d", json_object_get_boolean(val) ? 1 : 0);
			else
				kv_add(&kv, key, "%s", json_object_get_string(val));
		}
	}
	if (kv.failed) {
		kv_free(&kv);
		return step_fail(s, "out of memory forming the firewall options of %u", s->ctid);
	}
	CALL(s, "setting the firewall options", s->node, s->ctid,
	     ops->fw_set_options(s->e->drv->ctx, s->node, s->ctid, kv.v, kv.n, &err));
	kv_free(&kv);
	if (rc < 0)
		return failed_call(s, "firewall of %u: setting its options failed: %s", err.msg);

	json_object_object_get_ex(fw, "rules", &want);
	if (want && !json_object_is_type(want, json_type_array))
		want = NULL;
	CALL(s, "reading the firewall rules", s->node, s->ctid,
	     ops->fw_rules(s->e->drv->ctx, s->node, s->ctid, &have, &err));
	if (rc < 0)
		return failed_call(s, "firewall of %u: reading its rules failed: %s", err.msg);
	if (rules_match(have, want)) {
		json_object_put(have);
		step_note(s, "firewall: enabled, %zu rules already as the entry says",
			  want ? json_object_array_length(want) : 0);
		return STEP_OK;
	}
	/* replace them all, as lxc-manager.sh does: delete from the top, then
	 * add each rule at its position */
	n = json_object_array_length(have);
	json_object_put(have);
	for (size_t i = 0; i < n; i++) {
		CALL(s, "deleting a firewall rule", s->node, s->ctid,
		     ops->fw_delete_rule(s->e->drv->ctx, s->node, s->ctid, 0, &err));
		if (rc < 0)
			return failed_call(s, "firewall of %u: deleting an old rule failed: %s",
					   err.msg);
	}
	for (size_t i = 0; want && i < json_object_array_length(want); i++) {
		rule_params(json_object_array_get_idx(want, i), (unsigned)i, &kv);
		if (kv.failed) {
			kv_free(&kv);
			return step_fail(s, "out of memory forming a firewall rule of %u", s->ctid);
		}
		CALL(s, "adding a firewall rule", s->node, s->ctid,
		     ops->fw_add_rule(s->e->drv->ctx, s->node, s->ctid, kv.v, kv.n, &err));
		kv_free(&kv);
		if (rc < 0)
			return step_fail(s, "firewall of %u: rule %zu refused: %s", s->ctid, i,
					 err.msg);
	}
	step_note(s, "firewall: enabled, %zu rules set (%zu old ones replaced)",
		  want ? json_object_array_length(want) : 0, n);
	return STEP_OK;
}

/* --- disk --- */

/* "local-lvm:vm-901-disk-0,size=16G" -> bytes; false when it has no size. */
static bool rootfs_bytes(const char *rootfs, double *bytes)
{
	const char *p = rootfs ? strstr(rootfs, "size=") : NULL;
	char *end;
	double v;

	if (!p)
		return false;
	v = strtod(p + 5, &end);
	if (end == p + 5)
		return false;
	switch (*end) {
	case 'T': v *= 1024.0; /* fall through */
	case 'G': v *= 1024.0; /* fall through */
	case 'M': v *= 1024.0; /* fall through */
	case 'K': v *= 1024.0; break;
	default: break;
	}
	*bytes = v;
	return true;
}

int step_disk(struct step *s)
{
	char upid[PHX_UPID_MAX] = "", size[32], why[600];
	json_object *cfg = NULL;
	struct phx_err err;
	long long want_gb;
	double have, want;
	int rc;

	if (!entry_int(s->entry, "storage_size_gb", &want_gb))
		return STEP_OK;
	if (step_get_config(s, s->node, s->ctid, &cfg, &err) < 0)
		return failed_call(s, "disk of %u: reading its config failed: %s", err.msg);
	if (!rootfs_bytes(cfg_str(cfg, "rootfs"), &have)) {
		json_object_put(cfg);
		step_note(s, "disk: rootfs has no size in the config; left as it is");
		return STEP_OK;
	}
	json_object_put(cfg);
	want = (double)want_gb * 1024.0 * 1024.0 * 1024.0;
	if (fabs(want - have) < 1.0) {
		step_note(s, "disk: rootfs is %lld GiB as the entry says", want_gb);
		return STEP_OK;
	}
	if (want < have)
		return step_fail(s, "disk of %u: rootfs is %.0f GiB and storage_size_gb asks %lld: "
				 "Proxmox cannot shrink a container's disk (pve-container: unable "
				 "to shrink disk size); nothing was sent", s->ctid,
				 have / (1024.0 * 1024.0 * 1024.0), want_gb);
	if (missing_op(s, s->e->drv->ops->resize != NULL, "growing the disk"))
		return STEP_FAILED;
	snprintf(size, sizeof(size), "%lldG", want_gb);
	step_show(s, ST_CONFIGURING, "growing rootfs to %s", size);
	step_note(s, "disk: growing rootfs from %.0f GiB to %s", have / (1024.0 * 1024.0 * 1024.0),
		  size);
	CALL(s, "resize", s->node, s->ctid,
	     s->e->drv->ops->resize(s->e->drv->ctx, s->node, s->ctid, "rootfs", size, upid, &err));
	if (rc < 0)
		return failed_call(s, "disk of %u: resize failed: %s", err.msg);
	if (upid[0]) {
		rc = step_wait_task(s, upid, ST_CONFIGURING, "growing rootfs", why, sizeof(why));
		if (rc == STEP_STOPPED)
			return rc;
		if (rc < 0)
			return step_fail(s, "disk of %u: resize failed: %s", s->ctid, why);
	}
	step_note(s, "disk: rootfs is %s", size);
	return STEP_OK;
}

/* --- raw CTID.conf lines --- */

static char *read_text(const char *path, int *errnum)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f) {
		*errnum = errno;
		return NULL;
	}
	for (;;) {
		if (len + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = cap ? cap * 2 : 8192);

			if (!nb) {
				free(buf);
				fclose(f);
				*errnum = ENOMEM;
				return NULL;
			}
			buf = nb;
		}
		size_t got = fread(buf + len, 1, 4096, f);

		len += got;
		if (got < 4096)
			break;
	}
	*errnum = ferror(f) ? EIO : 0;
	fclose(f);
	if (*errnum) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

int step_rawconf(struct step *s)
{
	char *lines = NULL, *keys = NULL, *conf = NULL, *merged = NULL, path[4096], why[512];
	bool unpriv = true, changed = false;
	int rc, errnum = 0;

	/* what lxc-manager.sh does on the host itself (zfs create, chown of
	 * host paths): not an API call, not a CTID.conf line; said, not
	 * dropped */
	for (const char *const *k = (const char *const[]){ "zfs_volumes", "volumes", NULL }; *k;
	     k++) {
		json_object *v;

		if (s->entry && json_object_object_get_ex(s->entry, *k, &v) &&
		    json_object_is_type(v, json_type_array) && json_object_array_length(v))
			step_note(s, "%s: not applied: lxc-manager.sh makes these on the host "
				  "(zfs create, chown) as root, which no API call does; a "
				  "feature hook can", *k);
	}
	entry_bool(s->entry, "unprivileged", &unpriv);
	if (phx_rawconf_from_entry(s->entry, unpriv, &lines, &keys, why, sizeof(why)) < 0)
		return step_fail(s, "raw config lines of %u: %s", s->ctid, why);
	if (!*lines) {
		rc = STEP_OK;
		goto out;
	}
	if (!s->e->pve_conf_dir) {
		/* never dropped silently: each key, and what would apply it */
		for (char *k = strtok(keys, " "); k; k = strtok(NULL, " "))
			step_note(s, "%s: not applied: Proxmox lets only root@pam set raw lxc "
				  "lines and host bind mounts, which an API token cannot; mount "
				  "with pve_conf_dir=/etc/pve/lxc as root on the node to write "
				  "them into %u.conf", k, s->ctid);
		rc = STEP_OK;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%u.conf", s->e->pve_conf_dir, s->ctid);
	conf = read_text(path, &errnum);
	if (!conf) {
		rc = step_fail(s, "raw config lines of %u: cannot read %s: %s%s", s->ctid, path,
			       strerror(errnum), errnum == ENOENT ?
			       " (pve_conf_dir is the node's own directory: is the container "
			       "on this node?)" : "");
		goto out;
	}
	if (phx_rawconf_merge(conf, lines, &merged, &changed, why, sizeof(why)) < 0) {
		rc = step_fail(s, "raw config lines of %u: %s", s->ctid, why);
		goto out;
	}
	if (!changed) {
		step_note(s, "%s: already in %s", keys, path);
		rc = STEP_OK;
		goto out;
	}
	if ((rc = atomic_write_file(path, merged, strlen(merged), 0640, why, sizeof(why))) < 0) {
		rc = step_fail(s, "raw config lines of %u: writing %s failed: %s", s->ctid, path,
			       why);
		goto out;
	}
	step_note(s, "%s: written into %s", keys, path);
	rc = STEP_OK;
out:
	free(lines);
	free(keys);
	free(conf);
	free(merged);
	return rc;
}

/* --- snapshots --- */

int step_has_snapshot(struct step *s, const char *node, uint32_t vmid, const char *name)
{
	char **names = NULL;
	size_t n = 0;
	struct phx_err err;
	int rc, has = 0;

	if (missing_op(s, s->e->drv->ops->list_snapshots != NULL, "listing snapshots"))
		return STEP_FAILED;
	CALL(s, "listing snapshots", node, vmid,
	     s->e->drv->ops->list_snapshots(s->e->drv->ctx, node, vmid, &names, &n, &err));
	if (rc < 0) {
		if (step_stopping(s))
			return SNAP_LIST_STOPPED;
		step_fail(s, "listing the snapshots of %u failed: %s", vmid, err.msg);
		return STEP_FAILED;
	}
	for (size_t i = 0; i < n; i++) {
		has |= !strcmp(names[i], name);
		free(names[i]);
	}
	free(names);
	return has;
}

static int snap_task(struct step *s, const char *name, bool del, bool optional)
{
	const struct phx_driver_ops *ops = s->e->drv->ops;
	char upid[PHX_UPID_MAX] = "", why[600], detail[96];
	struct phx_err err;
	int rc;

	snprintf(detail, sizeof(detail), "%s snapshot %s", del ? "deleting" : "taking", name);
	step_show(s, ST_CONFIGURING, "%s", detail);
	if (del)
		CALL(s, "deleting a snapshot", s->node, s->ctid,
		     ops->delete_snapshot(s->e->drv->ctx, s->node, s->ctid, name, upid, &err));
	else
		CALL(s, "taking a snapshot", s->node, s->ctid,
		     ops->snapshot(s->e->drv->ctx, s->node, s->ctid, name,
				   "taken by phoenixfs (lxc-manager create)", upid, &err));
	if (rc < 0) {
		snprintf(why, sizeof(why), "%s", err.msg);
		if (step_stopping(s))
			return STEP_STOPPED;
	} else {
		rc = step_wait_task(s, upid, ST_CONFIGURING, detail, why, sizeof(why));
		if (rc == STEP_STOPPED)
			return rc;
	}
	if (rc == 0)
		return STEP_OK;
	if (optional && strstr(why, "snapshot feature is not available")) {
		step_note(s, "warning: snapshot %s not taken: %s (lxc-manager.sh skips it too)",
			  name, why);
		return STEP_OK;
	}
	return step_fail(s, "%s of %u failed: %s", detail, s->ctid, why);
}

int step_snapshot(struct step *s, const char *name, bool recreate, bool optional)
{
	int has;

	if (missing_op(s, s->e->drv->ops->snapshot != NULL, "taking a snapshot"))
		return STEP_FAILED;
	has = step_has_snapshot(s, s->node, s->ctid, name);
	if (has == SNAP_LIST_STOPPED)
		return STEP_STOPPED;
	if (has < 0)
		return STEP_FAILED;
	if (has && !recreate) {
		step_note(s, "snapshot %s: exists already", name);
		return STEP_OK;
	}
	if (has) {
		int rc = snap_task(s, name, true, false);

		if (rc)
			return rc;
		step_note(s, "snapshot %s: deleted, to take it again", name);
	}
	{
		int rc = snap_task(s, name, false, optional);

		if (rc)
			return rc;
	}
	step_note(s, "snapshot %s: taken", name);
	return STEP_OK;
}
