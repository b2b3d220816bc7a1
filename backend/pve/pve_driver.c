/* The Proxmox VE REST driver: driver.h's operations as API calls.
 * Transport, retries and error texts live in pve_http.c, the reading of
 * answers in pve_parse.c; this file only maps each operation to its
 * method, path and parameters (proxmox-api.md §3, §4). */
#include "backend/pve/pve_driver.h"

#include "backend/pve/pve_http.h"
#include "backend/pve/pve_parse.h"
#include "backend/pve/pve_token.h"

#include <ctype.h>
#include <stdarg.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pve_driver {
	struct pve_http *http;
};

static int refuse(struct phx_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int refuse(struct phx_err *err, const char *fmt, ...)
{
	va_list ap;

	err->kind = PHX_E_REFUSED;
	err->http = 0;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* Node names go into URL paths unescaped, so only what a PVE node name can
 * hold is let through (no '/', '?', '%' that would change the path). */
/* pve-common JSONSchema.pm pve_verify_node_name (format pve-node):
 * letters, digits and inner '-', no dots (a node name is a host name's
 * first label, never an FQDN). Checked here because the name goes into
 * the URL path. */
bool pve_node_name_ok(const char *node)
{
	size_t n = node ? strlen(node) : 0;

	if (n == 0 || n >= PHX_NODE_MAX || !isalnum((unsigned char)node[0]) ||
	    !isalnum((unsigned char)node[n - 1]))
		return false;
	for (const char *p = node; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-')
			return false;
	return true;
}

static int check_node(const char *node, struct phx_err *err)
{
	if (!pve_node_name_ok(node))
		return refuse(err, "invalid node name '%.80s': a Proxmox node name is letters, "
			      "digits and '-' inside (pve-node, no dots)", node ? node : "");
	return 0;
}

/* params with one leading (key, number) pair, for vmid/newid. */
static struct phx_kv *with_id(const char *key, char *buf, size_t buflen, uint32_t id,
			      const struct phx_kv *params, size_t n)
{
	struct phx_kv *v = calloc(n + 1, sizeof(*v));

	if (!v)
		return NULL;
	snprintf(buf, buflen, "%u", id);
	v[0].key = key;
	v[0].value = buf;
	if (n)
		memcpy(v + 1, params, n * sizeof(*v));
	return v;
}

static int call_upid(struct pve_driver *d, enum pve_method m, const char *path,
		     const struct phx_kv *params, size_t n, char upid[PHX_UPID_MAX],
		     struct phx_err *err)
{
	json_object *data = NULL;
	int rc;

	upid[0] = '\0';
	if (pve_http_call(d->http, m, path, params, n, &data, err) < 0)
		return -1;
	rc = pve_parse_upid(data, upid, err);
	json_object_put(data);
	return rc;
}

static void op_destroy(void *ctx)
{
	struct pve_driver *d = ctx;

	if (!d)
		return;
	pve_http_free(d->http);
	free(d);
}

static int op_list_guests(void *ctx, struct phx_guest_list *out, struct phx_err *err)
{
	struct pve_driver *d = ctx;
	const struct phx_kv q[] = { { "type", "vm" } };
	json_object *data = NULL;
	int rc;

	out->v = NULL;
	out->n = 0;
	if (pve_http_call(d->http, PVE_GET, "/cluster/resources", q, 1, &data, err) < 0)
		return -1;
	rc = pve_parse_guests(data, out, err);
	json_object_put(data);
	return rc;
}

static int op_list_nodes(void *ctx, char ***nodes, size_t *n, struct phx_err *err)
{
	struct pve_driver *d = ctx;
	json_object *data = NULL;
	int rc;

	*nodes = NULL;
	*n = 0;
	if (pve_http_call(d->http, PVE_GET, "/nodes", NULL, 0, &data, err) < 0)
		return -1;
	rc = pve_parse_nodes(data, nodes, n, err);
	json_object_put(data);
	return rc;
}

static int op_get_config(void *ctx, const char *node, uint32_t vmid,
			 json_object **cfg, struct phx_err *err)
{
	struct pve_driver *d = ctx;
	json_object *data = NULL;
	char path[128];
	int rc;

	*cfg = NULL;
	if (check_node(node, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "/nodes/%s/lxc/%u/config", node, vmid);
	if (pve_http_call(d->http, PVE_GET, path, NULL, 0, &data, err) < 0)
		return -1;
	rc = pve_parse_config(data, cfg, err);
	json_object_put(data);
	return rc;
}

/* POST path with params plus one id parameter (vmid, newid): a task. */
static int post_with_id(struct pve_driver *d, const char *node, const char *path,
			const char *idname, uint32_t idval, const struct phx_kv *params,
			size_t n, char upid[PHX_UPID_MAX], struct phx_err *err)
{
	struct phx_kv *all;
	char id[16];
	int rc;

	upid[0] = '\0';
	if (check_node(node, err) < 0)
		return -1;
	if (!(all = with_id(idname, id, sizeof(id), idval, params, n)))
		return refuse(err, "out of memory");
	rc = call_upid(d, PVE_POST, path, all, n + 1, upid, err);
	free(all);
	return rc;
}

/* Not idempotent: when the answer is lost and the call is retried, the
 * retry meets the guest the first attempt created and fails with
 * PHX_E_EXISTS ("CT <vmid> already exists on node '<node>'"). That is
 * returned as is; the engine tells its own guest from a stranger's. */
static int op_create(void *ctx, const char *node, uint32_t vmid,
		     const struct phx_kv *params, size_t n, char upid[PHX_UPID_MAX],
		     struct phx_err *err)
{
	char path[128];

	snprintf(path, sizeof(path), "/nodes/%s/lxc", node);
	return post_with_id(ctx, node, path, "vmid", vmid, params, n, upid, err);
}

/* Not idempotent either: a retry after a lost answer gets PHX_E_EXISTS for
 * newid, or PHX_E_LOCKED ("CT is locked (disk)") while the first clone
 * still holds the source. */
static int op_clone(void *ctx, const char *node, uint32_t src, uint32_t newid,
		    const struct phx_kv *params, size_t n, char upid[PHX_UPID_MAX],
		    struct phx_err *err)
{
	char path[128];

	snprintf(path, sizeof(path), "/nodes/%s/lxc/%u/clone", node, src);
	return post_with_id(ctx, node, path, "newid", newid, params, n, upid, err);
}

static int op_set_config(void *ctx, const char *node, uint32_t vmid,
			 const struct phx_kv *params, size_t n, struct phx_err *err)
{
	struct pve_driver *d = ctx;
	char path[128];

	if (check_node(node, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "/nodes/%s/lxc/%u/config", node, vmid);
	return pve_http_call(d->http, PVE_PUT, path, params, n, NULL, err);
}

static int op_status_op(void *ctx, const char *node, uint32_t vmid, const char *op,
			char upid[PHX_UPID_MAX], struct phx_err *err)
{
	static const char *const ops[] = { "start", "stop", "shutdown", "reboot" };
	struct pve_driver *d = ctx;
	char path[128];
	bool known = false;

	upid[0] = '\0';
	if (check_node(node, err) < 0)
		return -1;
	for (size_t i = 0; op && i < sizeof(ops) / sizeof(ops[0]); i++)
		known |= strcmp(op, ops[i]) == 0;
	if (!known)
		return refuse(err, "unknown status operation '%.40s'", op ? op : "");
	snprintf(path, sizeof(path), "/nodes/%s/lxc/%u/status/%s", node, vmid, op);
	return call_upid(d, PVE_POST, path, NULL, 0, upid, err);
}

static int op_migrate(void *ctx, const char *node, uint32_t vmid, const char *target,
		      bool restart, char upid[PHX_UPID_MAX], struct phx_err *err)
{
	struct pve_driver *d = ctx;
	struct phx_kv kv[2] = { { "target", target }, { "restart", "1" } };
	char path[128];

	upid[0] = '\0';
	if (check_node(node, err) < 0 || check_node(target, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "/nodes/%s/lxc/%u/migrate", node, vmid);
	return call_upid(d, PVE_POST, path, kv, restart ? 2 : 1, upid, err);
}

/* GET .../status/current: the CT's live run state, not the lagging
 * listing; and whether the HA stack manages it (`ha.managed`). */
static int op_status_current(void *ctx, const char *node, uint32_t vmid,
			     char status[16], bool *ha_managed, struct phx_err *err)
{
	struct pve_driver *d = ctx;
	json_object *data = NULL, *v, *ha;
	char path[128];
	const char *st;

	status[0] = '\0';
	*ha_managed = false;
	if (check_node(node, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "/nodes/%s/lxc/%u/status/current", node, vmid);
	if (pve_http_call(d->http, PVE_GET, path, NULL, 0, &data, err) < 0)
		return -1;
	if (!json_object_is_type(data, json_type_object) ||
	    !json_object_object_get_ex(data, "status", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strlen(st = json_object_get_string(v)) >= 16) {
		json_object_put(data);
		err->kind = PHX_E_PROTOCOL;
		snprintf(err->msg, sizeof(err->msg), "status/current of %u has no status", vmid);
		return -1;
	}
	snprintf(status, 16, "%s", st);
	if (json_object_object_get_ex(data, "ha", &ha) &&
	    json_object_object_get_ex(ha, "managed", &v))
		*ha_managed = json_object_get_int(v) != 0;
	json_object_put(data);
	return 0;
}

/* The answer is null while a hidden vztemplate task converts (proxmox-api.md
 * §3): success here means only that the conversion was started. */
static int op_template(void *ctx, const char *node, uint32_t vmid, struct phx_err *err)
{
	struct pve_driver *d = ctx;
	char path[128];

	if (check_node(node, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "/nodes/%s/lxc/%u/template", node, vmid);
	return pve_http_call(d->http, PVE_POST, path, NULL, 0, NULL, err);
}

static int op_destroy_ct(void *ctx, const char *node, uint32_t vmid,
			 const struct phx_kv *params, size_t n, char upid[PHX_UPID_MAX],
			 struct phx_err *err)
{
	struct pve_driver *d = ctx;
	char path[128];

	upid[0] = '\0';
	if (check_node(node, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "/nodes/%s/lxc/%u", node, vmid);
	return call_upid(d, PVE_DELETE, path, params, n, upid, err);
}

/* "/nodes/<node of the UPID>/tasks/<escaped upid>/<what>": a task is only
 * known to the node that ran it (proxmox-api.md §4). */
static int task_path(const char *upid, const char *what, char *path, size_t len,
		     struct phx_err *err)
{
	char node[PHX_NODE_MAX], *esc;

	if (!upid || strlen(upid) >= PHX_UPID_MAX || phx_upid_node(upid, node) < 0)
		return refuse(err, "malformed task id '%.200s'", upid ? upid : "");
	esc = curl_easy_escape(NULL, upid, 0);
	if (!esc)
		return refuse(err, "out of memory");
	snprintf(path, len, "/nodes/%s/tasks/%s/%s", node, esc, what);
	curl_free(esc);
	return 0;
}

static int op_task_status(void *ctx, const char *upid, struct phx_task_status *st,
			  struct phx_err *err)
{
	struct pve_driver *d = ctx;
	json_object *data = NULL;
	char path[3 * PHX_UPID_MAX + 128];
	int rc;

	st->running = false;
	st->exitstatus[0] = '\0';
	if (task_path(upid, "status", path, sizeof(path), err) < 0)
		return -1;
	if (pve_http_call(d->http, PVE_GET, path, NULL, 0, &data, err) < 0)
		return -1;
	rc = pve_parse_task_status(data, st, err);
	json_object_put(data);
	return rc;
}

static int op_task_log(void *ctx, const char *upid, unsigned start,
		       char ***lines, size_t *n, struct phx_err *err)
{
	struct pve_driver *d = ctx;
	json_object *data = NULL;
	char path[3 * PHX_UPID_MAX + 128], sbuf[16];
	/* limit=0: all lines (the server's default is 50) */
	const struct phx_kv q[] = { { "start", sbuf }, { "limit", "0" } };
	int rc;

	*lines = NULL;
	*n = 0;
	if (task_path(upid, "log", path, sizeof(path), err) < 0)
		return -1;
	snprintf(sbuf, sizeof(sbuf), "%u", start);
	if (pve_http_call(d->http, PVE_GET, path, q, 2, &data, err) < 0)
		return -1;
	rc = pve_parse_task_log(data, start, lines, n, err);
	json_object_put(data);
	return rc;
}

static int op_last_task(void *ctx, const char *node, uint32_t vmid, const char *type,
			char upid[PHX_UPID_MAX], struct phx_task_status *st,
			struct phx_err *err)
{
	struct pve_driver *d = ctx;
	json_object *data = NULL;
	char path[128], id[16];
	const struct phx_kv q[] = {
		{ "vmid", id }, { "source", "all" }, { "typefilter", type ? type : "" },
	};
	int rc;

	upid[0] = '\0';
	st->running = false;
	st->exitstatus[0] = '\0';
	if (check_node(node, err) < 0)
		return -1;
	snprintf(id, sizeof(id), "%u", vmid);
	snprintf(path, sizeof(path), "/nodes/%s/tasks", node);
	if (pve_http_call(d->http, PVE_GET, path, q, type && *type ? 3 : 2, &data, err) < 0)
		return -1;
	rc = pve_parse_newest_task(data, type, upid, err);
	json_object_put(data);
	if (rc < 0 || !upid[0])
		return rc;
	/* The list's own status column differs between PVE versions
	 * ("RUNNING", the exit text, or nothing); ask the task itself. */
	return op_task_status(ctx, upid, st, err);
}

static int op_node_loads(void *ctx, struct phx_node_load_list *out, struct phx_err *err)
{
	struct pve_driver *d = ctx;
	json_object *data = NULL;
	int rc;

	out->v = NULL;
	out->n = 0;
	if (pve_http_call(d->http, PVE_GET, "/cluster/resources", NULL, 0, &data, err) < 0)
		return -1;
	rc = pve_parse_node_loads(data, out, err);
	json_object_put(data);
	return rc;
}

static int op_list_storage(void *ctx, struct phx_storage_list *out, struct phx_err *err)
{
	struct pve_driver *d = ctx;
	json_object *data = NULL;
	int rc;

	out->v = NULL;
	out->n = 0;
	if (pve_http_call(d->http, PVE_GET, "/storage", NULL, 0, &data, err) < 0)
		return -1;
	rc = pve_parse_storage(data, out, err);
	json_object_put(data);
	return rc;
}

/* Snapshot names go into URL paths: only pve-snapshot-name's characters
 * (pve-common JSONSchema: a letter, then letters, digits, '_' and '-'). */
static int check_snapname(const char *name, struct phx_err *err)
{
	if (!name || !isalpha((unsigned char)name[0]) || strlen(name) > 40)
		return refuse(err, "invalid snapshot name '%.80s'", name ? name : "");
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
			return refuse(err, "invalid snapshot name '%.80s'", name);
	return 0;
}

/* "/nodes/NODE/lxc/VMID" + suffix, the node checked. */
static int ct_path(char *path, size_t len, const char *node, uint32_t vmid,
		   const char *suffix, struct phx_err *err)
{
	if (check_node(node, err) < 0)
		return -1;
	snprintf(path, len, "/nodes/%s/lxc/%u%s", node, vmid, suffix);
	return 0;
}

static int op_list_snapshots(void *ctx, const char *node, uint32_t vmid, char ***names,
			     size_t *n, struct phx_err *err)
{
	struct pve_driver *d = ctx;
	json_object *data = NULL;
	char path[128];
	int rc;

	*names = NULL;
	*n = 0;
	if (ct_path(path, sizeof(path), node, vmid, "/snapshot", err) < 0)
		return -1;
	if (pve_http_call(d->http, PVE_GET, path, NULL, 0, &data, err) < 0)
		return -1;
	rc = pve_parse_snapshots(data, names, n, err);
	json_object_put(data);
	return rc;
}

static int op_snapshot(void *ctx, const char *node, uint32_t vmid, const char *name,
		       const char *description, char upid[PHX_UPID_MAX], struct phx_err *err)
{
	const struct phx_kv q[] = { { "snapname", name }, { "description", description } };
	char path[128];

	upid[0] = '\0';
	if (check_snapname(name, err) < 0 ||
	    ct_path(path, sizeof(path), node, vmid, "/snapshot", err) < 0)
		return -1;
	return call_upid(ctx, PVE_POST, path, q, description && *description ? 2 : 1, upid,
			 err);
}

static int op_delete_snapshot(void *ctx, const char *node, uint32_t vmid, const char *name,
			      char upid[PHX_UPID_MAX], struct phx_err *err)
{
	char path[192], suffix[64];

	upid[0] = '\0';
	if (check_snapname(name, err) < 0)
		return -1;
	snprintf(suffix, sizeof(suffix), "/snapshot/%s", name);
	if (ct_path(path, sizeof(path), node, vmid, suffix, err) < 0)
		return -1;
	return call_upid(ctx, PVE_DELETE, path, NULL, 0, upid, err);
}

static int op_resize(void *ctx, const char *node, uint32_t vmid, const char *disk,
		     const char *size, char upid[PHX_UPID_MAX], struct phx_err *err)
{
	struct pve_driver *d = ctx;
	const struct phx_kv q[] = { { "disk", disk }, { "size", size } };
	json_object *data = NULL;
	char path[128];
	int rc;

	upid[0] = '\0';
	if (ct_path(path, sizeof(path), node, vmid, "/resize", err) < 0)
		return -1;
	if (pve_http_call(d->http, PVE_PUT, path, q, 2, &data, err) < 0)
		return -1;
	rc = pve_parse_upid_or_null(data, upid, err);
	json_object_put(data);
	return rc;
}

static int op_fw_rules(void *ctx, const char *node, uint32_t vmid, json_object **rules,
		       struct phx_err *err)
{
	struct pve_driver *d = ctx;
	json_object *data = NULL;
	char path[128];

	*rules = NULL;
	if (ct_path(path, sizeof(path), node, vmid, "/firewall/rules", err) < 0)
		return -1;
	if (pve_http_call(d->http, PVE_GET, path, NULL, 0, &data, err) < 0)
		return -1;
	if (!json_object_is_type(data, json_type_array)) {
		json_object_put(data);
		err->kind = PHX_E_PROTOCOL;
		err->http = 200;
		snprintf(err->msg, sizeof(err->msg), "firewall rule list is not an array");
		return -1;
	}
	*rules = data;
	return 0;
}

static int op_fw_add_rule(void *ctx, const char *node, uint32_t vmid,
			  const struct phx_kv *params, size_t n, struct phx_err *err)
{
	struct pve_driver *d = ctx;
	char path[128];

	if (ct_path(path, sizeof(path), node, vmid, "/firewall/rules", err) < 0)
		return -1;
	return pve_http_call(d->http, PVE_POST, path, params, n, NULL, err);
}

static int op_fw_delete_rule(void *ctx, const char *node, uint32_t vmid, unsigned pos,
			     struct phx_err *err)
{
	struct pve_driver *d = ctx;
	char path[128], suffix[48];

	snprintf(suffix, sizeof(suffix), "/firewall/rules/%u", pos);
	if (ct_path(path, sizeof(path), node, vmid, suffix, err) < 0)
		return -1;
	return pve_http_call(d->http, PVE_DELETE, path, NULL, 0, NULL, err);
}

static int op_fw_set_options(void *ctx, const char *node, uint32_t vmid,
			     const struct phx_kv *params, size_t n, struct phx_err *err)
{
	struct pve_driver *d = ctx;
	char path[128];

	if (ct_path(path, sizeof(path), node, vmid, "/firewall/options", err) < 0)
		return -1;
	return pve_http_call(d->http, PVE_PUT, path, params, n, NULL, err);
}

static const struct phx_driver_ops pve_ops = {
	.destroy = op_destroy,
	.list_guests = op_list_guests,
	.list_nodes = op_list_nodes,
	.get_config = op_get_config,
	.create = op_create,
	.clone = op_clone,
	.set_config = op_set_config,
	.status_op = op_status_op,
	.status_current = op_status_current,
	.template_ = op_template,
	.destroy_ct = op_destroy_ct,
	.task_status = op_task_status,
	.task_log = op_task_log,
	.last_task = op_last_task,
	.list_storage = op_list_storage,
	.node_loads = op_node_loads,
	.migrate = op_migrate,
	.list_snapshots = op_list_snapshots,
	.snapshot = op_snapshot,
	.delete_snapshot = op_delete_snapshot,
	.resize = op_resize,
	.fw_rules = op_fw_rules,
	.fw_add_rule = op_fw_add_rule,
	.fw_delete_rule = op_fw_delete_rule,
	.fw_set_options = op_fw_set_options,
};

int phx_pve_driver_new(struct phx_driver *out, const struct phx_pve_opts *opts,
		       struct phx_err *err)
{
	char hdr[PVE_TOKEN_HDR_MAX];
	struct pve_driver *d;
	int rc;

	memset(err, 0, sizeof(*err));
	out->ops = NULL;
	out->ctx = NULL;
	if (!opts)
		return refuse(err, "no driver options");
	if (pve_token_load(opts->token_file, hdr, err) < 0)
		return -1;
	d = calloc(1, sizeof(*d));
	if (!d) {
		explicit_bzero(hdr, sizeof(hdr));
		return refuse(err, "out of memory");
	}
	rc = pve_http_new(&d->http, opts, hdr, err);
	explicit_bzero(hdr, sizeof(hdr));
	if (rc < 0) {
		free(d);
		return -1;
	}
	out->ops = &pve_ops;
	out->ctx = d;
	return 0;
}
