/* A container's run state (pve-container API2/LXC/Status.pm): status/current
 * and the start, stop, shutdown and reboot workers. */
#include "sim_internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sim_lxc_status_current(struct sim *s, const char *node, const char *vmid,
			    struct sim_res *r)
{
	json_object *g, *o, *ha;
	int id;
	/* the method's `permissions` (RPCEnvironment.pm check) */
	if (sim_vm_perm(s, vmid, "VM.Audit", false, r))
		return;
	if (sim_check_node(s, node, r))
		return;
	g = sim_load_config(s, node, vmid, r, &id);
	if (!g)
		return;
	o = sim_vmstatus(id, g);
	/* Status.pm vm_status: `ha` from PVE::HA::Config::get_service_status */
	ha = json_object_new_object();
	sim_add_num(ha, "managed", sim_guest_ha(g) != NULL);
	if (sim_guest_ha(g))
		json_object_object_add(ha, "state", json_object_new_string(sim_guest_ha(g)));
	json_object_object_add(o, "ha", ha);
	res_ok(r, o);
}

/* ---- the workers: vm_start, vm_stop, vm_shutdown, vm_reboot ---- */

static bool skiplock(struct sim_task *t)
{
	return json_object_get_boolean(json_object_object_get(t->args, "skiplock"));
}

static int start_begin(struct sim *s, struct sim_task *t, char *err, size_t len)
{
	json_object *g = sim_task_guest(s, t, err, len);
	if (!g)
		return -1;
	if (sim_guest_template(g)) {
		snprintf(err, len, "you can't start a CT if it's a template");
		return -1;
	}
	return skiplock(t) ? 0 : sim_lock_err(g, true, err, len);
}

static int stop_begin(struct sim *s, struct sim_task *t, char *err, size_t len)
{
	json_object *g = sim_task_guest(s, t, err, len);
	if (!g)
		return -1;
	return skiplock(t) ? 0 : sim_lock_err(g, true, err, len);
}

static int reboot_begin(struct sim *s, struct sim_task *t, char *err, size_t len)
{
	return sim_task_guest(s, t, err, len) ? 0 : -1;
}

/* a start applies what was pending, as the new config is read at boot */
static int start_finish(struct sim *s, struct sim_task *t, char *err, size_t len)
{
	json_object *g = sim_finish_guest(s, t, err, len);
	if (!g)
		return -1;
	sim_apply_pending(s, g);
	json_object_object_add(g, "running", json_object_new_boolean(1));
	sim_mark_dirty(s);
	return 0;
}

static int stop_finish(struct sim *s, struct sim_task *t, char *err, size_t len)
{
	json_object *g = sim_finish_guest(s, t, err, len);
	if (!g)
		return -1;
	json_object_object_add(g, "running", json_object_new_boolean(0));
	sim_mark_dirty(s);
	return 0;
}

static int reboot_finish(struct sim *s, struct sim_task *t, char *err, size_t len)
{
	json_object *g = sim_finish_guest(s, t, err, len);
	if (!g)
		return -1;
	sim_apply_pending(s, g);
	sim_mark_dirty(s);
	return 0;
}

const struct sim_task_kind sim_kind_vzstart = {
	"vzstart", 100, true, start_begin, start_finish, sim_task_unlock };
static const struct sim_task_kind kind_vzstop = {
	"vzstop", 50, true, stop_begin, stop_finish, sim_task_unlock };
static const struct sim_task_kind kind_vzshutdown = {
	"vzshutdown", 100, true, stop_begin, stop_finish, sim_task_unlock };
static const struct sim_task_kind kind_vzreboot = {
	"vzreboot", 200, true, reboot_begin, reboot_finish, sim_task_unlock };

/* ---- HA-managed CTs (pve-ha-manager) ----
 *
 * Status.pm vm_start/vm_stop/vm_shutdown: for a CT that
 * PVE::HA::Config::vm_is_ha_managed, the worker is `hastart`/`hastop`,
 * which only runs `ha-manager set ct:ID --state started` (or `crm-command
 * stop`) and ends. The CRM and the node's LRM act on that request in
 * their next rounds (about 10 s apart), and the LRM's own vzstart/vzstop
 * worker (as root@pam) changes the CT. Here: the ha worker ends, then the
 * LRM's worker runs for HA_LRM_PCT of --task-ms, so the CT is running (or
 * stopped) only well after the ha task ended. */
#define HA_LRM_PCT 600

static const struct sim_task_kind kind_lrm_start = {
	"vzstart", HA_LRM_PCT, true, start_begin, start_finish, sim_task_unlock };
static const struct sim_task_kind kind_lrm_stop = {
	"vzstop", HA_LRM_PCT, true, stop_begin, stop_finish, sim_task_unlock };

static int ha_finish(struct sim *s, struct sim_task *t, char *err, size_t len)
{
	static const struct sim_call lrm = { .user = "root@pam", .taskfail = false };
	json_object *g = sim_finish_guest(s, t, err, len), *args;
	bool start = !strcmp(t->type, "hastart");
	int id = sim_args_int(t->args, "vmid");

	if (!g)
		return -1;
	json_object_object_add(g, "ha", json_object_new_string(start ? "started" : "stopped"));
	sim_mark_dirty(s);
	task_log(t, "Requesting HA %s for CT %d", start ? "start" : "stop", id);
	if (sim_guest_running(g) == start)
		return 0;
	args = json_object_new_object();
	json_object_object_add(args, "vmid", json_object_new_int(id));
	json_object_object_add(args, "skiplock", json_object_new_boolean(0));
	if (!sim_task_start(s, t->node, start ? &kind_lrm_start : &kind_lrm_stop, id, &lrm,
			    args, id))
		json_object_put(args);
	return 0;
}

static const struct sim_task_kind kind_hastart = {
	"hastart", 20, false, NULL, ha_finish, NULL };
static const struct sim_task_kind kind_hastop = {
	"hastop", 20, false, NULL, ha_finish, NULL };

static const struct sim_task_kind *op_kind(const char *op)
{
	if (!strcmp(op, "start"))
		return &sim_kind_vzstart;
	if (!strcmp(op, "stop"))
		return &kind_vzstop;
	if (!strcmp(op, "shutdown"))
		return &kind_vzshutdown;
	return &kind_vzreboot;
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
	const struct sim_task_kind *kind;
	json_object *g, *args;
	struct sim_task *t;
	int id;

	/* the method's `permissions` (RPCEnvironment.pm check) */
	if (sim_vm_perm(s, vmid, "VM.PowerMgmt", false, r))
		return;
	if (sim_check_node(s, node, r) || sim_validate(s, p, params, false, NULL, r))
		return;
	if (json_object_object_get_ex(p, "skiplock", NULL) && !sim_is_root(c)) {
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
	kind = op_kind(op);
	/* Status.pm: an HA-managed CT is started and stopped through the HA
	 * stack (reboot has no HA branch) */
	if (sim_guest_ha(g) && strcmp(op, "reboot")) {
		if (!strcmp(op, "stop") && json_object_object_get_ex(p, "overrule-shutdown", NULL) &&
		    sim_param_bool(p, "overrule-shutdown", false)) {
			res_param(r, "overrule-shutdown", "Not applicable for HA resources.");
			return;
		}
		kind = !strcmp(op, "start") ? &kind_hastart : &kind_hastop;
	}
	args = json_object_new_object();
	json_object_object_add(args, "vmid", json_object_new_int(id));
	json_object_object_add(args, "skiplock", json_object_new_boolean(
				       sim_param_bool(p, "skiplock", false)));
	t = sim_task_start(s, node, kind, id, c, args, id);
	if (!t) {
		res_err(r, 500, "out of memory");
		return;
	}
	res_ok(r, json_object_new_string(t->upid));
}


/* API2/LXC.pm ip -> PVE::LXC::get_interfaces: `ip --json a` in the CT's
 * network namespace; nothing (null) when the CT does not run, and no
 * config lookup at all. The addresses are those the config gives
 * statically; a DHCP interface shows none. */
static void add_addr(json_object *o, json_object *list, const char *family,
		     const char *cidr)
{
	const char *slash = strchr(cidr, '/');
	json_object *a = json_object_new_object();
	json_object_object_add(o, family, json_object_new_string(cidr));
	json_object_object_add(a, "ip-address-type", json_object_new_string(family));
	json_object_object_add(a, "ip-address", json_object_new_string_len(
				       cidr, slash ? (int)(slash - cidr) : (int)strlen(cidr)));
	json_object_object_add(a, "prefix", json_object_new_int(slash ? atoi(slash + 1) : 32));
	json_object_array_add(list, a);
}

static json_object *iface_obj(const char *name, const char *mac)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "hwaddr", json_object_new_string(mac));
	json_object_object_add(o, "hardware-address", json_object_new_string(mac));
	return o;
}

static void net_field(const char *val, const char *key, char *out, size_t len)
{
	char pat[32];
	const char *p;
	size_t n = snprintf(pat, sizeof(pat), "%s=", key);
	out[0] = 0;
	for (p = val; (p = strstr(p, pat)); p += n)
		if (p == val || p[-1] == ',') {
			snprintf(out, len, "%.*s", (int)strcspn(p + n, ","), p + n);
			return;
		}
}

void sim_lxc_interfaces(struct sim *s, const char *node, const char *vmid,
			json_object *p, struct sim_res *r)
{
	json_object *g, *arr, *lo, *list;
	int id;

	/* the method's `permissions` (RPCEnvironment.pm check) */
	if (sim_vm_perm(s, vmid, "VM.Audit", false, r))
		return;
	if (sim_check_node(s, node, r) || sim_validate(s, p, NULL, false, NULL, r))
		return;
	id = sim_parse_vmid(vmid);
	if (id < 100) {
		res_param(r, "vmid", id < 0 ?
			  "invalid format - value does not look like a valid VM ID\n" :
			  "value must have a minimum value of 100");
		return;
	}
	g = sim_guest(s, id);
	if (!g || strcmp(sim_guest_node(g), node) || !sim_guest_running(g)) {
		res_ok(r, NULL);
		return;
	}
	arr = json_object_new_array();
	lo = iface_obj("lo", "00:00:00:00:00:00");
	list = json_object_new_array();
	add_addr(lo, list, "inet", "127.0.0.1/8");
	add_addr(lo, list, "inet6", "::1/128");
	json_object_object_add(lo, "ip-addresses", list);
	json_object_array_add(arr, lo);
	json_object_object_foreach(sim_guest_conf(g), k, v) {
		char name[64], mac[32], ip[64], ip6[64];
		json_object *o;
		const char *val = json_object_get_string(v);
		if (strncmp(k, "net", 3) || k[3] < '0' || k[3] > '9')
			continue;
		net_field(val, "name", name, sizeof(name));
		net_field(val, "hwaddr", mac, sizeof(mac));
		net_field(val, "ip", ip, sizeof(ip));
		net_field(val, "ip6", ip6, sizeof(ip6));
		for (char *c = mac; *c; c++)
			if (*c >= 'A' && *c <= 'F')
				*c += 32;
		o = iface_obj(name, mac);
		list = json_object_new_array();
		if (strchr(ip, '/'))
			add_addr(o, list, "inet", ip);
		if (strchr(ip6, '/'))
			add_addr(o, list, "inet6", ip6);
		json_object_object_add(o, "ip-addresses", list);
		json_object_array_add(arr, o);
	}
	res_ok(r, arr);
}
