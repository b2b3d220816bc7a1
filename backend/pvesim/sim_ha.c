/* HA resources (pve-ha-manager src/PVE/API2/HA/Resources.pm, HA/Config.pm):
 * which CTs the HA stack manages, and the state asked of each. A guest
 * record's "ha" member holds the requested state ("started", "stopped");
 * no member means not HA-managed. What HA changes about start and stop is
 * in sim_ct_status.c. Only `ct:` resources are simulated. */
#include "sim_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *sim_guest_ha(json_object *g)
{
	json_object *v;
	return g && json_object_object_get_ex(g, "ha", &v) ? json_object_get_string(v) : NULL;
}

/* HA/Config.pm parse_sid: "ct:ID" (also a bare ID, taken as vm: there;
 * pvesim has no VMs, so it is refused as not existing) */
static json_object *sid_guest(struct sim *s, const char *sid, int *vmid,
			      struct sim_res *r)
{
	json_object *g;

	if (!sim_match("^(ct|vm):[0-9]+$", sid) && !sim_match("^[0-9]+$", sid)) {
		res_param(r, "sid", "unable to parse service id '%s'", sid);
		return NULL;
	}
	*vmid = atoi(strchr(sid, ':') ? strchr(sid, ':') + 1 : sid);
	g = sim_guest(s, *vmid);
	/* Resources/PVECT.pm exists: "resource 'ct:ID' does not exist in cluster" */
	if (!g || strncmp(sid, "ct:", 3)) {
		res_err(r, 500, "resource '%s' does not exist in cluster", sid);
		return NULL;
	}
	return g;
}

static json_object *resource(int vmid, const char *state)
{
	json_object *o = json_object_new_object();
	char sid[32];
	snprintf(sid, sizeof(sid), "ct:%d", vmid);
	json_object_object_add(o, "sid", json_object_new_string(sid));
	json_object_object_add(o, "type", json_object_new_string("ct"));
	json_object_object_add(o, "state", json_object_new_string(state));
	json_object_object_add(o, "digest", json_object_new_string(
		"0000000000000000000000000000000000000000"));
	return o;
}

/* Resources.pm index: `permissions` Sys.Audit on / */
void sim_ha_resources(struct sim *s, json_object *p, struct sim_res *r)
{
	static const struct pdef params[] = {
		{ "type", PT_ENUM, 0, 0, "ct,vm" },
		{ NULL, 0, 0, 0, NULL },
	};
	const char *type = NULL;
	json_object *arr;

	if (sim_perm(s, "/", "Sys.Audit", false, r) ||
	    sim_validate(s, p, params, false, NULL, r))
		return;
	sim_param_str(p, "type", &type);
	arr = json_object_new_array();
	json_object_object_foreach(s->guests, key, g)
		if (sim_guest_ha(g) && (!type || !strcmp(type, "ct")))
			json_object_array_add(arr, resource(atoi(key), sim_guest_ha(g)));
	res_ok(r, arr);
}

/* Resources.pm create (`ha-manager add`): Sys.Console on /; the CT must
 * exist; "resource ID '...' already defined"; state defaults to started */
void sim_ha_resource_add(struct sim *s, json_object *p, struct sim_res *r)
{
	static const struct pdef params[] = {
		{ "sid", PT_STR, 0, 64, NULL },
		{ "type", PT_ENUM, 0, 0, "ct,vm" },
		{ "state", PT_ENUM, 0, 0, "started,stopped,enabled,disabled,ignored" },
		{ "comment", PT_STR, 0, 4096, NULL },
		{ "max_restart", PT_INT, 0, LLONG_MAX, NULL },
		{ "max_relocate", PT_INT, 0, LLONG_MAX, NULL },
		{ NULL, 0, 0, 0, NULL },
	};
	static const char *const req[] = { "sid", NULL };
	const char *sid, *state = "started";
	json_object *g;
	int vmid;

	if (sim_perm(s, "/", "Sys.Console", false, r) ||
	    sim_validate(s, p, params, false, req, r))
		return;
	sim_param_str(p, "sid", &sid);
	sim_param_str(p, "state", &state);
	if (!strcmp(state, "enabled"))
		state = "started"; /* Config.pm: 'enabled' is an alias */
	else if (!strcmp(state, "disabled"))
		state = "stopped";
	if (!(g = sid_guest(s, sid, &vmid, r)))
		return;
	if (sim_guest_ha(g)) {
		res_err(r, 500, "resource ID 'ct:%d' already defined", vmid);
		return;
	}
	json_object_object_add(g, "ha", json_object_new_string(state));
	sim_mark_dirty(s);
	res_ok(r, NULL);
}

/* Resources.pm delete: Sys.Console on / */
void sim_ha_resource_delete(struct sim *s, const char *sid, json_object *p,
			    struct sim_res *r)
{
	json_object *g;
	int vmid;

	if (sim_perm(s, "/", "Sys.Console", false, r) ||
	    sim_validate(s, p, NULL, false, NULL, r))
		return;
	if (!(g = sid_guest(s, sid, &vmid, r)))
		return;
	if (!sim_guest_ha(g)) {
		res_err(r, 500, "no such resource 'ct:%d'", vmid);
		return;
	}
	json_object_object_del(g, "ha");
	sim_mark_dirty(s);
	res_ok(r, NULL);
}
