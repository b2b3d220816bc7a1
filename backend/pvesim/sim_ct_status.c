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
	if (sim_check_node(s, node, r))
		return;
	g = sim_load_config(s, node, vmid, r, &id);
	if (!g)
		return;
	o = sim_vmstatus(id, g);
	ha = json_object_new_object();
	sim_add_num(ha, "managed", 0);
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

static json_object *finish_guest(struct sim *s, struct sim_task *t, char *err,
				 size_t len)
{
	json_object *g = sim_task_guest(s, t, err, len);
	if (g && t->taskfail) {
		snprintf(err, len, "%s", FAULT_TEXT);
		return NULL;
	}
	return g;
}

/* a start applies what was pending, as the new config is read at boot */
static int start_finish(struct sim *s, struct sim_task *t, char *err, size_t len)
{
	json_object *g = finish_guest(s, t, err, len);
	if (!g)
		return -1;
	sim_apply_pending(s, g);
	json_object_object_add(g, "running", json_object_new_boolean(1));
	sim_mark_dirty(s);
	return 0;
}

static int stop_finish(struct sim *s, struct sim_task *t, char *err, size_t len)
{
	json_object *g = finish_guest(s, t, err, len);
	if (!g)
		return -1;
	json_object_object_add(g, "running", json_object_new_boolean(0));
	sim_mark_dirty(s);
	return 0;
}

static int reboot_finish(struct sim *s, struct sim_task *t, char *err, size_t len)
{
	json_object *g = finish_guest(s, t, err, len);
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

