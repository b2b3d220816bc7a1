/* The simulation core of pvesim: a Proxmox VE cluster's guests, configs,
 * locks, storage volumes and tasks, and the rules the real API enforces.
 * No HTTP here: every API call is a function taking the URL's node/vmid and
 * the request parameters as a JSON object (strings from form bodies, typed
 * values from JSON bodies), and filling a struct sim_res with what the HTTP
 * layer must answer. Not thread-safe: the caller serialises all calls. */
#ifndef PVESIM_SIM_H
#define PVESIM_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <json-c/json.h>

#define SIM_MAX_NODES 16
#define SIM_MAX_STORAGES 32
#define SIM_NAME_MAX 64

enum sim_storage_type { ST_DIR, ST_LVMTHIN, ST_ZFSPOOL, ST_NFS };

struct sim_storage {
	char id[SIM_NAME_MAX];
	enum sim_storage_type type;
	char path[192];           /* dir and nfs: where it is mounted, else "" */
	char nodes[256];          /* storage.cfg `nodes`: comma list, "" = all */
};

struct sim_opts {
	char nodes[SIM_MAX_NODES][SIM_NAME_MAX];
	int n_nodes;
	struct sim_storage storages[SIM_MAX_STORAGES];
	int n_storages;
	unsigned task_ms;         /* base task duration */
	unsigned stats_lag_ms;    /* pvestatd period for /cluster/resources */
	unsigned lock_timeout_ms; /* config flock acquire timeout (10 s real) */
	const char *state_dir;    /* NULL: no persistence (unit tests) */
	int pve_version;          /* 8 or 9; 0 means 9 (sim_opts_defaults) */
	/* QEMU VMs that only show in /cluster/resources (--qemu): another
	 * guest a container may depend on; nothing else of QEMU is served */
	struct { unsigned vmid; char node[SIM_NAME_MAX]; bool running; } qemu[8];
	int n_qemu;
	unsigned node_mem_gib[SIM_MAX_NODES]; /* each node's RAM; 0 = 32 */
};

/* What the HTTP layer answers. status 200: data (may be NULL = json null),
 * total >= 0 adds "total". 400: errors object + msg. Others: msg. msg keeps
 * the trailing "\n" exactly as Perl's die text does. */
struct sim_res {
	int status;
	char msg[1024];
	json_object *errors;
	json_object *data;
	int total;
	/* SIM_BUSY: the config flock of busy_vmid is held; retry until the
	 * lock timeout, then answer the flock timeout error. */
	int busy_vmid;
};

#define SIM_BUSY 1

struct sim;

/* Clock hooks, replaceable by tests: monotonic ms and epoch seconds. */
typedef uint64_t (*sim_clock_fn)(void *ctx);
typedef time_t (*sim_epoch_fn)(void *ctx);

const char *sim_storage_type_name(enum sim_storage_type t);
int sim_storage_type_parse(const char *s, enum sim_storage_type *t);
bool sim_storage_is_shared(enum sim_storage_type t);

int sim_opts_add_node(struct sim_opts *o, const char *name);
/* spec: ID:TYPE[:PATH]; a dir storage without PATH gets /var/lib/vz for
 * `local` and /mnt/pve/ID otherwise, an nfs one /mnt/pve/ID */
int sim_opts_add_storage(struct sim_opts *o, const char *spec);
/* spec: VMID[:NODE[:running|stopped]] (default: the first node, running) */
int sim_opts_add_qemu(struct sim_opts *o, const char *spec);
/* "8" or "9" */
int sim_opts_set_version(struct sim_opts *o, const char *v);
void sim_opts_defaults(struct sim_opts *o);

struct sim *sim_new(const struct sim_opts *opts, char *err, size_t errlen);
void sim_free(struct sim *s);
void sim_set_clock(struct sim *s, sim_clock_fn mono, sim_epoch_fn epoch,
		   void *ctx);
void sim_set_seed(struct sim *s, uint64_t seed);

/* Persistence: load state.json from opts.state_dir (missing file = fresh
 * cluster) and save it atomically. Load applies the restart rules: running
 * tasks end failed, locks stay, guests not onboot come back stopped. */
int sim_load(struct sim *s, char *err, size_t errlen);
int sim_save(struct sim *s, char *err, size_t errlen);
bool sim_dirty(const struct sim *s);

/* Advance simulated time: start/finish due tasks, publish statistics.
 * Returns the ms until the next scheduled event (capped at 1000). */
unsigned sim_tick(struct sim *s);
int sim_tasks_running(const struct sim *s);

/* Result helpers */
void sim_res_init(struct sim_res *r);
void sim_res_clear(struct sim_res *r);

/* Per-request options decided by the HTTP layer (fault injection). */
struct sim_call {
	const char *user;     /* authenticated id, e.g. root@pam!phoenixfs */
	bool taskfail;        /* the task this call starts must fail */
};

/* API: each fills r. node = URL {node}; params may be NULL. */
void sim_version(struct sim *s, struct sim_res *r);
void sim_node_version(struct sim *s, const char *node, json_object *p,
		      struct sim_res *r);
void sim_node_status(struct sim *s, const char *node, json_object *p,
		     struct sim_res *r);
void sim_node_network(struct sim *s, const char *node, json_object *p,
		      struct sim_res *r);
void sim_cluster_status(struct sim *s, json_object *p, struct sim_res *r);
void sim_storage_config_list(struct sim *s, json_object *p, struct sim_res *r);
void sim_storage_config_get(struct sim *s, const char *sid, json_object *p,
			    struct sim_res *r);
void sim_nodes(struct sim *s, const char *fingerprint, struct sim_res *r);
void sim_cluster_resources(struct sim *s, json_object *p, struct sim_res *r);
/* /cluster/ha/resources: GET, POST (sid, state), DELETE {sid} */
void sim_ha_resources(struct sim *s, json_object *p, struct sim_res *r);
void sim_ha_resource_add(struct sim *s, json_object *p, struct sim_res *r);
void sim_ha_resource_delete(struct sim *s, const char *sid, json_object *p,
			    struct sim_res *r);
void sim_nextid(struct sim *s, json_object *p, struct sim_res *r);
void sim_storage_list(struct sim *s, const char *node, json_object *p,
		      struct sim_res *r);
void sim_storage_content(struct sim *s, const char *node, const char *sid,
			 json_object *p, struct sim_res *r);
void sim_lxc_list(struct sim *s, const char *node, struct sim_res *r);
void sim_lxc_create(struct sim *s, const char *node, json_object *p,
		    const struct sim_call *c, struct sim_res *r);
void sim_lxc_config_get(struct sim *s, const char *node, const char *vmid,
			json_object *p, struct sim_res *r);
void sim_lxc_config_put(struct sim *s, const char *node, const char *vmid,
			json_object *p, const struct sim_call *c,
			struct sim_res *r);
void sim_lxc_status_current(struct sim *s, const char *node, const char *vmid,
			    struct sim_res *r);
/* op: start, stop, shutdown, reboot */
void sim_lxc_status_op(struct sim *s, const char *node, const char *vmid,
		       const char *op, json_object *p,
		       const struct sim_call *c, struct sim_res *r);
void sim_lxc_clone(struct sim *s, const char *node, const char *vmid,
		   json_object *p, const struct sim_call *c, struct sim_res *r);
/* migrate_vm: to another node, restart mode for a running CT */
void sim_lxc_migrate(struct sim *s, const char *node, const char *vmid,
		     json_object *p, const struct sim_call *c, struct sim_res *r);
void sim_lxc_template(struct sim *s, const char *node, const char *vmid,
		      json_object *p, const struct sim_call *c,
		      struct sim_res *r);
void sim_lxc_destroy(struct sim *s, const char *node, const char *vmid,
		     json_object *p, const struct sim_call *c,
		     struct sim_res *r);
void sim_lxc_feature(struct sim *s, const char *node, const char *vmid,
		     json_object *p, struct sim_res *r);
void sim_snapshot_list(struct sim *s, const char *node, const char *vmid,
		       struct sim_res *r);
void sim_snapshot_create(struct sim *s, const char *node, const char *vmid,
			 json_object *p, const struct sim_call *c,
			 struct sim_res *r);
void sim_snapshot_delete(struct sim *s, const char *node, const char *vmid,
			 const char *snap, json_object *p,
			 const struct sim_call *c, struct sim_res *r);
void sim_snapshot_rollback(struct sim *s, const char *node, const char *vmid,
			   const char *snap, json_object *p,
			   const struct sim_call *c, struct sim_res *r);
void sim_snapshot_index(struct sim *s, const char *node, const char *vmid,
			const char *snap, json_object *p, struct sim_res *r);
void sim_snapshot_config_get(struct sim *s, const char *node, const char *vmid,
			     const char *snap, json_object *p, struct sim_res *r);
void sim_snapshot_config_put(struct sim *s, const char *node, const char *vmid,
			     const char *snap, json_object *p, struct sim_res *r);
void sim_lxc_pending(struct sim *s, const char *node, const char *vmid,
		     json_object *p, struct sim_res *r);
void sim_lxc_interfaces(struct sim *s, const char *node, const char *vmid,
			json_object *p, struct sim_res *r);
void sim_lxc_resize(struct sim *s, const char *node, const char *vmid,
		    json_object *p, const struct sim_call *c, struct sim_res *r);
/* container firewall: rules (pos is the URL's {pos}) and options */
void sim_fw_rules_list(struct sim *s, const char *node, const char *vmid,
		       json_object *p, struct sim_res *r);
void sim_fw_rule_get(struct sim *s, const char *node, const char *vmid,
		     const char *pos, json_object *p, struct sim_res *r);
void sim_fw_rule_create(struct sim *s, const char *node, const char *vmid,
			json_object *p, struct sim_res *r);
void sim_fw_rule_update(struct sim *s, const char *node, const char *vmid,
			const char *pos, json_object *p, struct sim_res *r);
void sim_fw_rule_delete(struct sim *s, const char *node, const char *vmid,
			const char *pos, json_object *p, struct sim_res *r);
void sim_fw_options_get(struct sim *s, const char *node, const char *vmid,
			json_object *p, struct sim_res *r);
void sim_fw_options_set(struct sim *s, const char *node, const char *vmid,
			json_object *p, struct sim_res *r);
void sim_task_list(struct sim *s, const char *node, json_object *p,
		   struct sim_res *r);
void sim_task_status(struct sim *s, const char *node, const char *upid,
		     struct sim_res *r);
void sim_task_log(struct sim *s, const char *node, const char *upid,
		  json_object *p, struct sim_res *r);

/* The node check every /nodes/{node}/... handler does first. Returns 0 if
 * the node is a cluster member, else fills r (400 bad name / 500 lookup). */
int sim_check_node(struct sim *s, const char *node, struct sim_res *r);

/* A node that is down (powered off, cut off): pveproxy on the first node
 * cannot reach it, and the cluster lists it offline and its guests
 * unknown. The first node is the one pvesim answers as: it cannot be
 * offline (-1). */
int sim_set_node_offline(struct sim *s, const char *node, bool offline);
/* --storage-nodes ID:NODE[,NODE...]: storage.cfg `nodes` of a storage
 * (pve-storage Storage.pm storage_check_node); -EINVAL for an unknown
 * storage or node */
int sim_set_storage_nodes(struct sim *s, const char *spec);
/* --node-memory NODE:GIB: the node's RAM (maxmem) */
int sim_set_node_memory(struct sim *s, const char *spec);
/* is the storage available on node (storage.cfg `nodes`)? */
bool sim_storage_on_node(const struct sim_storage *st, const char *node);
bool sim_node_offline(struct sim *s, const char *node);
/* the node pvesim answers as (pveproxy's own node) */
const char *sim_local_node(struct sim *s);

/* Text of the flock timeout for a CT. */
void sim_flock_timeout_msg(int vmid, char *buf, size_t len);

/* Users, tokens, roles and ACLs (sim_access.c): access.json in the state
 * directory, or set directly (the sim takes the reference). A token from
 * it authenticates when its secret matches: 0 or -1. */
int sim_access_load(struct sim *s, char *err, size_t errlen);
/* read access.json again if it changed since it was read */
void sim_access_refresh(struct sim *s);
void sim_access_set(struct sim *s, json_object *access);
int sim_access_token(struct sim *s, const char *tokenid, const char *secret);
/* Who makes the requests that follow (NULL: root@pam's own token). The
 * HTTP layer sets it per request; calls are serialised. */
void sim_set_caller(struct sim *s, const char *user);

/* Offline `pct unlock`: remove a CT's lock property. 0 or -ENOENT. */
int sim_unlock(struct sim *s, int vmid);

#endif
