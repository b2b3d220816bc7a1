/* The backend driver interface: what the engine may ask of Proxmox VE.
 *
 * One implementation talks to the real REST API (backend/pve/); unit tests
 * of the engine use a fake. The driver carries out calls and reports what
 * the server said; it never decides policy (what to build, when to retry a
 * refusal). Every call returns 0 or -1 with *err filled in; no call prints
 * or exits. Calls may block on the network: only engine workers call them,
 * never a FUSE operation. All ops must be safe to call from several threads
 * at once. */
#ifndef PHX_DRIVER_H
#define PHX_DRIVER_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PHX_UPID_MAX 256
#define PHX_NODE_MAX 64

enum phx_err_kind {
	PHX_E_OK = 0,
	PHX_E_TRANSIENT, /* connection failure, timeout, 5xx that is not a refusal,
			    lock contention ("can't lock file ... got timeout"):
			    the same call may succeed later */
	PHX_E_REFUSED,   /* the server refused for a reason that would hold again */
	PHX_E_LOCKED,    /* "CT is locked (<lock>)": refused until the lock goes */
	PHX_E_EXISTS,    /* "CT <id> already exists on node '<node>'" */
	PHX_E_NOTFOUND,  /* "Configuration file '...' does not exist", 404 */
	PHX_E_AUTH,      /* 401/403: token wrong or lacking a privilege */
	PHX_E_TLS,       /* certificate verification or fingerprint mismatch */
	PHX_E_PROTOCOL,  /* an answer we could not understand */
};

struct phx_err {
	enum phx_err_kind kind;
	int http;        /* HTTP status, 0 when none was received */
	char msg[1024];  /* the server's own text (message field or reason
			    phrase), without its trailing newline; or curl's */
};

const char *phx_err_kind_name(enum phx_err_kind kind);

struct phx_guest {
	uint32_t vmid;
	char node[PHX_NODE_MAX];
	char type[8];     /* "lxc" or "qemu" */
	char status[16];  /* "running", "stopped", "unknown" (lags: proxmox-api.md §2) */
	char name[128];   /* may be empty while status is unknown */
	int template_;    /* 1, 0, or -1 when not reported (lags) */
	char lock[32];    /* live; "" when none */
	/* Sizes from the same statistics as status (they lag like it); 0 when
	 * not reported. */
	uint64_t maxmem;  /* bytes: the config's memory */
	uint64_t maxdisk; /* bytes: the root disk's size */
	double maxcpu;    /* cores, or cpulimit when set */
};

struct phx_guest_list {
	struct phx_guest *v;
	size_t n;
};
void phx_guest_list_free(struct phx_guest_list *l);

/* One entry of the cluster's storage configuration (GET /storage). */
struct phx_storage {
	char id[64];       /* as Proxmox spells it (ids are case-insensitive) */
	char type[32];     /* dir, lvmthin, zfspool, nfs, cifs, cephfs, ... */
	char path[512];    /* where a file-based storage lives, "" otherwise */
	char content[256]; /* comma list: rootdir,images,vztmpl,iso,backup,... */
	char nodes[256];   /* comma list the storage is limited to, "" for all */
	bool shared;
	bool disabled;
};

struct phx_storage_list {
	struct phx_storage *v;
	size_t n;
};
void phx_storage_list_free(struct phx_storage_list *l);

/* A node as placement sees it, from one GET /cluster/resources: its
 * type=node row (status, mem, maxmem; the figures are absent for an
 * offline node or without Sys.Audit: 0) and the storages its type=storage
 * rows list as available there. */
struct phx_node_load {
	char name[PHX_NODE_MAX];
	bool online;
	uint64_t mem, maxmem;  /* bytes */
	char storages[1024];   /* comma list of storage ids */
};

/* A guest row of the same listing: where it is and whether it runs (a
 * running guest's memory is in its node's mem; a stopped one uses none). */
struct phx_guest_seen {
	uint32_t vmid;
	char node[PHX_NODE_MAX];
	bool running;
};

struct phx_node_load_list {
	struct phx_node_load *v;
	size_t n;
	struct phx_guest_seen *guests; /* the lxc and qemu rows */
	size_t nguests;
};
void phx_node_load_list_free(struct phx_node_load_list *l);

struct phx_task_status {
	bool running;
	char exitstatus[512]; /* "OK", "WARNINGS: n", or the error text */
};

/* A request parameter; values are sent form-encoded exactly as given
 * (booleans must be "0"/"1", proxmox-api.md §1). */
struct phx_kv {
	const char *key;
	const char *value;
};

struct phx_driver_ops {
	void (*destroy)(void *ctx);

	/* GET /cluster/resources?type=vm: every guest of the cluster, one call. */
	int (*list_guests)(void *ctx, struct phx_guest_list *out, struct phx_err *err);
	/* GET /nodes: node names, malloc'd array of malloc'd strings. */
	int (*list_nodes)(void *ctx, char ***nodes, size_t *n, struct phx_err *err);
	/* GET /nodes/{node}/lxc/{vmid}/config: the live config (lock, template). */
	int (*get_config)(void *ctx, const char *node, uint32_t vmid,
			  json_object **cfg, struct phx_err *err);
	/* POST /nodes/{node}/lxc (vmid is added to params): task UPID out. */
	int (*create)(void *ctx, const char *node, uint32_t vmid,
		      const struct phx_kv *params, size_t n, char upid[PHX_UPID_MAX],
		      struct phx_err *err);
	/* POST /nodes/{node}/lxc/{src}/clone with newid (added): task UPID out. */
	int (*clone)(void *ctx, const char *node, uint32_t src, uint32_t newid,
		     const struct phx_kv *params, size_t n, char upid[PHX_UPID_MAX],
		     struct phx_err *err);
	/* PUT /nodes/{node}/lxc/{vmid}/config (synchronous, no task). */
	int (*set_config)(void *ctx, const char *node, uint32_t vmid,
			  const struct phx_kv *params, size_t n, struct phx_err *err);
	/* POST /nodes/{node}/lxc/{vmid}/status/{op}, op = start|stop|shutdown|reboot. */
	int (*status_op)(void *ctx, const char *node, uint32_t vmid, const char *op,
			 char upid[PHX_UPID_MAX], struct phx_err *err);
	/* GET /nodes/{node}/lxc/{vmid}/status/current: the live run state
	 * ("running", "stopped") and whether the HA stack manages the CT (its
	 * start/stop tasks are then hastart/hastop, which end before the CT
	 * changes). May be NULL in a driver that cannot tell. */
	int (*status_current)(void *ctx, const char *node, uint32_t vmid,
			      char status[16], bool *ha_managed, struct phx_err *err);
	/* POST /nodes/{node}/lxc/{vmid}/template: answers null; the conversion
	 * goes on in a hidden task, its end is seen in the config. */
	int (*template_)(void *ctx, const char *node, uint32_t vmid, struct phx_err *err);
	/* DELETE /nodes/{node}/lxc/{vmid}[?params]: task UPID out. */
	int (*destroy_ct)(void *ctx, const char *node, uint32_t vmid,
			  const struct phx_kv *params, size_t n, char upid[PHX_UPID_MAX],
			  struct phx_err *err);
	/* GET /nodes/{node}/tasks/{upid}/status */
	int (*task_status)(void *ctx, const char *upid, struct phx_task_status *st,
			   struct phx_err *err);
	/* GET /nodes/{node}/tasks/{upid}/log?start=N: lines from N on, malloc'd. */
	int (*task_log)(void *ctx, const char *upid, unsigned start,
			char ***lines, size_t *n, struct phx_err *err);
	/* GET /storage: the cluster's storage configuration. */
	int (*list_storage)(void *ctx, struct phx_storage_list *out, struct phx_err *err);
	/* GET /cluster/resources (every type, one call): each node with its
	 * memory and storages, for placement. NULL: the driver cannot tell,
	 * and a container without a node needs a one-node cluster. */
	int (*node_loads)(void *ctx, struct phx_node_load_list *out, struct phx_err *err);
	/* POST /nodes/{node}/lxc/{vmid}/migrate (target; restart=1 for a
	 * running CT: containers have no live migration): a vzmigrate task
	 * whose failure text is "migration aborted", the reason in its log. */
	int (*migrate)(void *ctx, const char *node, uint32_t vmid, const char *target,
		       bool restart, char upid[PHX_UPID_MAX], struct phx_err *err);
	/* GET /nodes/{node}/lxc/{vmid}/snapshot: snapshot names as listed (not
	 * sorted by Proxmox),
	 * without the "current" pseudo-entry; malloc'd array of strings. */
	int (*list_snapshots)(void *ctx, const char *node, uint32_t vmid, char ***names,
			      size_t *n, struct phx_err *err);
	/* POST /nodes/{node}/lxc/{vmid}/snapshot (snapname, description): task. */
	int (*snapshot)(void *ctx, const char *node, uint32_t vmid, const char *name,
			const char *description, char upid[PHX_UPID_MAX], struct phx_err *err);
	/* DELETE /nodes/{node}/lxc/{vmid}/snapshot/{name}: task. */
	int (*delete_snapshot)(void *ctx, const char *node, uint32_t vmid, const char *name,
			       char upid[PHX_UPID_MAX], struct phx_err *err);
	/* PUT /nodes/{node}/lxc/{vmid}/resize (disk, size such as "32G"): a
	 * task; upid is "" when the server answers without one. */
	int (*resize)(void *ctx, const char *node, uint32_t vmid, const char *disk,
		      const char *size, char upid[PHX_UPID_MAX], struct phx_err *err);
	/* GET /nodes/{node}/lxc/{vmid}/firewall/rules: the rules as Proxmox
	 * lists them (objects with pos, type, action, ...), new reference. */
	int (*fw_rules)(void *ctx, const char *node, uint32_t vmid, json_object **rules,
			struct phx_err *err);
	/* POST /nodes/{node}/lxc/{vmid}/firewall/rules (synchronous). */
	int (*fw_add_rule)(void *ctx, const char *node, uint32_t vmid,
			   const struct phx_kv *params, size_t n, struct phx_err *err);
	/* DELETE /nodes/{node}/lxc/{vmid}/firewall/rules/{pos} (synchronous). */
	int (*fw_delete_rule)(void *ctx, const char *node, uint32_t vmid, unsigned pos,
			      struct phx_err *err);
	/* PUT /nodes/{node}/lxc/{vmid}/firewall/options (synchronous). */
	int (*fw_set_options)(void *ctx, const char *node, uint32_t vmid,
			      const struct phx_kv *params, size_t n, struct phx_err *err);
	/* GET /nodes/{node}/tasks?vmid=V&typefilter=T&source=all: the newest task
	 * of that type for that guest, "" in upid when there is none. Used to
	 * find the task of a request whose answer was lost (crash, dropped
	 * connection). */
	int (*last_task)(void *ctx, const char *node, uint32_t vmid, const char *type,
			 char upid[PHX_UPID_MAX], struct phx_task_status *st,
			 struct phx_err *err);
};

struct phx_driver {
	const struct phx_driver_ops *ops;
	void *ctx;
};

/* The node named in a UPID (UPID:node:...); 0 or -1 when malformed. */
int phx_upid_node(const char *upid, char node[PHX_NODE_MAX]);

static inline void phx_driver_destroy(struct phx_driver *d)
{
	if (d && d->ops && d->ops->destroy)
		d->ops->destroy(d->ctx);
}

#endif
