/* Growing a mount point (pve-container API2/LXC.pm resize_vm, the same in
 * stable-bookworm and master): the checks run before the worker forks and
 * again inside it under the config flock; the worker writes the new size
 * into the mount point and the volume. Shrinking is refused. */
#include "sim_internal.h"

#include <limits.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct sim_task_kind kind_resize;

/* JSONSchema.pm format_size: the largest unit that divides evenly */
static void format_size(long long b, char *out, size_t len)
{
	static const char units[] = "KMGT";
	int u = -1;
	while (u < 3 && b % 1024 == 0 && b > 0) {
		b /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(out, len, "%lld", b);
	else
		snprintf(out, len, "%lld%c", b, units[u]);
}

/* owner of a volume name: vm-ID-..., subvol-ID-..., the last component
 * of a linked clone's base/child name */
static int vol_owner(const char *vol)
{
	const char *t = strrchr(vol, '/');
	t = t ? t + 1 : vol;
	if (!strncmp(t, "vm-", 3))
		return atoi(t + 3);
	if (!strncmp(t, "subvol-", 7))
		return atoi(t + 7);
	if (!strncmp(t, "base-", 5))
		return atoi(t + 5);
	if (!strncmp(t, "basevol-", 8))
		return atoi(t + 8);
	return -1;
}

/* load_and_check: 0 and the new size, or -1 with err */
static int load_and_check(struct sim *s, json_object *g, int vmid,
			  const char *disk, const char *sizestr,
			  const char *digest, long long *newsize,
			  struct mount_ref *mp, char *err, size_t len)
{
	json_object *v;
	const char *val;
	long long size, req;
	bool ext = sizestr[0] == '+';

	if (sim_lock_err(g, false, err, len))
		return -1;
	if (digest) {
		char cur[41];
		sim_conf_digest(g, cur);
		if (strcmp(cur, digest)) {
			snprintf(err, len, "detected modified configuration - file changed by other user? Try again.\n");
			return -1;
		}
	}
	if (!json_object_object_get_ex(sim_guest_conf(g), disk, &v)) {
		/* parse_volume of an empty string: the volume is missing */
		snprintf(err, len, "format error\nvolume: property is missing and it is not optional\n");
		return -1;
	}
	val = json_object_get_string(v);
	memset(mp, 0, sizeof(*mp));
	snprintf(mp->key, sizeof(mp->key), "%s", disk);
	if (val[0] == '/' ||
	    sim_volume_split(val, mp->sid, sizeof(mp->sid), mp->vol, sizeof(mp->vol),
			     mp->opts, sizeof(mp->opts))) {
		snprintf(err, len, "unable to parse volume ID '%.*s'\n",
			 (int)strcspn(val, ","), val);
		return -1;
	}
	if (vol_owner(mp->vol) != vmid) {
		snprintf(err, len, "can't resize mount point owned by another container (%d)",
			 vol_owner(mp->vol));
		return -1;
	}
	(void)s;
	size = sim_size_bytes(mp->opts);
	req = sim_parse_size(sizestr + ext);
	if (!ext)
		*newsize = req;
	else if (__builtin_add_overflow(size, req, newsize))
		*newsize = LLONG_MAX;
	if (*newsize < size) {
		snprintf(err, len, "unable to shrink disk size\n");
		return -1;
	}
	if (*newsize == size) {
		snprintf(err, len, "disk is already at specified size\n");
		return -1;
	}
	return 0;
}

void sim_lxc_resize(struct sim *s, const char *node, const char *vmid,
		    json_object *p, const struct sim_call *c, struct sim_res *r)
{
	static const struct pdef params[] = {
		{ "disk", PT_STR, 0, 16, NULL },
		{ "size", PT_STR, 0, 64, NULL },
		{ "digest", PT_STR, 0, 40, NULL },
		{ NULL, 0, 0, 0, NULL },
	};
	static const char *const req[] = { "disk", "size", NULL };
	const char *disk, *size, *digest = NULL;
	struct mount_ref mp;
	json_object *g, *args;
	struct sim_task *t;
	long long newsize;
	char err[512];
	int id;

	/* the method's `permissions` (RPCEnvironment.pm check) */
	if (sim_vm_perm(s, vmid, "VM.Config.Disk", false, r))
		return;
	if (sim_check_node(s, node, r) || sim_validate(s, p, params, false, req, r))
		return;
	sim_param_str(p, "disk", &disk);
	sim_param_str(p, "size", &size);
	sim_param_str(p, "digest", &digest);
	/* disk: enum rootfs, mp0..mp255; size: pattern \+?\d+(\.\d+)?[KMGT]? */
	if (strcmp(disk, "rootfs") && !sim_is_mp_key(disk)) {
		res_param(r, "disk", "value '%s' does not have a value in the enumeration 'rootfs, mp0, ..., mp255'", disk);
		return;
	}
	if (!sim_match("^\\+?[0-9]+(\\.[0-9]+)?[KMGT]?$", size)) {
		res_param(r, "size", "value does not match the regex pattern");
		return;
	}
	g = sim_load_config(s, node, vmid, r, &id);
	if (!g)
		return;
	if (load_and_check(s, g, id, disk, size, digest, &newsize, &mp, err, sizeof(err))) {
		res_err(r, 500, "%s", err);
		return;
	}
	/* resize_vm's $load_and_check: Datastore.AllocateSpace on the
	 * volume's storage (after the owner check) */
	{
		char sp[128];
		snprintf(sp, sizeof(sp), "/storage/%s", mp.sid);
		if (sim_perm(s, sp, "Datastore.AllocateSpace", false, r))
			return;
	}
	args = json_object_new_object();
	json_object_object_add(args, "vmid", json_object_new_int(id));
	json_object_object_add(args, "disk", json_object_new_string(disk));
	json_object_object_add(args, "size", json_object_new_string(size));
	if (digest)
		json_object_object_add(args, "digest", json_object_new_string(digest));
	t = sim_task_start(s, node, &kind_resize, id, c, args, id);
	if (!t) {
		res_err(r, 500, "out of memory");
		return;
	}
	res_ok(r, json_object_new_string(t->upid));
}

static int resize_finish(struct sim *s, struct sim_task *t, char *err, size_t len)
{
	json_object *g = sim_finish_guest(s, t, err, len), *tab, *vr;
	const char *disk = sim_args_str(t->args, "disk");
	struct mount_ref mp;
	long long newsize;
	char sz[32], val[800], key[160], opts[256];
	const char *o;
	size_t n = 0;

	if (!g)
		return -1;
	if (load_and_check(s, g, sim_args_int(t->args, "vmid"), disk,
			   sim_args_str(t->args, "size"), sim_args_str(t->args, "digest"),
			   &newsize, &mp, err, len))
		return -1;
	format_size(newsize, sz, sizeof(sz));
	/* the options with size= replaced */
	opts[0] = 0;
	for (o = mp.opts; *o;) {
		size_t l = strcspn(o, ",");
		if (strncmp(o, "size=", 5))
			n += snprintf(opts + n, n < sizeof(opts) ? sizeof(opts) - n : 0,
				      "%s%.*s", n ? "," : "", (int)l, o);
		o += l + (o[l] == ',');
	}
	snprintf(val, sizeof(val), "%s:%s%s%s,size=%s", mp.sid, mp.vol,
		 opts[0] ? "," : "", opts, sz);
	json_object_object_add(sim_guest_conf(g), disk, json_object_new_string(val));
	if (json_object_object_get_ex(s->volumes, sim_volkey(s, mp.sid, t->node, key, sizeof(key)), &tab) &&
	    json_object_object_get_ex(tab, mp.vol, &vr))
		json_object_object_add(vr, "size", json_object_new_string(sz));
	sim_mark_dirty(s);
	return 0;
}

static int resize_begin(struct sim *s, struct sim_task *t, char *err, size_t len)
{
	return sim_task_guest(s, t, err, len) ? 0 : -1;
}

static const struct sim_task_kind kind_resize = {
	"resize", 100, true, resize_begin, resize_finish, NULL };
