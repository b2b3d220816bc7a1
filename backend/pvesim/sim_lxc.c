/* The LXC endpoints and their rules: create, clone, template, start/stop,
 * destroy, config, snapshots. Each mutating call is two-phase as in
 * pve-container: synchronous checks answered as HTTP errors, then a task
 * whose own checks and effects show only in its log and exitstatus. */
#include "sim_internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAULT_TEXT "simulated failure (pvesim fault injection)"

static json_object *new_guest(struct sim *s, int vmid, const char *node)
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

static void delete_guest(struct sim *s, int vmid)
{
	char key[16];
	snprintf(key, sizeof(key), "%d", vmid);
	json_object_object_del(s->guests, key);
	sim_mark_dirty(s);
}

static json_object *guest_snapshots(json_object *g)
{
	json_object *sn;
	if (!json_object_object_get_ex(g, "snapshots", &sn)) {
		sn = json_object_new_object();
		json_object_object_add(g, "snapshots", sn);
	}
	return sn;
}

static int check_lock(json_object *g, struct sim_res *r)
{
	const char *l = sim_guest_lock(g);
	if (!l)
		return 0;
	res_err(r, 500, "CT is locked (%s)", l);
	return -1;
}

static int lock_err(json_object *g, bool allow_mounted, char *err, size_t len)
{
	const char *l = sim_guest_lock(g);
	if (!l || (allow_mounted && !strcmp(l, "mounted")))
		return 0;
	snprintf(err, len, "CT is locked (%s)", l);
	return -1;
}

static int busy(struct sim_res *r, int vmid)
{
	r->status = SIM_BUSY;
	r->busy_vmid = vmid;
	sim_flock_timeout_msg(vmid, r->msg, sizeof(r->msg));
	return -1;
}

static bool is_root(const struct sim_call *c)
{
	return c && c->user && !strcmp(c->user, "root@pam");
}

static int args_int(json_object *a, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(a, k, &v) ? json_object_get_int(v) : 0;
}

static const char *args_str(json_object *a, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(a, k, &v) ? json_object_get_string(v) : NULL;
}

/* Feature flags other than nesting, and any flag on a privileged CT, are
 * root@pam's alone; an API token, even root's, is not root@pam. */
static int check_features(const char *newf, const char *oldf, bool unpriv,
			  const struct sim_call *c, struct sim_res *r)
{
	char buf[512], *save, *tok;

	if (is_root(c) || !newf || (oldf && !strcmp(newf, oldf)))
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
static bool new_volume_syntax(const char *v, char *sid, size_t sidlen,
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

/* ---- read-only endpoints ---- */

void sim_version(struct sim *s, struct sim_res *r)
{
	json_object *o = json_object_new_object();
	(void)s;
	json_object_object_add(o, "version", json_object_new_string("9.2.11"));
	json_object_object_add(o, "release", json_object_new_string("9.2"));
	json_object_object_add(o, "repoid", json_object_new_string("14a22df3"));
	res_ok(r, o);
}

static void add_num(json_object *o, const char *k, long long v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

void sim_nodes(struct sim *s, const char *fingerprint, struct sim_res *r)
{
	json_object *arr = json_object_new_array();
	for (int i = 0; i < s->o.n_nodes; i++) {
		json_object *o = json_object_new_object();
		char id[96];
		snprintf(id, sizeof(id), "node/%s", s->o.nodes[i]);
		json_object_object_add(o, "node", json_object_new_string(s->o.nodes[i]));
		json_object_object_add(o, "status", json_object_new_string("online"));
		json_object_object_add(o, "id", json_object_new_string(id));
		json_object_object_add(o, "type", json_object_new_string("node"));
		json_object_object_add(o, "level", json_object_new_string(""));
		json_object_object_add(o, "ssl_fingerprint",
				       json_object_new_string(fingerprint ? fingerprint : ""));
		json_object_object_add(o, "cpu", json_object_new_double(0.01));
		add_num(o, "maxcpu", 8);
		add_num(o, "mem", 2LL << 30);
		add_num(o, "maxmem", 32LL << 30);
		add_num(o, "disk", 4LL << 30);
		add_num(o, "maxdisk", 100LL << 30);
		add_num(o, "uptime", (long long)((sim_now(s) - s->boot_ms) / 1000));
		json_object_array_add(arr, o);
	}
	res_ok(r, arr);
}

static long long size_bytes(const char *opts)
{
	const char *p = strstr(opts ? opts : "", "size=");
	char *end;
	double v;
	if (!p)
		return 4LL << 30;
	v = strtod(p + 5, &end);
	switch (*end) {
	case 'T': return (long long)(v * (1LL << 40));
	case 'G': return (long long)(v * (1LL << 30));
	case 'M': return (long long)(v * (1LL << 20));
	case 'K': return (long long)(v * 1024);
	default: return (long long)v;
	}
}

static long long conf_int(json_object *c, const char *k, long long dflt)
{
	json_object *v;
	if (!json_object_object_get_ex(c, k, &v))
		return dflt;
	return strtoll(json_object_get_string(v), NULL, 10);
}

static long long guest_maxdisk(json_object *c)
{
	json_object *v;
	char sid[64], vol[256], opts[256];
	if (!json_object_object_get_ex(c, "rootfs", &v) ||
	    sim_volume_split(json_object_get_string(v), sid, sizeof(sid), vol,
			     sizeof(vol), opts, sizeof(opts)))
		return 4LL << 30;
	return size_bytes(opts);
}

/* PVE::LXC::vmstatus for one CT */
static json_object *vmstatus(int vmid, json_object *g)
{
	json_object *o = json_object_new_object(), *c = sim_guest_conf(g), *v;
	bool run = sim_guest_running(g);
	char name[300];

	add_num(o, "vmid", vmid);
	json_object_object_add(o, "type", json_object_new_string("lxc"));
	json_object_object_add(o, "status",
			       json_object_new_string(run ? "running" : "stopped"));
	if (json_object_object_get_ex(c, "hostname", &v))
		snprintf(name, sizeof(name), "%s", json_object_get_string(v));
	else
		snprintf(name, sizeof(name), "CT%d", vmid);
	json_object_object_add(o, "name", json_object_new_string(name));
	add_num(o, "cpus", conf_int(c, "cores", 8));
	add_num(o, "maxmem", conf_int(c, "memory", 512) << 20);
	add_num(o, "maxswap", conf_int(c, "swap", 512) << 20);
	add_num(o, "maxdisk", guest_maxdisk(c));
	add_num(o, "disk", run ? guest_maxdisk(c) / 10 : 0);
	add_num(o, "mem", run ? (conf_int(c, "memory", 512) << 20) / 8 : 0);
	add_num(o, "swap", 0);
	json_object_object_add(o, "cpu", json_object_new_int(0));
	add_num(o, "uptime", run ? 60 : 0);
	add_num(o, "netin", 0);
	add_num(o, "netout", 0);
	add_num(o, "diskread", 0);
	add_num(o, "diskwrite", 0);
	if (sim_guest_template(g))
		add_num(o, "template", 1);
	if (json_object_object_get_ex(c, "lock", &v))
		json_object_object_add(o, "lock", json_object_get(v));
	if (json_object_object_get_ex(c, "tags", &v))
		json_object_object_add(o, "tags", json_object_get(v));
	if (run)
		add_num(o, "pid", 10000 + vmid % 50000);
	return o;
}

void sim_cluster_resources(struct sim *s, json_object *p, struct sim_res *r)
{
	static const struct pdef params[] = {
		{ "type", PT_ENUM, 0, 0, "vm,storage,node,sdn" },
		{ NULL, 0, 0, 0, NULL },
	};
	const char *type = NULL;
	json_object *arr;

	if (sim_validate(p, params, false, NULL, r))
		return;
	sim_param_str(p, "type", &type);
	arr = json_object_new_array();
	if (!type || !strcmp(type, "vm")) {
		json_object_object_foreach(s->guests, key, g) {
			json_object *o = json_object_new_object(), *c = sim_guest_conf(g);
			json_object *rrd = NULL, *v;
			int vmid = atoi(key);
			char id[32];
			bool live = s->o.stats_lag_ms == 0;

			snprintf(id, sizeof(id), "lxc/%d", vmid);
			json_object_object_add(o, "id", json_object_new_string(id));
			json_object_object_add(o, "type", json_object_new_string("lxc"));
			add_num(o, "vmid", vmid);
			json_object_object_add(o, "node",
					       json_object_new_string(sim_guest_node(g)));
			if (live) {
				/* no lag: what pvestatd would publish, now */
				bool only_lock = json_object_object_length(c) == 1 &&
					json_object_object_get_ex(c, "lock", NULL);
				if (!only_lock) {
					rrd = json_object_new_object();
					json_object_object_add(rrd, "status", json_object_new_string(
						sim_guest_running(g) ? "running" : "stopped"));
					if (json_object_object_get_ex(c, "hostname", &v))
						json_object_object_add(rrd, "name", json_object_get(v));
					json_object_object_add(rrd, "template",
						json_object_new_int(sim_guest_template(g)));
				}
			} else if (json_object_object_get_ex(g, "rrd", &rrd)) {
				json_object_get(rrd);
			}
			if (rrd) {
				bool run;
				json_object_object_get_ex(rrd, "status", &v);
				run = !strcmp(json_object_get_string(v), "running");
				json_object_object_add(o, "status", json_object_get(v));
				if (json_object_object_get_ex(rrd, "name", &v))
					json_object_object_add(o, "name", json_object_get(v));
				if (json_object_object_get_ex(rrd, "template", &v))
					json_object_object_add(o, "template", json_object_get(v));
				add_num(o, "maxcpu", conf_int(c, "cores", 8));
				json_object_object_add(o, "cpu", json_object_new_int(0));
				add_num(o, "maxmem", conf_int(c, "memory", 512) << 20);
				add_num(o, "mem", run ? (conf_int(c, "memory", 512) << 20) / 8 : 0);
				add_num(o, "maxdisk", guest_maxdisk(c));
				add_num(o, "disk", 0);
				add_num(o, "netin", 0);
				add_num(o, "netout", 0);
				add_num(o, "diskread", 0);
				add_num(o, "diskwrite", 0);
				add_num(o, "uptime", run ? 60 : 0);
				json_object_put(rrd);
			} else {
				json_object_object_add(o, "status",
						       json_object_new_string("unknown"));
			}
			/* lock and tags are read live from the config */
			if (json_object_object_get_ex(c, "lock", &v))
				json_object_object_add(o, "lock", json_object_get(v));
			if (json_object_object_get_ex(c, "tags", &v))
				json_object_object_add(o, "tags", json_object_get(v));
			json_object_array_add(arr, o);
		}
	}
	if (!type || !strcmp(type, "node")) {
		for (int i = 0; i < s->o.n_nodes; i++) {
			json_object *o = json_object_new_object();
			char id[96];
			snprintf(id, sizeof(id), "node/%s", s->o.nodes[i]);
			json_object_object_add(o, "id", json_object_new_string(id));
			json_object_object_add(o, "type", json_object_new_string("node"));
			json_object_object_add(o, "node", json_object_new_string(s->o.nodes[i]));
			json_object_object_add(o, "status", json_object_new_string("online"));
			add_num(o, "maxcpu", 8);
			add_num(o, "maxmem", 32LL << 30);
			add_num(o, "uptime", (long long)((sim_now(s) - s->boot_ms) / 1000));
			json_object_array_add(arr, o);
		}
	}
	if (!type || !strcmp(type, "storage")) {
		for (int i = 0; i < s->o.n_nodes; i++)
			for (int j = 0; j < s->o.n_storages; j++) {
				const struct sim_storage *st = &s->o.storages[j];
				json_object *o = json_object_new_object();
				char id[160];
				snprintf(id, sizeof(id), "storage/%s/%s", s->o.nodes[i], st->id);
				json_object_object_add(o, "id", json_object_new_string(id));
				json_object_object_add(o, "type", json_object_new_string("storage"));
				json_object_object_add(o, "storage", json_object_new_string(st->id));
				json_object_object_add(o, "node", json_object_new_string(s->o.nodes[i]));
				json_object_object_add(o, "status", json_object_new_string("available"));
				json_object_object_add(o, "plugintype", json_object_new_string(
					sim_storage_type_name(st->type)));
				add_num(o, "shared", sim_storage_is_shared(st->type));
				add_num(o, "maxdisk", 500LL << 30);
				add_num(o, "disk", 10LL << 30);
				json_object_array_add(arr, o);
			}
	}
	res_ok(r, arr);
}

void sim_nextid(struct sim *s, json_object *p, struct sim_res *r)
{
	static const struct pdef params[] = {
		{ "vmid", PT_VMID, 0, 0, NULL },
		{ NULL, 0, 0, 0, NULL },
	};
	const char *v;
	char buf[16];

	if (sim_validate(p, params, false, NULL, r))
		return;
	if (sim_param_str(p, "vmid", &v)) {
		int id = atoi(v);
		if (sim_guest(s, id)) {
			res_param(r, "vmid", "VM %d already exists", id);
			return;
		}
		snprintf(buf, sizeof(buf), "%d", id);
		res_ok(r, json_object_new_string(buf));
		return;
	}
	for (int id = 100; id < 1000000; id++)
		if (!sim_guest(s, id)) {
			/* the loop variable was a hash key: a JSON string */
			snprintf(buf, sizeof(buf), "%d", id);
			res_ok(r, json_object_new_string(buf));
			return;
		}
	res_err(r, 500, "unable to get any free VMID in range [100, 1000000]");
}

static const char *content_list(const struct sim_storage *st, char *buf, size_t len)
{
	static const char *const all[] = { "backup", "images", "iso", "rootdir",
					   "vztmpl", NULL };
	size_t o = 0;
	buf[0] = 0;
	for (const char *const *c = all; *c; c++)
		if (sim_storage_has_content(st, *c))
			o += snprintf(buf + o, o < len ? len - o : 0, "%s%s",
				      o ? "," : "", *c);
	return buf;
}

void sim_storage_list(struct sim *s, const char *node, json_object *p,
		      struct sim_res *r)
{
	static const struct pdef params[] = {
		{ "content", PT_STR, 0, 256, NULL },
		{ "enabled", PT_BOOL, 0, 1, NULL },
		{ "format", PT_BOOL, 0, 1, NULL },
		{ "storage", PT_STR, 0, 256, NULL },
		{ "target", PT_STR, 0, 256, NULL },
		{ NULL, 0, 0, 0, NULL },
	};
	const char *content = NULL, *only = NULL;
	json_object *arr;

	if (sim_check_node(s, node, r) || sim_validate(p, params, false, NULL, r))
		return;
	sim_param_str(p, "content", &content);
	sim_param_str(p, "storage", &only);
	arr = json_object_new_array();
	for (int j = 0; j < s->o.n_storages; j++) {
		const struct sim_storage *st = &s->o.storages[j];
		json_object *o;
		char cl[128];
		if (only && strcmp(only, st->id))
			continue;
		if (content && !sim_storage_has_content(st, content))
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "storage", json_object_new_string(st->id));
		json_object_object_add(o, "type", json_object_new_string(
					       sim_storage_type_name(st->type)));
		json_object_object_add(o, "content", json_object_new_string(
					       content_list(st, cl, sizeof(cl))));
		add_num(o, "active", 1);
		add_num(o, "enabled", 1);
		add_num(o, "shared", sim_storage_is_shared(st->type));
		add_num(o, "total", 500LL << 30);
		add_num(o, "used", 10LL << 30);
		add_num(o, "avail", 490LL << 30);
		json_object_array_add(arr, o);
	}
	res_ok(r, arr);
}

static int volid_cmp(const void *a, const void *b)
{
	json_object *x = *(json_object *const *)a, *y = *(json_object *const *)b;
	json_object *vx, *vy;
	json_object_object_get_ex(x, "volid", &vx);
	json_object_object_get_ex(y, "volid", &vy);
	return strcasecmp(json_object_get_string(vx), json_object_get_string(vy));
}

void sim_storage_content(struct sim *s, const char *node, const char *sid,
			 json_object *p, struct sim_res *r)
{
	static const struct pdef params[] = {
		{ "content", PT_STR, 0, 256, NULL },
		{ "vmid", PT_VMID, 0, 0, NULL },
		{ NULL, 0, 0, 0, NULL },
	};
	const struct sim_storage *st;
	const char *content = NULL, *vmid = NULL;
	json_object *arr, *tab;
	char key[160];

	if (sim_check_node(s, node, r) || sim_validate(p, params, false, NULL, r))
		return;
	st = sim_storage_find(s, sid);
	if (!st) {
		res_err(r, 500, "storage '%s' does not exist", sid);
		return;
	}
	sim_param_str(p, "content", &content);
	sim_param_str(p, "vmid", &vmid);
	arr = json_object_new_array();
	if (!strcmp(sid, "local") && sim_storage_has_content(st, "vztmpl") &&
	    (!content || !strcmp(content, "vztmpl")) && !vmid) {
		for (const char *const *t = sim_os_templates; *t; t++) {
			json_object *o = json_object_new_object();
			char volid[256];
			snprintf(volid, sizeof(volid), "local:vztmpl/%s", *t);
			json_object_object_add(o, "volid", json_object_new_string(volid));
			json_object_object_add(o, "content", json_object_new_string("vztmpl"));
			json_object_object_add(o, "format", json_object_new_string("tzst"));
			add_num(o, "size", 120000000 + 1000 * (long long)(t - sim_os_templates));
			add_num(o, "ctime", 1718000000);
			json_object_array_add(arr, o);
		}
	}
	if ((!content || !strcmp(content, "rootdir") || !strcmp(content, "images")) &&
	    json_object_object_get_ex(s->volumes, sim_volkey(s, sid, node, key, sizeof(key)), &tab)) {
		json_object_object_foreach(tab, name, v) {
			json_object *o, *x;
			char volid[400];
			int id;
			json_object_object_get_ex(v, "vmid", &x);
			id = json_object_get_int(x);
			if (vmid && id != atoi(vmid))
				continue;
			o = json_object_new_object();
			snprintf(volid, sizeof(volid), "%s:%s", sid, name);
			json_object_object_add(o, "volid", json_object_new_string(volid));
			json_object_object_add(o, "content", json_object_new_string("rootdir"));
			json_object_object_add(o, "format", json_object_new_string(
				st->type == ST_ZFSPOOL ? "subvol" : "raw"));
			add_num(o, "vmid", id);
			json_object_object_get_ex(v, "size", &x);
			{
				char opt[64];
				snprintf(opt, sizeof(opt), "size=%s", json_object_get_string(x));
				add_num(o, "size", size_bytes(opt));
			}
			json_object_array_add(arr, o);
		}
	}
	json_object_array_sort(arr, volid_cmp);
	res_ok(r, arr);
}

void sim_lxc_list(struct sim *s, const char *node, struct sim_res *r)
{
	json_object *arr;
	if (sim_check_node(s, node, r))
		return;
	arr = json_object_new_array();
	json_object_object_foreach(s->guests, key, g)
		if (!strcmp(sim_guest_node(g), node))
			json_object_array_add(arr, vmstatus(atoi(key), g));
	res_ok(r, arr);
}

void sim_lxc_status_current(struct sim *s, const char *node, const char *vmid,
			    struct sim_res *r)
{
	json_object *g, *o, *ha;
	int id;
	if (sim_check_node(s, node, r))
		return;
	g = sim_load_config(s, node, vmid, r, &id);
	if (!g)
		return;
	o = vmstatus(id, g);
	ha = json_object_new_object();
	add_num(ha, "managed", 0);
	json_object_object_add(o, "ha", ha);
	res_ok(r, o);
}

static json_object *conf_for_get(json_object *src, const char *digest)
{
	json_object *o = json_object_new_object();
	json_object_object_foreach(src, k, v) {
		if (!strcmp(k, "description")) {
			const char *d = json_object_get_string(v);
			size_t n = strlen(d);
			char *t = malloc(n + 2);
			if (!t)
				continue;
			memcpy(t, d, n);
			/* each #-line comes back with its newline */
			if (n == 0 || d[n - 1] != '\n')
				t[n++] = '\n';
			t[n] = 0;
			json_object_object_add(o, k, json_object_new_string(t));
			free(t);
			continue;
		}
		json_object_object_add(o, k, json_object_get(v));
	}
	if (digest)
		json_object_object_add(o, "digest", json_object_new_string(digest));
	return o;
}

void sim_lxc_config_get(struct sim *s, const char *node, const char *vmid,
			json_object *p, struct sim_res *r)
{
	static const struct pdef params[] = {
		{ "current", PT_BOOL, 0, 1, NULL },
		{ "snapshot", PT_STR, 0, 40, NULL },
		{ NULL, 0, 0, 0, NULL },
	};
	json_object *g, *out, *pend;
	const char *snap = NULL;
	char digest[41];
	int id;

	if (sim_check_node(s, node, r) || sim_validate(p, params, false, NULL, r))
		return;
	sim_param_str(p, "snapshot", &snap);
	if (snap && json_object_object_get_ex(p, "current", NULL)) {
		res_param(r, "current", "option conflicts with option 'snapshot'");
		res_param(r, "snapshot", "option conflicts with option 'current'");
		return;
	}
	g = sim_load_config(s, node, vmid, r, &id);
	if (!g)
		return;
	sim_conf_digest(g, digest);
	if (snap) {
		json_object *sc;
		if (!json_object_object_get_ex(guest_snapshots(g), snap, &sc)) {
			res_err(r, 500, "snapshot '%s' does not exist", snap);
			return;
		}
		res_ok(r, conf_for_get(sc, digest));
		return;
	}
	out = conf_for_get(sim_guest_conf(g), digest);
	if (!sim_param_bool(p, "current", false) &&
	    json_object_object_get_ex(g, "pending", &pend)) {
		json_object_object_foreach(pend, k, v)
			json_object_object_add(out, k, json_object_get(v));
	}
	res_ok(r, out);
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
static int canonical_nets(struct sim *s, json_object *p, bool new_mac,
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

void sim_lxc_create(struct sim *s, const char *node, json_object *p,
		    const struct sim_call *c, struct sim_res *r)
{
	static const char *const req[] = { "vmid", "ostemplate", NULL };
	const char *v, *storage = "local";
	json_object *g, *args, *params;
	struct sim_task *t;
	int vmid;

	if (sim_check_node(s, node, r) ||
	    sim_validate(p, create_params, true, req, r))
		return;
	if (sim_param_str(p, "password", &v) && strlen(v) < 5) {
		res_param(r, "password", "value must be at least 5 characters long");
		return;
	}
	vmid = atoi(json_object_get_string(json_object_object_get(p, "vmid")));
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
	/* every storage a new volume goes to must hold container dirs; an
	 * unknown one is only found when the task allocates */
	{
		const char *rootfs = NULL;
		char sid[64], size[32];
		sim_param_str(p, "rootfs", &rootfs);
		json_object_object_foreach(p, k, val) {
			const struct sim_storage *st;
			if (!sim_is_mp_key(k) || json_object_is_type(val, json_type_null))
				continue;
			if (!new_volume_syntax(json_object_get_string(val), sid,
					       sizeof(sid), size, sizeof(size)))
				continue;
			st = sim_storage_find(s, sid[0] ? sid : storage);
			if (st && !sim_storage_has_content(st, "rootdir")) {
				res_param(r, "storage", "storage '%s' does not support container directories", st->id);
				return;
			}
		}
		if (!rootfs && !sim_storage_has_content(sim_storage_find(s, storage), "rootdir")) {
			res_param(r, "storage", "storage '%s' does not support container directories", storage);
			return;
		}
	}
	if (check_features(sim_param_str(p, "features", &v) ? v : NULL, NULL,
			   sim_param_bool(p, "unprivileged", true), c, r))
		return;
	if (canonical_nets(s, p, false, r))
		return;

	/* create_and_lock_config: from here the VMID is taken */
	new_guest(s, vmid, node);
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
	t = sim_task_start(s, node, "vzcreate", vmid, c, args, vmid);
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
	const char *storage = args_str(t->args, "storage");
	const char *ost = json_object_get_string(json_object_object_get(params, "ostemplate"));
	json_object *alloc = json_object_new_array();
	int vmid = args_int(t->args, "vmid");
	char tsid[64], tname[256], topts[8];
	bool found = false;

	json_object_object_add(t->args, "allocated", alloc);
	/* disks first, as create_vm does, then the archive */
	json_object_object_foreach(params, k, v) {
		char sid[64], size[32], vol[300], e[256], full[400];
		const struct sim_storage *st;
		if (!sim_is_mp_key(k) ||
		    !new_volume_syntax(json_object_get_string(v), sid, sizeof(sid),
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
	int vmid = args_int(t->args, "vmid");
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
	/* unprivileged defaults to 1 via the API and is written only when 1 */
	if (!sim_param_bool(params, "unprivileged", true))
		json_object_object_del(conf, "unprivileged");
	else
		json_object_object_add(conf, "unprivileged", json_object_new_int(1));
	/* the final write has no lock key: that ends the create lock */
	json_object_object_add(g, "conf", conf);
	sim_mark_dirty(s);
	if (sim_param_bool(params, "start", false)) {
		struct sim_call c = { .user = t->user, .taskfail = false };
		json_object *a = json_object_new_object();
		json_object_object_add(a, "vmid", json_object_new_int(vmid));
		/* start_vm forks its own vzstart and does not wait for it */
		sim_task_start(s, t->node, "vzstart", vmid, &c, a, vmid);
	}
	return 0;
}

static void free_allocated(struct sim *s, struct sim_task *t, const char *node)
{
	json_object *alloc = json_object_object_get(t->args, "allocated");
	for (size_t i = 0; alloc && i < json_object_array_length(alloc); i++) {
		char sid[64], vol[300], opts[8], e[256];
		if (!sim_volume_split(json_object_get_string(json_object_array_get_idx(alloc, i)),
				      sid, sizeof(sid), vol, sizeof(vol), opts, sizeof(opts)))
			sim_volume_free(s, sid, node, vol, e, sizeof(e));
	}
}

/* ---- config PUT ---- */

static const char *const fastplug[] = {
	"description", "onboot", "startup", "protection", "hostname",
	"hookscript", "cores", "tags", "lock", "memory", "swap", "cpulimit",
	"cpuunits", NULL };

static bool hotpluggable(const char *k)
{
	for (const char *const *f = fastplug; *f; f++)
		if (!strcmp(*f, k))
			return true;
	return !strncmp(k, "net", 3) || !strncmp(k, "mp", 2);
}

void sim_lxc_config_put(struct sim *s, const char *node, const char *vmid,
			json_object *p, const struct sim_call *c,
			struct sim_res *r)
{
	static const struct pdef params[] = {
		{ "delete", PT_STR, 0, 4096, NULL },
		{ "revert", PT_STR, 0, 4096, NULL },
		{ "digest", PT_STR, 0, 40, NULL },
		{ NULL, 0, 0, 0, NULL },
	};
	const char *del = NULL, *digest = NULL, *v;
	char dels[64][64];
	int ndel = 0, id, nopts = 0;
	json_object *g, *conf, *pend;
	char buf[4096];

	if (sim_check_node(s, node, r) || sim_validate(p, params, true, NULL, r))
		return;
	sim_param_str(p, "delete", &del);
	sim_param_str(p, "digest", &digest);
	if (del) {
		char tmp[4096], *save, *tok;
		snprintf(tmp, sizeof(tmp), "%s", del);
		for (tok = strtok_r(tmp, ",; \t", &save); tok && ndel < 64;
		     tok = strtok_r(NULL, ",; \t", &save)) {
			if (!sim_conf_pdef(tok)) {
				res_param(r, "delete", "unknown option '%s'", tok);
				return;
			}
			if (json_object_object_get_ex(p, tok, NULL)) {
				res_param(r, "delete", "you can't use '-%s' and '-delete %s' at the same time", tok, tok);
				return;
			}
			snprintf(dels[ndel++], sizeof(dels[0]), "%s", tok);
		}
	}
	g = sim_load_config(s, node, vmid, r, &id);
	if (!g)
		return;
	json_object_object_foreach(p, k0, v0) {
		(void)v0;
		if (strcmp(k0, "digest") && strcmp(k0, "delete") && strcmp(k0, "revert"))
			nopts++;
	}
	if (nopts == 0 && ndel == 0 && !json_object_object_get_ex(p, "revert", NULL)) {
		res_err(r, 500, "no options specified");
		return;
	}
	if (json_object_object_get_ex(p, "unprivileged", NULL)) {
		res_err(r, 500, "unable to modify read-only option: 'unprivileged'");
		return;
	}
	if (sim_flock_held(s, id)) {
		busy(r, id);
		return;
	}
	if (check_lock(g, r))
		return;
	if (digest) {
		char cur[41];
		sim_conf_digest(g, cur);
		if (strcmp(cur, digest)) {
			res_err(r, 500, "detected modified configuration - file changed by other user? Try again.");
			return;
		}
	}
	conf = sim_guest_conf(g);
	for (int i = 0; i < ndel; i++) {
		if (!strcmp(dels[i], "memory") || !strcmp(dels[i], "rootfs") ||
		    !strcmp(dels[i], "ostype")) {
			res_err(r, 500, "unable to delete required option '%s'", dels[i]);
			return;
		}
		if (!strcmp(dels[i], "unprivileged")) {
			res_err(r, 500, "unable to delete read-only option: 'unprivileged'");
			return;
		}
	}
	{
		json_object *cf = json_object_object_get(conf, "features");
		json_object *up = json_object_object_get(conf, "unprivileged");
		if (check_features(sim_param_str(p, "features", &v) ? v : NULL,
				   cf ? json_object_get_string(cf) : NULL,
				   up && json_object_get_int(up), c, r))
			return;
	}
	if (canonical_nets(s, p, false, r))
		return;
	/* new volumes given as STORAGE:SIZE are allocated right away */
	json_object_object_foreach(p, k1, v1) {
		char sid[64], size[32], vol[300], e[256];
		if (!sim_is_mp_key(k1) ||
		    !new_volume_syntax(json_object_get_string(v1), sid, sizeof(sid),
				       size, sizeof(size)))
			continue;
		if (!sid[0]) {
			res_param(r, k1, "invalid format - missing storage");
			return;
		}
		if (sim_volume_alloc(s, sid, node, id, size, NULL, vol, sizeof(vol),
				     e, sizeof(e))) {
			res_err(r, 500, "%s", e);
			return;
		}
		snprintf(buf, sizeof(buf), "%s:%s,%s%ssize=%s", sid, vol,
			 strchr(json_object_get_string(v1), ',') ?
			 strchr(json_object_get_string(v1), ',') + 1 : "",
			 strchr(json_object_get_string(v1), ',') ? "," : "", size);
		json_object_object_add(p, k1, json_object_new_string(buf));
	}
	if (!json_object_object_get_ex(g, "pending", &pend)) {
		pend = json_object_new_object();
		json_object_object_add(g, "pending", pend);
	}
	for (int i = 0; i < ndel; i++) {
		json_object_object_del(conf, dels[i]);
		json_object_object_del(pend, dels[i]);
	}
	json_object_object_foreach(p, k, val) {
		json_object *dst = conf;
		if (!strcmp(k, "digest") || !strcmp(k, "delete") || !strcmp(k, "revert"))
			continue;
		/* a running CT takes only hot-pluggable keys at once */
		if (sim_guest_running(g) && !hotpluggable(k))
			dst = pend;
		if (!strcmp(k, "tags")) {
			sim_tags_normalize(json_object_get_string(val), buf, sizeof(buf));
			json_object_object_add(dst, k, json_object_new_string(buf));
		} else {
			sim_conf_set_param(dst, k, val);
		}
	}
	if (json_object_object_length(pend) == 0)
		json_object_object_del(g, "pending");
	sim_mark_dirty(s);
	res_ok(r, NULL);
}

static void apply_pending(struct sim *s, json_object *g)
{
	json_object *pend;
	if (!json_object_object_get_ex(g, "pending", &pend))
		return;
	json_object_object_foreach(pend, k, v)
		json_object_object_add(sim_guest_conf(g), k, json_object_get(v));
	json_object_object_del(g, "pending");
	sim_mark_dirty(s);
}

/* ---- start / stop / shutdown / reboot ---- */

void sim_lxc_status_op(struct sim *s, const char *node, const char *vmid,
		       const char *op, json_object *p,
		       const struct sim_call *c, struct sim_res *r)
{
	static const struct pdef params[] = {
		{ "skiplock", PT_BOOL, 0, 1, NULL },
		{ "debug", PT_BOOL, 0, 1, NULL },
		{ "overrule-shutdown", PT_BOOL, 0, 1, NULL },
		{ "timeout", PT_INT, 0, LLONG_MAX, NULL },
		{ "forceStop", PT_BOOL, 0, 1, NULL },
		{ NULL, 0, 0, 0, NULL },
	};
	char type[24];
	json_object *g, *args;
	struct sim_task *t;
	int id;

	if (sim_check_node(s, node, r) || sim_validate(p, params, false, NULL, r))
		return;
	if (json_object_object_get_ex(p, "skiplock", NULL) && !is_root(c)) {
		res_param(r, "skiplock", "Only root may use this option.");
		return;
	}
	g = sim_load_config(s, node, vmid, r, &id);
	if (!g)
		return;
	if (!strcmp(op, "start")) {
		if (sim_guest_running(g)) {
			res_err(r, 500, "CT %d already running", id);
			return;
		}
	} else if (!sim_guest_running(g)) {
		if (!strcmp(op, "reboot"))
			res_err(r, 500, "VM %d not running", id);
		else
			res_err(r, 500, "CT %d not running", id);
		return;
	}
	snprintf(type, sizeof(type), "vz%s", op);
	args = json_object_new_object();
	json_object_object_add(args, "vmid", json_object_new_int(id));
	json_object_object_add(args, "skiplock", json_object_new_boolean(
				       sim_param_bool(p, "skiplock", false)));
	t = sim_task_start(s, node, type, id, c, args, id);
	if (!t) {
		res_err(r, 500, "out of memory");
		return;
	}
	res_ok(r, json_object_new_string(t->upid));
}

/* ---- clone ---- */

struct mount_ref {
	char key[16];
	char sid[64];
	char vol[300];
	char opts[256];
	bool bind;
};

static int collect_mounts(json_object *conf, struct mount_ref *m, int max)
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

static bool linked_capable(struct sim *s, const char *sid)
{
	const struct sim_storage *st = sim_storage_find(s, sid);
	return st && (st->type == ST_LVMTHIN || st->type == ST_ZFSPOOL);
}

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

	if (sim_check_node(s, node, r) || sim_validate(p, params, false, req, r))
		return;
	newid = atoi(json_object_get_string(json_object_object_get(p, "newid")));
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
	if (sim_flock_held(s, id)) {
		busy(r, id);
		return;
	}
	/* set_lock(disk) on the source runs check_lock */
	if (check_lock(g, r))
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
	    !json_object_object_get_ex(guest_snapshots(g), snap, &src)) {
		res_err(r, 500, "snapshot '%s' does not exist", snap);
		return;
	}
	nm = collect_mounts(src, m, 64);
	for (int i = 0; i < nm; i++) {
		char volid[400];
		snprintf(volid, sizeof(volid), "%s:%s", m[i].sid, m[i].vol);
		if (m[i].bind) {
			res_err(r, 500, "unable to clone mountpoint '%s' (type %s)", m[i].key,
				!strncmp(m[i].vol, "/dev/", 5) ? "device" : "bind");
			return;
		}
		if (full && sim_guest_running(g) && !snap) {
			res_err(r, 500, "Full clone of a running container is only possible from a snapshot");
			return;
		}
		if (!full && (!linked_capable(s, m[i].sid) ||
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
	ng = new_guest(s, newid, node);
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
	t = sim_task_start(s, node, "vzclone", id, c, args, id);
	if (!t) {
		res_err(r, 500, "out of memory");
		return;
	}
	res_ok(r, json_object_new_string(t->upid));
}

static int clone_begin(struct sim *s, struct sim_task *t)
{
	task_log(t, "creating a clone of container %d with ID %d",
		 args_int(t->args, "vmid"), args_int(t->args, "newid"));
	(void)s;
	return 0;
}

static int clone_finish(struct sim *s, struct sim_task *t, char *err, size_t len)
{
	int id = args_int(t->args, "vmid"), newid = args_int(t->args, "newid");
	json_object *g = sim_guest(s, id), *ng = sim_guest(s, newid), *src, *alloc;
	const char *snap = args_str(t->args, "snapname");
	const char *storage = args_str(t->args, "storage");
	const char *target = args_str(t->args, "target");
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
		json_object_object_get_ex(guest_snapshots(g), snap, &src);
	nm = collect_mounts(src, m, 64);
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

/* ---- template ---- */

void sim_lxc_template(struct sim *s, const char *node, const char *vmid,
		      json_object *p, const struct sim_call *c,
		      struct sim_res *r)
{
	json_object *g, *args;
	int id;

	if (sim_check_node(s, node, r) || sim_validate(p, NULL, false, NULL, r))
		return;
	g = sim_load_config(s, node, vmid, r, &id);
	if (!g)
		return;
	if (sim_flock_held(s, id)) {
		busy(r, id);
		return;
	}
	if (check_lock(g, r))
		return;
	if (json_object_object_length(guest_snapshots(g)) > 0) {
		res_err(r, 500, "unable to create template, because CT contains snapshots");
		return;
	}
	if (sim_guest_template(g)) {
		res_err(r, 500, "you can't convert a template to a template");
		return;
	}
	if (sim_guest_running(g)) {
		res_err(r, 500, "you can't convert a CT to template if the CT is running");
		return;
	}
	args = json_object_new_object();
	json_object_object_add(args, "vmid", json_object_new_int(id));
	/* the worker's UPID is discarded: the answer is null */
	if (!sim_task_start(s, node, "vztemplate", id, c, args, id)) {
		res_err(r, 500, "out of memory");
		return;
	}
	res_ok(r, NULL);
}

static void base_name(const char *vol, char *out, size_t len)
{
	const char *slash = strrchr(vol, '/');
	const char *tail = slash ? slash + 1 : vol;
	int head = (int)(tail - vol);
	if (!strncmp(tail, "vm-", 3))
		snprintf(out, len, "%.*sbase-%s", head, vol, tail + 3);
	else if (!strncmp(tail, "subvol-", 7))
		snprintf(out, len, "%.*sbasevol-%s", head, vol, tail + 7);
	else
		snprintf(out, len, "%s", vol);
}

static int template_finish(struct sim *s, struct sim_task *t, char *err, size_t len)
{
	int id = args_int(t->args, "vmid");
	json_object *g = sim_guest(s, id);
	struct mount_ref m[64];
	int nm;

	if (!g) {
		snprintf(err, len, "Configuration file 'nodes/%s/lxc/%d.conf' does not exist",
			 t->node, id);
		return -1;
	}
	if (t->taskfail) {
		snprintf(err, len, "%s", FAULT_TEXT);
		return -1;
	}
	nm = collect_mounts(sim_guest_conf(g), m, 64);
	for (int i = 0; i < nm; i++)
		if (m[i].bind) {
			snprintf(err, len, "Template feature is not available for '%s'", m[i].vol);
			return -1;
		}
	for (int i = 0; i < nm; i++) {
		char nb[400], val[800];
		base_name(m[i].vol, nb, sizeof(nb));
		if (strcmp(nb, m[i].vol))
			sim_volume_rename(s, m[i].sid, t->node, m[i].vol, nb);
		snprintf(val, sizeof(val), "%s:%s%s%s", m[i].sid, nb,
			 m[i].opts[0] ? "," : "", m[i].opts);
		json_object_object_add(sim_guest_conf(g), m[i].key,
				       json_object_new_string(val));
	}
	json_object_object_add(sim_guest_conf(g), "template", json_object_new_int(1));
	sim_mark_dirty(s);
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

	if (sim_check_node(s, node, r) || sim_validate(p, params, false, NULL, r))
		return;
	g = sim_load_config(s, node, vmid, r, &id);
	if (!g)
		return;
	if (json_object_object_get_ex(sim_guest_conf(g), "protection", &pr) &&
	    json_object_get_int(pr)) {
		res_err(r, 500, "can't remove CT %d - protection mode enabled", id);
		return;
	}
	if (sim_flock_held(s, id)) {
		busy(r, id);
		return;
	}
	if (check_lock(g, r))
		return;
	if (sim_guest_running(g) && !sim_param_bool(p, "force", false)) {
		res_err(r, 500, "unable to destroy CT %d - container is running", id);
		return;
	}
	args = json_object_new_object();
	json_object_object_add(args, "vmid", json_object_new_int(id));
	json_object_object_add(args, "force", json_object_new_boolean(
				       sim_param_bool(p, "force", false)));
	t = sim_task_start(s, node, "vzdestroy", id, c, args, id);
	if (!t) {
		res_err(r, 500, "out of memory");
		return;
	}
	res_ok(r, json_object_new_string(t->upid));
}

static int destroy_finish(struct sim *s, struct sim_task *t, char *err, size_t len)
{
	int id = args_int(t->args, "vmid");
	json_object *g = sim_guest(s, id), *vols;
	struct mount_ref m[64];
	int nm;

	if (!g) {
		snprintf(err, len, "Configuration file 'nodes/%s/lxc/%d.conf' does not exist",
			 t->node, id);
		return -1;
	}
	if (t->taskfail) {
		snprintf(err, len, "%s", FAULT_TEXT);
		return -1;
	}
	if (sim_guest_running(g)) {
		json_object_object_add(g, "running", json_object_new_boolean(0));
		task_log(t, "stopping CT %d", id);
	}
	nm = collect_mounts(sim_guest_conf(g), m, 64);
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
	delete_guest(s, id);
	return 0;
}

/* ---- snapshots ---- */

void sim_snapshot_list(struct sim *s, const char *node, const char *vmid,
		       struct sim_res *r)
{
	json_object *g, *arr, *cur, *v;
	char digest[41];
	int id;

	if (sim_check_node(s, node, r))
		return;
	g = sim_load_config(s, node, vmid, r, &id);
	if (!g)
		return;
	arr = json_object_new_array();
	json_object_object_foreach(guest_snapshots(g), name, sc) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(name));
		add_num(o, "snaptime", json_object_object_get_ex(sc, "snaptime", &v) ?
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
	add_num(cur, "running", sim_guest_running(g));
	json_object_object_add(cur, "description", json_object_new_string("You are here!"));
	if (json_object_object_get_ex(sim_guest_conf(g), "parent", &v))
		json_object_object_add(cur, "parent", json_object_get(v));
	json_object_array_add(arr, cur);
	res_ok(r, arr);
}

static int snap_task(struct sim *s, const char *node, const char *vmid,
		     const char *type, const char *snap, json_object *p,
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

	if (sim_check_node(s, node, r) || sim_validate(p, params, false, req, r))
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
	snap_task(s, node, vmid, "vzsnapshot", snap, p, c, r);
}

void sim_snapshot_delete(struct sim *s, const char *node, const char *vmid,
			 const char *snap, json_object *p,
			 const struct sim_call *c, struct sim_res *r)
{
	static const struct pdef params[] = {
		{ "force", PT_BOOL, 0, 1, NULL },
		{ NULL, 0, 0, 0, NULL },
	};
	if (sim_check_node(s, node, r) || sim_validate(p, params, false, NULL, r))
		return;
	snap_task(s, node, vmid, "vzdelsnapshot", snap, NULL, c, r);
}

void sim_snapshot_rollback(struct sim *s, const char *node, const char *vmid,
			   const char *snap, json_object *p,
			   const struct sim_call *c, struct sim_res *r)
{
	static const struct pdef params[] = {
		{ "start", PT_BOOL, 0, 1, NULL },
		{ NULL, 0, 0, 0, NULL },
	};
	if (sim_check_node(s, node, r) || sim_validate(p, params, false, NULL, r))
		return;
	snap_task(s, node, vmid, "vzrollback", snap, p, c, r);
}

static int snapshot_begin(struct sim *s, struct sim_task *t, json_object *g,
			  char *err, size_t len)
{
	const char *snap = args_str(t->args, "snapname");
	json_object *snaps = guest_snapshots(g);
	bool exists = json_object_object_get_ex(snaps, snap, NULL);
	const char *lock;

	if (!strcmp(t->type, "vzsnapshot")) {
		struct mount_ref m[64];
		int nm;
		if (sim_guest_template(g)) {
			snprintf(err, len, "you can't take a snapshot if it's a template");
			return -1;
		}
		if (lock_err(g, false, err, len))
			return -1;
		if (exists) {
			snprintf(err, len, "snapshot name '%s' already used", snap);
			return -1;
		}
		nm = collect_mounts(sim_guest_conf(g), m, 64);
		for (int i = 0; i < nm; i++)
			if (m[i].bind || !linked_capable(s, m[i].sid)) {
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
		if (lock_err(g, false, err, len))
			return -1;
		lock = !strcmp(t->type, "vzrollback") ? "rollback" : "snapshot-delete";
	}
	sim_set_lock(g, lock);
	json_object_object_add(t->args, "lockset", json_object_new_string(lock));
	sim_mark_dirty(s);
	return 0;
}

static int snapshot_finish(struct sim *s, struct sim_task *t, json_object *g,
			   char *err, size_t len)
{
	const char *snap = args_str(t->args, "snapname");
	json_object *snaps = guest_snapshots(g), *conf = sim_guest_conf(g), *sc, *v;

	if (t->taskfail) {
		snprintf(err, len, "%s", FAULT_TEXT);
		return -1;
	}
	sim_set_lock(g, NULL);
	if (!strcmp(t->type, "vzsnapshot")) {
		const char *d = args_str(t->args, "description");
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
			int id = args_int(t->args, "vmid");
			json_object_object_add(a, "vmid", json_object_new_int(id));
			sim_task_start(s, t->node, "vzstart", id, &c, a, id);
		}
	}
	sim_mark_dirty(s);
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

	if (sim_check_node(s, node, r) || sim_validate(p, params, false, req, r))
		return;
	g = sim_load_config(s, node, vmid, r, &id);
	if (!g)
		return;
	sim_param_str(p, "feature", &feat);
	sim_param_str(p, "snapname", &snap);
	nm = collect_mounts(sim_guest_conf(g), m, 64);
	for (int i = 0; i < nm; i++) {
		if (!strcmp(feat, "copy"))
			has &= !m[i].bind;
		else if (!strcmp(feat, "snapshot"))
			has &= !m[i].bind && linked_capable(s, m[i].sid);
		else
			has &= !m[i].bind && linked_capable(s, m[i].sid) &&
			       (sim_guest_template(g) || snap);
	}
	o = json_object_new_object();
	add_num(o, "hasFeature", has);
	res_ok(r, o);
}

/* ---- task phases ---- */

int sim_task_begin(struct sim *s, struct sim_task *t, char *err, size_t len)
{
	int id = args_int(t->args, "vmid");
	json_object *g = sim_guest(s, id);
	bool skiplock = json_object_get_boolean(json_object_object_get(t->args, "skiplock"));

	if (!strcmp(t->type, "vzcreate"))
		return create_begin(s, t, err, len);
	if (!strcmp(t->type, "vzclone"))
		return clone_begin(s, t);
	if (!g) {
		snprintf(err, len, "Configuration file 'nodes/%s/lxc/%d.conf' does not exist",
			 t->node, id);
		return -1;
	}
	if (!strcmp(t->type, "vzstart")) {
		if (sim_guest_template(g)) {
			snprintf(err, len, "you can't start a CT if it's a template");
			return -1;
		}
		if (!skiplock && lock_err(g, true, err, len))
			return -1;
		return 0;
	}
	if (!strcmp(t->type, "vzstop") || !strcmp(t->type, "vzshutdown"))
		return skiplock ? 0 : lock_err(g, true, err, len);
	if (!strcmp(t->type, "vzdestroy")) {
		if (lock_err(g, false, err, len))
			return -1;
		if (sim_guest_running(g) &&
		    !json_object_get_boolean(json_object_object_get(t->args, "force"))) {
			snprintf(err, len, "unable to destroy CT %d - container is running", id);
			return -1;
		}
		return 0;
	}
	if (!strcmp(t->type, "vzsnapshot") || !strcmp(t->type, "vzdelsnapshot") ||
	    !strcmp(t->type, "vzrollback"))
		return snapshot_begin(s, t, g, err, len);
	return 0;
}

int sim_task_finish(struct sim *s, struct sim_task *t, char *err, size_t len)
{
	int id = args_int(t->args, "vmid");
	json_object *g;

	if (!strcmp(t->type, "vzcreate"))
		return create_finish(s, t, err, len);
	if (!strcmp(t->type, "vzclone"))
		return clone_finish(s, t, err, len);
	if (!strcmp(t->type, "vztemplate"))
		return template_finish(s, t, err, len);
	if (!strcmp(t->type, "vzdestroy"))
		return destroy_finish(s, t, err, len);
	g = sim_guest(s, id);
	if (!g) {
		snprintf(err, len, "Configuration file 'nodes/%s/lxc/%d.conf' does not exist",
			 t->node, id);
		return -1;
	}
	if (!strcmp(t->type, "vzsnapshot") || !strcmp(t->type, "vzdelsnapshot") ||
	    !strcmp(t->type, "vzrollback"))
		return snapshot_finish(s, t, g, err, len);
	if (t->taskfail) {
		snprintf(err, len, "%s", FAULT_TEXT);
		return -1;
	}
	if (!strcmp(t->type, "vzstart")) {
		apply_pending(s, g);
		json_object_object_add(g, "running", json_object_new_boolean(1));
	} else if (!strcmp(t->type, "vzstop") || !strcmp(t->type, "vzshutdown")) {
		json_object_object_add(g, "running", json_object_new_boolean(0));
	} else if (!strcmp(t->type, "vzreboot")) {
		apply_pending(s, g);
	}
	sim_mark_dirty(s);
	return 0;
}

void sim_task_failed(struct sim *s, struct sim_task *t)
{
	int id = args_int(t->args, "vmid");
	json_object *g = sim_guest(s, id);
	const char *lockset = args_str(t->args, "lockset");

	if (!strcmp(t->type, "vzcreate")) {
		/* a failed create frees its volumes and deletes the config */
		free_allocated(s, t, t->node);
		if (g && sim_guest_lock(g) && !strcmp(sim_guest_lock(g), "create"))
			delete_guest(s, id);
	} else if (!strcmp(t->type, "vzclone")) {
		int newid = args_int(t->args, "newid");
		json_object *ng = sim_guest(s, newid);
		free_allocated(s, t, t->node);
		if (ng && sim_guest_lock(ng) && !strcmp(sim_guest_lock(ng), "create"))
			delete_guest(s, newid);
		/* the source's disk lock goes on failure too */
		if (g && sim_guest_lock(g) && !strcmp(sim_guest_lock(g), "disk"))
			sim_set_lock(g, NULL);
	} else if (lockset && g && sim_guest_lock(g) &&
		   !strcmp(sim_guest_lock(g), lockset)) {
		sim_set_lock(g, NULL);
	}
	sim_mark_dirty(s);
}
