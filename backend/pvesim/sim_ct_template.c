/* Template conversion (pve-container API2/LXC.pm template,
 * PVE::LXC::template_create): the hidden vztemplate worker renames each
 * volume to its base name and sets template: 1. */
#include "sim_internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct sim_task_kind kind_vztemplate;

void sim_lxc_template(struct sim *s, const char *node, const char *vmid,
		      json_object *p, const struct sim_call *c,
		      struct sim_res *r)
{
	json_object *g, *args;
	int id;

	/* the method's `permissions` (RPCEnvironment.pm check) */
	if (sim_vm_perm(s, vmid, "VM.Allocate", false, r))
		return;
	if (sim_check_node(s, node, r) || sim_validate(s, p, NULL, false, NULL, r))
		return;
	g = sim_load_config(s, node, vmid, r, &id);
	if (!g)
		return;
	if (sim_check_unlocked(s, g, id, r))
		return;
	if (json_object_object_length(sim_guest_snapshots(g)) > 0) {
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
	if (!sim_task_start(s, node, &kind_vztemplate, id, c, args, id)) {
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
	json_object *g = sim_finish_guest(s, t, err, len);
	struct mount_ref m[64];
	int nm;

	if (!g)
		return -1;
	nm = sim_collect_mounts(sim_guest_conf(g), m, 64);
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


static int template_begin(struct sim *s, struct sim_task *t, char *err, size_t len)
{
	return sim_task_guest(s, t, err, len) ? 0 : -1;
}

static const struct sim_task_kind kind_vztemplate = {
	"vztemplate", 100, true, template_begin, template_finish, sim_task_unlock };
