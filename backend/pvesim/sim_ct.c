/* Container helpers shared by the API-area files: guest records, lock
 * checks, feature-flag permission, volume syntax, mount points, the
 * vmstatus record. Above the core (state, params, tasks), below every API
 * area; it calls no API-area file. */
#include "sim_internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_object *sim_guest_new(struct sim *s, int vmid, const char *node)
{
	json_object *g = json_object_new_object();
	json_object *c = json_object_new_object();
	char key[16];

	json_object_object_add(c, "lock", json_object_new_string("create"));
	json_object_object_add(g, "node", json_object_new_string(node));
	json_object_object_add(g, "running", json_object_new_boolean(0));
	json_object_object_add(g, "conf", c);
	json_object_object_add(g, "snapshots", json_object_new_object());
	snprintf(key, sizeof(key), "%d", vmid);
	json_object_object_add(s->guests, key, g);
	sim_mark_dirty(s);
	return g;
}

void sim_guest_delete(struct sim *s, int vmid)
{
	char key[16];
	snprintf(key, sizeof(key), "%d", vmid);
	json_object_object_del(s->guests, key);
	sim_mark_dirty(s);
}

json_object *sim_guest_snapshots(json_object *g)
{
	json_object *sn;
	if (!json_object_object_get_ex(g, "snapshots", &sn)) {
		sn = json_object_new_object();
		json_object_object_add(g, "snapshots", sn);
	}
	return sn;
}

int sim_check_lock(json_object *g, struct sim_res *r)
{
	const char *l = sim_guest_lock(g);
	if (!l)
		return 0;
	res_err(r, 500, "CT is locked (%s)", l);
	return -1;
}

int sim_lock_err(json_object *g, bool allow_mounted, char *err, size_t len)
{
	const char *l = sim_guest_lock(g);
	if (!l || (allow_mounted && !strcmp(l, "mounted")))
		return 0;
	snprintf(err, len, "CT is locked (%s)", l);
	return -1;
}

int sim_busy(struct sim_res *r, int vmid)
{
	r->status = SIM_BUSY;
	r->busy_vmid = vmid;
	sim_flock_timeout_msg(vmid, r->msg, sizeof(r->msg));
	return -1;
}

/* What a config-changing call meets first (pve-guest-common
 * PVE/AbstractConfig.pm): lock_config's flock, which a running worker
 * holds, times out (sim_busy), then check_lock refuses a config that
 * carries a lock. */
int sim_check_unlocked(struct sim *s, json_object *g, int vmid, struct sim_res *r)
{
	if (sim_flock_held(s, vmid))
		return sim_busy(r, vmid);
	return sim_check_lock(g, r);
}

bool sim_is_root(const struct sim_call *c)
{
	return c && c->user && !strcmp(c->user, "root@pam");
}

int sim_args_int(json_object *a, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(a, k, &v) ? json_object_get_int(v) : 0;
}

const char *sim_args_str(json_object *a, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(a, k, &v) ? json_object_get_string(v) : NULL;
}

/* Feature flags other than nesting, and any flag on a privileged CT, are
 * root@pam's alone; an API token, even root's, is not root@pam. */
int sim_check_features(const char *newf, const char *oldf, bool unpriv,
			  const struct sim_call *c, struct sim_res *r)
{
	char buf[512], *save, *tok;

	if (sim_is_root(c) || !newf || (oldf && !strcmp(newf, oldf)))
		return 0;
	snprintf(buf, sizeof(buf), "%s", newf);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (strncmp(tok, "nesting=", 8)) {
			res_err(r, 403, "Permission check failed (changing feature flags (except nesting) is only allowed for root@pam)");
			return -1;
		}
		if (!unpriv) {
			res_err(r, 403, "Permission check failed (changing feature flags for privileged container is only allowed for root@pam)");
			return -1;
		}
	}
	return 0;
}

/* "local-lvm:8" or a bare "8" allocates a new volume */
bool sim_new_volume_syntax(const char *v, char *sid, size_t sidlen,
			      char *size, size_t slen)
{
	const char *colon = strchr(v, ':');
	const char *num = colon ? colon + 1 : v;
	const char *comma = strchr(num, ',');
	size_t n = comma ? (size_t)(comma - num) : strlen(num);
	bool dot = false;

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (num[i] == '.' && !dot && i > 0) {
			dot = true;
			continue;
		}
		if (!isdigit((unsigned char)num[i]))
			return false;
	}
	if (colon)
		snprintf(sid, sidlen, "%.*s", (int)(colon - v), v);
	else
		sid[0] = 0;
	if (dot)
		snprintf(size, slen, "%.0fM", strtod(num, NULL) * 1024);
	else
		snprintf(size, slen, "%.*sG", (int)n, num);
	return true;
}
void sim_add_num(json_object *o, const char *k, long long v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

long long sim_parse_size(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	switch (*end) {
	case 'T': v *= 1024.0; /* fall through */
	case 'G': v *= 1024.0; /* fall through */
	case 'M': v *= 1024.0; /* fall through */
	case 'K': v *= 1024.0; break;
	default: break;
	}
	/* a client's digits may pass the size pattern and still not fit:
	 * converting such a double is undefined */
	if (!(v > -9.2e18))
		return v < 0 ? LLONG_MIN : 0; /* NaN: 0 */
	return v < 9.2e18 ? (long long)v : LLONG_MAX;
}

long long sim_size_bytes(const char *opts)
{
	const char *p = strstr(opts ? opts : "", "size=");

	return p ? sim_parse_size(p + 5) : 4LL << 30;
}

long long sim_guest_maxdisk(json_object *c)
{
	json_object *v;
	char sid[64], vol[256], opts[256];
	if (!json_object_object_get_ex(c, "rootfs", &v) ||
	    sim_volume_split(json_object_get_string(v), sid, sizeof(sid), vol,
			     sizeof(vol), opts, sizeof(opts)))
		return 4LL << 30;
	return sim_size_bytes(opts);
}

/* PVE::LXC::sim_vmstatus for one CT */
json_object *sim_vmstatus(int vmid, json_object *g)
{
	json_object *o = json_object_new_object(), *c = sim_guest_conf(g), *v;
	bool run = sim_guest_running(g);
	char name[300];

	sim_add_num(o, "vmid", vmid);
	json_object_object_add(o, "type", json_object_new_string("lxc"));
	json_object_object_add(o, "status",
			       json_object_new_string(run ? "running" : "stopped"));
	if (json_object_object_get_ex(c, "hostname", &v))
		snprintf(name, sizeof(name), "%s", json_object_get_string(v));
	else
		snprintf(name, sizeof(name), "CT%d", vmid);
	json_object_object_add(o, "name", json_object_new_string(name));
	sim_add_num(o, "cpus", sim_conf_int(c, "cores", 8));
	sim_add_num(o, "maxmem", sim_conf_int(c, "memory", 512) << 20);
	sim_add_num(o, "maxswap", sim_conf_int(c, "swap", 512) << 20);
	sim_add_num(o, "maxdisk", sim_guest_maxdisk(c));
	sim_add_num(o, "disk", run ? sim_guest_maxdisk(c) / 10 : 0);
	sim_add_num(o, "mem", run ? (sim_conf_int(c, "memory", 512) << 20) / 8 : 0);
	sim_add_num(o, "swap", 0);
	json_object_object_add(o, "cpu", json_object_new_int(0));
	sim_add_num(o, "uptime", run ? 60 : 0);
	sim_add_num(o, "netin", 0);
	sim_add_num(o, "netout", 0);
	sim_add_num(o, "diskread", 0);
	sim_add_num(o, "diskwrite", 0);
	if (sim_guest_template(g))
		sim_add_num(o, "template", 1);
	if (json_object_object_get_ex(c, "lock", &v))
		json_object_object_add(o, "lock", json_object_get(v));
	if (json_object_object_get_ex(c, "tags", &v))
		json_object_object_add(o, "tags", json_object_get(v));
	if (run)
		sim_add_num(o, "pid", 10000 + vmid % 50000);
	return o;
}

int sim_canonical_nets(struct sim *s, json_object *p, bool new_mac,
			  struct sim_res *r)
{
	json_object_object_foreach(p, k, v) {
		char out[1024], err[512];
		if (strncmp(k, "net", 3) || !isdigit((unsigned char)k[3]) ||
		    json_object_is_type(v, json_type_null))
			continue;
		if (sim_net_canonical(s, json_object_get_string(v), new_mac, out,
				      sizeof(out), err, sizeof(err)))
			res_param(r, k, "%s", err);
		else
			json_object_object_add(p, k, json_object_new_string(out));
	}
	return r->status == 400 ? -1 : 0;
}

void sim_free_allocated(struct sim *s, struct sim_task *t, const char *node)
{
	json_object *alloc = json_object_object_get(t->args, "allocated");
	for (size_t i = 0; alloc && i < json_object_array_length(alloc); i++) {
		char sid[64], vol[300], opts[8], e[256];
		if (!sim_volume_split(json_object_get_string(json_object_array_get_idx(alloc, i)),
				      sid, sizeof(sid), vol, sizeof(vol), opts, sizeof(opts)))
			sim_volume_free(s, sid, node, vol, e, sizeof(e));
	}
}

void sim_apply_pending(struct sim *s, json_object *g)
{
	json_object *pend;
	if (!json_object_object_get_ex(g, "pending", &pend))
		return;
	json_object_object_foreach(pend, k, v)
		json_object_object_add(sim_guest_conf(g), k, json_object_get(v));
	json_object_object_del(g, "pending");
	sim_mark_dirty(s);
}

int sim_collect_mounts(json_object *conf, struct mount_ref *m, int max)
{
	int n = 0;
	json_object_object_foreach(conf, k, v) {
		const char *val = json_object_get_string(v);
		if (!sim_is_mp_key(k) || n >= max)
			continue;
		memset(&m[n], 0, sizeof(m[n]));
		snprintf(m[n].key, sizeof(m[n].key), "%s", k);
		if (val[0] == '/') {
			m[n].bind = true;
			snprintf(m[n].vol, sizeof(m[n].vol), "%.*s",
				 (int)strcspn(val, ","), val);
		} else if (sim_volume_split(val, m[n].sid, sizeof(m[n].sid), m[n].vol,
					    sizeof(m[n].vol), m[n].opts,
					    sizeof(m[n].opts))) {
			continue;
		}
		n++;
	}
	return n;
}

bool sim_linked_capable(struct sim *s, const char *sid)
{
	const struct sim_storage *st = sim_storage_find(s, sid);
	return st && (st->type == ST_LVMTHIN || st->type == ST_ZFSPOOL);
}


json_object *sim_task_guest(struct sim *s, struct sim_task *t, char *err,
			    size_t len)
{
	json_object *g = sim_guest(s, sim_args_int(t->args, "vmid"));
	if (!g)
		snprintf(err, len, "Configuration file 'nodes/%s/lxc/%d.conf' does not exist",
			 t->node, sim_args_int(t->args, "vmid"));
	return g;
}

json_object *sim_finish_guest(struct sim *s, struct sim_task *t, char *err,
			      size_t len)
{
	json_object *g = sim_task_guest(s, t, err, len);
	if (g && t->taskfail) {
		snprintf(err, len, "%s", FAULT_TEXT);
		return NULL;
	}
	return g;
}

void sim_task_unlock(struct sim *s, struct sim_task *t)
{
	json_object *g = sim_guest(s, sim_args_int(t->args, "vmid"));
	const char *lockset = sim_args_str(t->args, "lockset");

	if (lockset && g && sim_guest_lock(g) && !strcmp(sim_guest_lock(g), lockset))
		sim_set_lock(g, NULL);
	sim_mark_dirty(s);
}
