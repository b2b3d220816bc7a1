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
 * layer: uses state and results only. Groups come from
 *
 *     "groups": { "GROUP": [ "USER@REALM", ... ] }   (ACL ugid "@GROUP")
 *
 * Pools are not modelled (phoenixfs passes no `pool`). */
#include "sim_internal.h"

#include "backend/comma_list.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* AccessControl.pm $privgroups: admin, user, audit per category. PVE 9
 * (master) added VM.GuestAgent.* and VM.Replicate and dropped VM.Monitor;
 * PVE 8 (stable-bookworm) is the second table. */
struct privgroup {
	const char *cat;
	const char *root, *admin, *user, *audit;
};

#define PRIVGROUPS_COMMON \
	{ "Sys", "Sys.PowerMgmt,Sys.Modify,Sys.Incoming,Sys.AccessNetwork", \
	  "Sys.Console,Sys.Syslog", "", "Sys.Audit" }, \
	{ "Datastore", "", "Datastore.Allocate,Datastore.AllocateTemplate", \
	  "Datastore.AllocateSpace", "Datastore.Audit" }, \
	{ "SDN", "", "SDN.Allocate,SDN.Audit", "SDN.Use", "SDN.Audit" }, \
	{ "User", "Realm.Allocate", "User.Modify,Group.Allocate,Realm.AllocateUser", "", "" }, \
	{ "Pool", "", "Pool.Allocate", "Pool.Audit", "Pool.Audit" }, \
	{ "Mapping", "", "Mapping.Modify", "Mapping.Use", "Mapping.Audit" }

static const struct privgroup privgroups9[] = {
	{ "VM", "",
	  "VM.Config.Disk,VM.Config.CPU,VM.Config.Memory,VM.Config.Network,VM.Config.HWType,"
	  "VM.Config.Options,VM.Allocate,VM.Clone,VM.GuestAgent.Unrestricted,VM.Migrate,"
	  "VM.Replicate,VM.Snapshot,VM.Snapshot.Rollback",
	  "VM.Config.CDROM,VM.Config.Cloudinit,VM.Console,VM.Backup,VM.GuestAgent.FileRead,"
	  "VM.GuestAgent.FileSystemMgmt,VM.GuestAgent.FileWrite,VM.PowerMgmt",
	  "VM.Audit,VM.GuestAgent.Audit" },
	PRIVGROUPS_COMMON,
};

static const struct privgroup privgroups8[] = {
	{ "VM", "",
	  "VM.Config.Disk,VM.Config.CPU,VM.Config.Memory,VM.Config.Network,VM.Config.HWType,"
	  "VM.Config.Options,VM.Allocate,VM.Clone,VM.Migrate,VM.Monitor,VM.Snapshot,"
	  "VM.Snapshot.Rollback",
	  "VM.Config.CDROM,VM.Config.Cloudinit,VM.Console,VM.Backup,VM.PowerMgmt",
	  "VM.Audit" },
	PRIVGROUPS_COMMON,
};

/* create_roles: does built-in role `role` hold `priv`? -1: no such role */
static int builtin_has(const struct sim *s, const char *role, const char *priv)
{
	const struct privgroup *privgroups = sim_pve(s) == 8 ? privgroups8 : privgroups9;
	size_t n = sim_pve(s) == 8 ? sizeof(privgroups8) / sizeof(privgroups8[0]) :
		sizeof(privgroups9) / sizeof(privgroups9[0]);
	bool valid = false;

	for (size_t i = 0; i < n; i++) {
		const struct privgroup *g = &privgroups[i];
		valid |= phx_comma_list_has(g->root, priv) || phx_comma_list_has(g->admin, priv) ||
			 phx_comma_list_has(g->user, priv) || phx_comma_list_has(g->audit, priv);
	}
	if (!strcmp(role, "Administrator"))
		return valid;
	if (!strcmp(role, "NoAccess"))
		return 0;
	if (!strcmp(role, "PVETemplateUser"))
		return !strcmp(priv, "VM.Clone") || !strcmp(priv, "VM.Audit");
	if (!strcmp(role, "PVEAuditor")) {
		for (size_t i = 0; i < n; i++)
			if (phx_comma_list_has(privgroups[i].audit, priv))
				return 1;
		return 0;
	}
	if (!strcmp(role, "PVEAdmin")) {
		if (!strcmp(priv, "Mapping.Modify"))
			return 0;
		for (size_t i = 0; i < n; i++)
			if (phx_comma_list_has(privgroups[i].admin, priv) || phx_comma_list_has(privgroups[i].user, priv) ||
			    phx_comma_list_has(privgroups[i].audit, priv))
				return 1;
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		const struct privgroup *g = &privgroups[i];
		char name[64];
		snprintf(name, sizeof(name), "PVE%sAdmin", g->cat);
		if (!strcmp(role, name))
			return phx_comma_list_has(g->admin, priv) || phx_comma_list_has(g->user, priv) ||
			       phx_comma_list_has(g->audit, priv);
		snprintf(name, sizeof(name), "PVE%sUser", g->cat);
		if (!strcmp(role, name) && g->user[0])
			return phx_comma_list_has(g->user, priv) || phx_comma_list_has(g->audit, priv);
	}
	return -1;
}

static bool role_has(struct sim *s, const char *role, const char *priv)
{
	json_object *roles, *list;
	int b = builtin_has(s, role, priv);

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

/* user.cfg's groups: is user a member of group? (tokens are in none) */
static bool in_group(struct sim *s, const char *user, const char *group)
{
	json_object *groups, *members;

	if (strchr(user, '!') || !json_object_object_get_ex(s->access, "groups", &groups) ||
	    !json_object_object_get_ex(groups, group, &members) ||
	    !json_object_is_type(members, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(members); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(members, i)), user))
			return true;
	return false;
}

/* The roles the ACL entries on exactly `prefix` give ugid: its own
 * entries (groups == false) or those of its groups ("@GROUP"). Entries
 * above the last component count only when they propagate. */
static int roles_at(struct sim *s, json_object *acl, const char *prefix, const char *ugid,
		    bool groups, bool final, char nw[][64])
{
	int nnew = 0;

	for (size_t i = 0; i < json_object_array_length(acl); i++) {
		json_object *e = json_object_array_get_idx(acl, i), *v;
		const char *who;
		bool prop;
		if (!json_object_object_get_ex(e, "path", &v) ||
		    strcmp(json_object_get_string(v), prefix) ||
		    !json_object_object_get_ex(e, "ugid", &v))
			continue;
		who = json_object_get_string(v);
		if (groups ? who[0] != '@' || !in_group(s, ugid, who + 1) : strcmp(who, ugid))
			continue;
		prop = !json_object_object_get_ex(e, "propagate", &v) || json_object_get_int(v);
		if ((!final && !prop) || nnew >= 16 || !json_object_object_get_ex(e, "role", &v))
			continue;
		snprintf(nw[nnew++], 64, "%s", json_object_get_string(v));
	}
	return nnew;
}

/* AccessControl.pm roles: walk the path from /; on each component the
 * entries for the exact id replace the roles so far ("user privs always
 * override group privs"), else those of its groups do. */
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
		char nw[16][64];
		int nnew = roles_at(s, acl, prefixes[k], ugid, false, k == np - 1, nw);

		if (!nnew)
			nnew = roles_at(s, acl, prefixes[k], ugid, true, k == np - 1, nw);
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
		return builtin_has(s, "Administrator", priv) > 0;
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
	struct stat st;

	if (!s->o.state_dir)
		return 0;
	snprintf(path, sizeof(path), "%s/access.json", s->o.state_dir);
	if (stat(path, &st) != 0)
		return 0;
	s->access_mtime = st.st_mtim;
	s->access_size = st.st_size;
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

/* pmxcfs makes a change of user.cfg visible at once: a changed
 * access.json is read again before the next request (a bad one keeps the
 * last good model and is reported on stderr). */
void sim_access_refresh(struct sim *s)
{
	char path[4200], err[4400];
	struct stat st;

	if (!s->o.state_dir)
		return;
	snprintf(path, sizeof(path), "%s/access.json", s->o.state_dir);
	if (stat(path, &st) != 0 ||
	    (st.st_mtim.tv_sec == s->access_mtime.tv_sec &&
	     st.st_mtim.tv_nsec == s->access_mtime.tv_nsec && st.st_size == s->access_size))
		return;
	if (sim_access_load(s, err, sizeof(err)))
		fprintf(stderr, "pvesim: %s (keeping the previous access model)\n", err);
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

bool sim_can(struct sim *s, const char *path, const char *privs, bool any)
{
	const char *user = s->caller[0] ? s->caller : NULL;
	char one[64];

	for (const char *p = privs; *p;) {
		size_t l = strcspn(p, ",");
		bool has;
		snprintf(one, sizeof(one), "%.*s", (int)l, p);
		p += l + (p[l] == ',');
		has = sim_has_priv(s, user, path, one);
		if (any && has)
			return true;
		if (!any && !has)
			return false;
	}
	return !any;
}

/* one key=value of a netN property string, "" when absent */
static void net_field(const char *net, const char *key, char *out, size_t len)
{
	size_t kl = strlen(key);

	out[0] = '\0';
	for (const char *p = net; p && *p;) {
		size_t l = strcspn(p, ",");
		if (l > kl && !strncmp(p, key, kl) && p[kl] == '=') {
			snprintf(out, len, "%.*s", (int)(l - kl - 1), p + kl + 1);
			return;
		}
		p += l + (p[l] == ',');
	}
}

/* pve-container LXC.pm check_bridge_access -> pve-guest-common
 * GuestHelpers.pm check_vnet_access: SDN.Use on /sdn/zones/ZONE/BRIDGE,
 * or on .../BRIDGE/TAG for a tag and each trunk VLAN. A plain Linux
 * bridge is in the zone `localnetwork` (no SDN vnets are simulated). */
int sim_bridge_perm(struct sim *s, const char *net, struct sim_res *r)
{
	char bridge[64], tag[16], trunks[256], path[160];

	if (!s->caller[0] || !strcmp(s->caller, "root@pam"))
		return 0; /* "return 1 if $authuser eq 'root@pam'" */
	net_field(net, "bridge", bridge, sizeof(bridge));
	if (!bridge[0])
		return 0;
	net_field(net, "tag", tag, sizeof(tag));
	net_field(net, "trunks", trunks, sizeof(trunks));
	if (tag[0]) {
		snprintf(path, sizeof(path), "/sdn/zones/localnetwork/%s/%s", bridge, tag);
		if (sim_perm(s, path, "SDN.Use", false, r))
			return -1;
	}
	for (const char *p = trunks; *p;) {
		size_t l = strcspn(p, ";");
		snprintf(path, sizeof(path), "/sdn/zones/localnetwork/%s/%.*s", bridge, (int)l, p);
		if (l && sim_perm(s, path, "SDN.Use", false, r))
			return -1;
		p += l + (p[l] == ';');
	}
	if (!tag[0] && !trunks[0]) {
		snprintf(path, sizeof(path), "/sdn/zones/localnetwork/%s", bridge);
		if (sim_perm(s, path, "SDN.Use", false, r))
			return -1;
	}
	return 0;
}

/* pve-storage Storage.pm check_volume_access for a template volume
 * (vztmpl, iso): Datastore.Allocate on the storage is enough; otherwise
 * "at least read access": Datastore.AllocateSpace or Datastore.Audit. */
int sim_template_access(struct sim *s, const char *sid, struct sim_res *r)
{
	char path[128];

	snprintf(path, sizeof(path), "/storage/%s", sid);
	if (sim_can(s, path, "Datastore.Allocate", false))
		return 0;
	return sim_perm(s, path, "Datastore.AllocateSpace,Datastore.Audit", true, r);
}

/* pve-manager API2/Tasks.pm $check_task_user: a token sees its own tasks,
 * a user its own and its tokens'; anyone else needs Sys.Audit on
 * /nodes/NODE (read_task_log, read_task_status, node_tasks). */
bool sim_task_visible(struct sim *s, const char *task_user, const char *node)
{
	char path[96];
	size_t ul = strlen(s->caller);

	if (!s->caller[0] || !strcmp(s->caller, task_user))
		return true;
	if (!strchr(s->caller, '!') && !strncmp(task_user, s->caller, ul) &&
	    task_user[ul] == '!')
		return true;
	snprintf(path, sizeof(path), "/nodes/%s", node);
	return sim_can(s, path, "Sys.Audit", false);
}
