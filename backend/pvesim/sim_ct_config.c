/* A container's configuration (pve-container API2/LXC/Config.pm): GET and
 * PUT config, with pending changes for a running CT. */
#include "sim_internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

	/* the method's `permissions` (RPCEnvironment.pm check) */
	if (sim_vm_perm(s, vmid, "VM.Audit", false, r))
		return;
	if (sim_check_node(s, node, r) || sim_validate(s, p, params, false, NULL, r))
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
		if (!json_object_object_get_ex(sim_guest_snapshots(g), snap, &sc)) {
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

	if (sim_check_node(s, node, r) || sim_validate(s, p, params, true, NULL, r))
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
	/* LXC.pm check_ct_modify_config_perm: each key set or deleted */
	json_object_object_foreach(p, pk, pv) {
		(void)pv;
		if (strcmp(pk, "digest") && strcmp(pk, "delete") && strcmp(pk, "revert") &&
		    sim_vm_perm(s, vmid, sim_conf_key_priv(pk), false, r))
			return;
	}
	for (int i = 0; i < ndel; i++)
		if (sim_vm_perm(s, vmid, sim_conf_key_priv(dels[i]), false, r))
			return;
	/* ... and for netN, SDN.Use on the old bridge and on the new one
	 * (LXC.pm check_ct_modify_config_perm -> check_bridge_access) */
	json_object_object_foreach(p, nk, nv) {
		json_object *old;
		if (strncmp(nk, "net", 3) || !isdigit((unsigned char)nk[3]))
			continue;
		if (json_object_object_get_ex(sim_guest_conf(g), nk, &old) &&
		    sim_bridge_perm(s, json_object_get_string(old), r))
			return;
		if (json_object_is_type(nv, json_type_string) &&
		    sim_bridge_perm(s, json_object_get_string(nv), r))
			return;
	}
	for (int i = 0; i < ndel; i++) {
		json_object *old;
		if (!strncmp(dels[i], "net", 3) &&
		    json_object_object_get_ex(sim_guest_conf(g), dels[i], &old) &&
		    sim_bridge_perm(s, json_object_get_string(old), r))
			return;
	}
	if (nopts == 0 && ndel == 0 && !json_object_object_get_ex(p, "revert", NULL)) {
		res_err(r, 500, "no options specified");
		return;
	}
	if (json_object_object_get_ex(p, "unprivileged", NULL)) {
		res_err(r, 500, "unable to modify read-only option: 'unprivileged'");
		return;
	}
	if (sim_check_unlocked(s, g, id, r))
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
		if (sim_check_features(sim_param_str(p, "features", &v) ? v : NULL,
				   cf ? json_object_get_string(cf) : NULL,
				   up && json_object_get_int(up), c, r))
			return;
	}
	if (sim_canonical_nets(s, p, false, r))
		return;
	/* new volumes given as STORAGE:SIZE are allocated right away */
	json_object_object_foreach(p, k1, v1) {
		char sid[64], size[32], vol[300], e[256];
		if (!sim_is_mp_key(k1) ||
		    !sim_new_volume_syntax(json_object_get_string(v1), sid, sizeof(sid),
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


/* API2/LXC.pm vm_pending -> PVE::GuestHelpers::config_with_pending_array:
 * one item per key of the config (with its value) and of the pending
 * changes (pending), digest included. pvesim applies deletions at once,
 * so no item carries `delete`. */
void sim_lxc_pending(struct sim *s, const char *node, const char *vmid,
		     json_object *p, struct sim_res *r)
{
	json_object *g, *conf, *pend = NULL, *arr;
	char digest[41];
	int id;

	/* the method's `permissions` (RPCEnvironment.pm check) */
	if (sim_vm_perm(s, vmid, "VM.Audit", false, r))
		return;
	if (sim_check_node(s, node, r) || sim_validate(s, p, NULL, false, NULL, r))
		return;
	g = sim_load_config(s, node, vmid, r, &id);
	if (!g)
		return;
	conf = conf_for_get(sim_guest_conf(g), NULL);
	sim_conf_digest(g, digest);
	json_object_object_add(conf, "digest", json_object_new_string(digest));
	json_object_object_get_ex(g, "pending", &pend);
	arr = json_object_new_array();
	json_object_object_foreach(conf, k, v) {
		json_object *o = json_object_new_object(), *pv;
		json_object_object_add(o, "key", json_object_new_string(k));
		json_object_object_add(o, "value", json_object_get(v));
		if (pend && json_object_object_get_ex(pend, k, &pv))
			json_object_object_add(o, "pending", json_object_get(pv));
		json_object_array_add(arr, o);
	}
	if (pend) {
		json_object_object_foreach(pend, k2, v2) {
			json_object *o;
			if (json_object_object_get_ex(conf, k2, NULL))
				continue;
			o = json_object_new_object();
			json_object_object_add(o, "key", json_object_new_string(k2));
			json_object_object_add(o, "pending", json_object_get(v2));
			json_object_array_add(arr, o);
		}
	}
	json_object_put(conf);
	res_ok(r, arr);
}
