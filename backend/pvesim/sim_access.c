/* Users, API tokens, roles and ACLs, and the privilege check every
 * endpoint makes (pve-access-control AccessControl.pm roles, $privgroups,
 * create_roles; RPCEnvironment.pm permissions, compile_acl_path, check,
 * check_any). Read from access.json in the state directory:
 *
 *   { "users": { "USER@REALM": { "tokens": { "NAME": { "secret": "S",
 *                                                     "privsep": 1 } } } },
 *     "roles": { "ROLE": [ "PRIV", ... ] },
 *     "acl": [ { "path": "/vms/100", "ugid": "USER@REALM[!NAME]",
 *                "role": "ROLE", "propagate": 1 } ] }
 *
 * The root token pvesim makes on first start (root@pam!phoenixfs) has no
 * privilege separation, so it holds all of root@pam's privileges. Core
 * layer: uses state and results only. Pools and groups are not modelled. */
#include "sim_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* AccessControl.pm $privgroups (master): admin, user, audit per category */
struct privgroup {
	const char *cat;
	const char *root, *admin, *user, *audit;
};

static const struct privgroup privgroups[] = {
	{ "VM", "",
	  "VM.Config.Disk,VM.Config.CPU,VM.Config.Memory,VM.Config.Network,VM.Config.HWType,"
	  "VM.Config.Options,VM.Allocate,VM.Clone,VM.GuestAgent.Unrestricted,VM.Migrate,"
	  "VM.Replicate,VM.Snapshot,VM.Snapshot.Rollback",
	  "VM.Config.CDROM,VM.Config.Cloudinit,VM.Console,VM.Backup,VM.GuestAgent.FileRead,"
	  "VM.GuestAgent.FileSystemMgmt,VM.GuestAgent.FileWrite,VM.PowerMgmt",
	  "VM.Audit,VM.GuestAgent.Audit" },
	{ "Sys", "Sys.PowerMgmt,Sys.Modify,Sys.Incoming,Sys.AccessNetwork",
	  "Sys.Console,Sys.Syslog", "", "Sys.Audit" },
	{ "Datastore", "", "Datastore.Allocate,Datastore.AllocateTemplate",
	  "Datastore.AllocateSpace", "Datastore.Audit" },
	{ "SDN", "", "SDN.Allocate,SDN.Audit", "SDN.Use", "SDN.Audit" },
	{ "User", "Realm.Allocate", "User.Modify,Group.Allocate,Realm.AllocateUser", "", "" },
	{ "Pool", "", "Pool.Allocate", "Pool.Audit", "Pool.Audit" },
	{ "Mapping", "", "Mapping.Modify", "Mapping.Use", "Mapping.Audit" },
};

static bool in_list(const char *list, const char *priv)
{
	size_t n = strlen(priv);
	for (const char *p = list; p && *p;) {
		size_t l = strcspn(p, ",");
		if (l == n && !strncmp(p, priv, n))
			return true;
		p += l + (p[l] == ',');
	}
	return false;
}

/* create_roles: does built-in role `role` hold `priv`? -1: no such role */
static int builtin_has(const char *role, const char *priv)
{
	size_t n = sizeof(privgroups) / sizeof(privgroups[0]);
	bool valid = false;

	for (size_t i = 0; i < n; i++) {
		const struct privgroup *g = &privgroups[i];
		valid |= in_list(g->root, priv) || in_list(g->admin, priv) ||
			 in_list(g->user, priv) || in_list(g->audit, priv);
	}
	if (!strcmp(role, "Administrator"))
		return valid;
	if (!strcmp(role, "NoAccess"))
		return 0;
	if (!strcmp(role, "PVETemplateUser"))
		return !strcmp(priv, "VM.Clone") || !strcmp(priv, "VM.Audit");
	if (!strcmp(role, "PVEAuditor")) {
		for (size_t i = 0; i < n; i++)
			if (in_list(privgroups[i].audit, priv))
				return 1;
		return 0;
	}
	if (!strcmp(role, "PVEAdmin")) {
		if (!strcmp(priv, "Mapping.Modify"))
			return 0;
		for (size_t i = 0; i < n; i++)
			if (in_list(privgroups[i].admin, priv) || in_list(privgroups[i].user, priv) ||
			    in_list(privgroups[i].audit, priv))
				return 1;
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		const struct privgroup *g = &privgroups[i];
		char name[64];
		snprintf(name, sizeof(name), "PVE%sAdmin", g->cat);
		if (!strcmp(role, name))
			return in_list(g->admin, priv) || in_list(g->user, priv) ||
			       in_list(g->audit, priv);
		snprintf(name, sizeof(name), "PVE%sUser", g->cat);
		if (!strcmp(role, name) && g->user[0])
			return in_list(g->user, priv) || in_list(g->audit, priv);
	}
	return -1;
}

static bool role_has(struct sim *s, const char *role, const char *priv)
{
	json_object *roles, *list;
	int b = builtin_has(role, priv);

	if (b >= 0)
		return b;
	if (!s->access || !json_object_object_get_ex(s->access, "roles", &roles) ||
	    !json_object_object_get_ex(roles, role, &list) ||
	    !json_object_is_type(list, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(list); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(list, i)), priv))
			return true;
	return false;
}

static json_object *token_info(struct sim *s, const char *tokenid)
{
	const char *bang = strchr(tokenid, '!');
	json_object *users, *u, *toks, *t;
	char user[128];

	if (!bang || !s->access ||
	    !json_object_object_get_ex(s->access, "users", &users))
		return NULL;
	snprintf(user, sizeof(user), "%.*s", (int)(bang - tokenid), tokenid);
	if (!json_object_object_get_ex(users, user, &u) ||
	    !json_object_object_get_ex(u, "tokens", &toks) ||
	    !json_object_object_get_ex(toks, bang + 1, &t))
		return NULL;
	return t;
}

int sim_access_token(struct sim *s, const char *tokenid, const char *secret)
{
	json_object *t = token_info(s, tokenid), *v;
	return t && json_object_object_get_ex(t, "secret", &v) &&
	       !strcmp(json_object_get_string(v), secret) ? 0 : -1;
}

/* AccessControl.pm roles: walk the path from /, an ACL entry for the
 * exact id (token, then user) on a component replaces the roles so far;
 * entries above the last component count only when they propagate. */
static void roles_on(struct sim *s, const char *ugid, const char *path,
		     char roles[][64], int *nroles)
{
	char prefixes[16][256];
	size_t plen = strlen(path);
	int np = 0;
	json_object *acl;

	*nroles = 0;
	if (!s->access || !json_object_object_get_ex(s->access, "acl", &acl) ||
	    !json_object_is_type(acl, json_type_array))
		return;
	/* "/", then each component: "/vms", "/vms/100" */
	snprintf(prefixes[np++], sizeof(prefixes[0]), "/");
	for (size_t i = 1; i <= plen && np < 16; i++)
		if ((i == plen || path[i] == '/') && i > 1)
			snprintf(prefixes[np++], sizeof(prefixes[0]), "%.*s", (int)i, path);
	for (int k = 0; k < np; k++) {
		bool final = k == np - 1;
		char nw[16][64];
		int nnew = 0;
		for (size_t i = 0; i < json_object_array_length(acl); i++) {
			json_object *e = json_object_array_get_idx(acl, i), *v;
			bool prop;
			if (!json_object_object_get_ex(e, "path", &v) ||
			    strcmp(json_object_get_string(v), prefixes[k]) ||
			    !json_object_object_get_ex(e, "ugid", &v) ||
			    strcmp(json_object_get_string(v), ugid))
				continue;
			prop = !json_object_object_get_ex(e, "propagate", &v) ||
			       json_object_get_int(v);
			if ((!final && !prop) || nnew >= 16 ||
			    !json_object_object_get_ex(e, "role", &v))
				continue;
			snprintf(nw[nnew++], sizeof(nw[0]), "%s", json_object_get_string(v));
		}
		if (nnew) { /* overwrite what the path above gave */
			memcpy(roles, nw, sizeof(nw[0]) * (size_t)nnew);
			*nroles = nnew;
		}
	}
}

static bool user_has(struct sim *s, const char *ugid, const char *path, const char *priv)
{
	char roles[16][64];
	int n;

	if (!strcmp(ugid, "root@pam"))
		return builtin_has("Administrator", priv) > 0;
	roles_on(s, ugid, path, roles, &n);
	for (int i = 0; i < n; i++)
		if (!strcmp(roles[i], "NoAccess"))
			return false;
	for (int i = 0; i < n; i++)
		if (role_has(s, roles[i], priv))
			return true;
	return false;
}

/* RPCEnvironment.pm permissions: root@pam has everything; a token without
 * privilege separation has its user's privileges; a privsep token has
 * those its own ACLs give that its user also has. The token pvesim made
 * itself (the `token` file) is root@pam's without privsep. */
bool sim_has_priv(struct sim *s, const char *ugid, const char *path, const char *priv)
{
	const char *bang = ugid ? strchr(ugid, '!') : NULL;
	char user[128];
	json_object *t, *v;

	if (!ugid)
		return true; /* an internal call */
	if (!bang)
		return user_has(s, ugid, path, priv);
	snprintf(user, sizeof(user), "%.*s", (int)(bang - ugid), ugid);
	t = token_info(s, ugid);
	if (!t) /* the root token of the `token` file */
		return !strcmp(user, "root@pam") && user_has(s, user, path, priv);
	if (!user_has(s, user, path, priv))
		return false;
	if (!json_object_object_get_ex(t, "privsep", &v) || !json_object_get_int(v))
		return true;
	return user_has(s, ugid, path, priv);
}

/* RPCEnvironment.pm check (all of privs) and check_any: 403
 * "Permission check failed (PATH, PRIV)" naming the first missing one, or
 * "(PATH, A|B)" for any */
int sim_perm(struct sim *s, const char *path, const char *privs, bool any,
	     struct sim_res *r)
{
	const char *user = s->caller[0] ? s->caller : NULL;
	char one[64];
	bool found = false;

	for (const char *p = privs; *p;) {
		size_t l = strcspn(p, ",");
		snprintf(one, sizeof(one), "%.*s", (int)l, p);
		p += l + (p[l] == ',');
		if (sim_has_priv(s, user, path, one)) {
			found = true;
			if (any)
				return 0;
		} else if (!any) {
			res_err(r, 403, "Permission check failed (%s, %s)", path, one);
			return -1;
		}
	}
	if (!any || found)
		return 0;
	snprintf(one, sizeof(one), "%s", privs);
	for (char *q = one; *q; q++)
		if (*q == ',')
			*q = '|';
	res_err(r, 403, "Permission check failed (%s, %s)", path, one);
	return -1;
}

int sim_access_load(struct sim *s, char *err, size_t errlen)
{
	char path[4200];
	json_object *a;

	if (!s->o.state_dir)
		return 0;
	snprintf(path, sizeof(path), "%s/access.json", s->o.state_dir);
	if (access(path, F_OK) != 0)
		return 0;
	a = json_object_from_file(path);
	if (!a || !json_object_is_type(a, json_type_object)) {
		snprintf(err, errlen, "%s: %s", path, a ? "not a JSON object" :
			 json_util_get_last_err());
		json_object_put(a);
		return -1;
	}
	sim_access_set(s, a);
	return 0;
}

void sim_access_set(struct sim *s, json_object *access)
{
	json_object_put(s->access);
	s->access = access;
}

int sim_vm_perm(struct sim *s, const char *vmid, const char *privs, bool any,
		struct sim_res *r)
{
	char path[64];
	snprintf(path, sizeof(path), "/vms/%s", vmid);
	return sim_perm(s, path, privs, any, r);
}

void sim_set_caller(struct sim *s, const char *user)
{
	snprintf(s->caller, sizeof(s->caller), "%s", user ? user : "");
}

const char *sim_conf_key_priv(const char *k)
{
	if (!strcmp(k, "cores") || !strcmp(k, "cpuunits") || !strcmp(k, "cpulimit"))
		return "VM.Config.CPU";
	if (sim_is_mp_key(k))
		return "VM.Config.Disk";
	if (!strcmp(k, "memory") || !strcmp(k, "swap"))
		return "VM.Config.Memory";
	if ((!strncmp(k, "net", 3) && k[3] >= '0' && k[3] <= '9') ||
	    !strcmp(k, "nameserver") || !strcmp(k, "searchdomain") ||
	    !strcmp(k, "hostname"))
		return "VM.Config.Network";
	return "VM.Config.Options";
}
