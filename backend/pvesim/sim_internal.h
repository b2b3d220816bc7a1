/* Internals shared by the simulation core's files; not for the HTTP layer. */
#ifndef PVESIM_SIM_INTERNAL_H
#define PVESIM_SIM_INTERNAL_H

#include "sim.h"

#include <stdarg.h>
#include <time.h>

#define SIM_MAX_TASKS_KEPT 1000

enum task_phase { TP_WAIT_FLOCK, TP_RUNNING, TP_DONE };

struct sim_task;

/* What one kind of task does, owned by the file of its API area (the core
 * knows kinds only through this table row): the UPID type, its duration as
 * a percentage of --task-ms, whether the worker holds the CT's config flock
 * while it runs, and its hooks. begin runs when the worker starts (after the
 * flock wait), finish when its time is up; each returns 0 or fills err with
 * the exitstatus text. failed cleans up after either failed. NULL: nothing
 * to do. */
struct sim_task_kind {
	const char *type;
	unsigned pct;
	bool flock;
	int (*begin)(struct sim *s, struct sim_task *t, char *err, size_t len);
	int (*finish)(struct sim *s, struct sim_task *t, char *err, size_t len);
	void (*failed)(struct sim *s, struct sim_task *t);
};

struct sim_task {
	const struct sim_task_kind *kind; /* NULL for tasks restored finished */
	char upid[160];
	char node[SIM_NAME_MAX];
	char type[24];
	char id[16];
	char user[128];
	uint32_t pid, pstart;
	int64_t starttime, endtime;
	enum task_phase phase;
	uint64_t due_ms;        /* end of run, or end of the flock wait */
	int flock_vmid;         /* flock held (or waited for) during the run */
	bool taskfail;          /* injected failure */
	json_object *args;      /* kind-specific arguments */
	json_object *log;       /* array of strings */
	char exitstatus[512];
};

struct sim {
	struct sim_opts o;
	char state_path[4096];
	json_object *guests;    /* "vmid" -> guest */
	json_object *volumes;   /* volkey -> { volname -> {vmid,size,base} } */
	struct sim_task *tasks;
	int n_tasks, cap_tasks;
	int in_hook;            /* a task's hook runs: no task may move */
	uint32_t next_pid;
	uint64_t boot_ms;
	uint64_t next_stats_ms;
	long long node_mem_pub[SIM_MAX_NODES]; /* each node's mem as pvestatd */
	bool node_mem_published;               /* last published it */
	uint64_t rng;
	bool dirty;
	json_object *access;    /* access.json: users, tokens, roles, acl */
	bool offline[SIM_MAX_NODES]; /* nodes that do not answer */
	struct timespec access_mtime; /* of the access.json read */
	long long access_size;
	char caller[256];       /* who makes the request being served */
	sim_clock_fn mono;
	sim_epoch_fn epoch;
	void *clock_ctx;
};

/* The Proxmox VE major version simulated (8 or 9). Rules that differ cite
 * pve-container's stable-bookworm (PVE 8) and master (PVE 9) branches. */
static inline int sim_pve(const struct sim *s)
{
	return s->o.pve_version;
}

/* sim_state.c */
uint64_t sim_now(struct sim *s);
time_t sim_epoch_now(struct sim *s);
uint64_t sim_rand(struct sim *s);
bool sim_is_node(struct sim *s, const char *node);
const struct sim_storage *sim_storage_find(struct sim *s, const char *sid);
json_object *sim_guest(struct sim *s, int vmid);
json_object *sim_guest_conf(json_object *g);
const char *sim_guest_node(json_object *g);
bool sim_guest_running(json_object *g);
bool sim_guest_template(json_object *g);
const char *sim_guest_lock(json_object *g);
void sim_set_lock(json_object *g, const char *lock);
void sim_mark_dirty(struct sim *s);
/* sim_state.c: node i's memory in use now (running guests' memory) */
long long sim_node_mem_now(struct sim *s, int i);

/* result helpers (sim_state.c) */
void res_err(struct sim_res *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void res_param(struct sim_res *r, const char *param, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void res_ok(struct sim_res *r, json_object *data);
void res_missing_conf(struct sim_res *r, const char *node, int vmid);

/* Load guest {vmid} as seen from {node}: fills r and returns NULL when the
 * config file does not exist there (also when it lives on another node). */
json_object *sim_load_config(struct sim *s, const char *node,
			     const char *vmid, struct sim_res *r, int *vmid_out);

/* sim_params.c: schema validation. Each returns 0 or fills r with a 400. */
enum ptype {
	PT_INT, PT_NUM, PT_BOOL, PT_STR, PT_DNS, PT_ENUM, PT_VMID,
	PT_DNSLIST,   /* dns-name-list (searchdomain) */
	PT_IPLIST,    /* lxc-ip-with-ll-iface-list (nameserver) */
	PT_FEATURES,  /* LXC/Config.pm $features_desc property string */
	PT_NOCTL,     /* pattern [^\x00-\x08\x0a-\x1F\x7F]+ (entrypoint) */
	PT_ENV,       /* NUL-separated NAME=value list (env) */
};
struct pdef {
	const char *name;
	enum ptype type;
	long long min, max;       /* INT/NUM range, STR max length (max) */
	const char *enums;        /* PT_ENUM: comma list */
};
const struct pdef *sim_conf_pdef(const char *key);
/* s: the version simulated decides which keys exist. Arrays given for
 * `-list` parameters are joined into p first. */
int sim_validate(const struct sim *s, json_object *p, const struct pdef *extra,
		 bool conf_keys, const char *const *required,
		 struct sim_res *r);
bool sim_param_str(json_object *p, const char *k, const char **out);
bool sim_param_bool(json_object *p, const char *k, bool dflt);
long long sim_param_int(json_object *p, const char *k, long long dflt);
int sim_parse_vmid(const char *s);
/* POSIX extended regex match of the whole pattern as written */
bool sim_match(const char *re, const char *s);
/* 0, or a 400 on param when sid is not a pve-storage-id */
int sim_check_storage_id(const char *param, const char *sid, struct sim_res *r);

/* sim_conf.c: config values, property strings, volumes */
void sim_conf_set_param(json_object *conf, const char *key, json_object *v);
char *sim_conf_render(json_object *g);               /* pct .conf text */
void sim_conf_digest(json_object *g, char out[41]);
int sim_net_canonical(struct sim *s, const char *in, bool new_mac,
		      char *out, size_t len, char *err, size_t errlen);
void sim_tags_normalize(const char *in, char *out, size_t len);
bool sim_is_mp_key(const char *k);
/* "local-lvm:vm-100-disk-0,size=8G" -> sid, volname, size text */
int sim_volume_split(const char *val, char *sid, size_t sidlen,
		     char *volname, size_t vlen, char *opts, size_t olen);
const char *sim_volkey(struct sim *s, const char *sid, const char *node,
		       char *buf, size_t len);
int sim_volume_alloc(struct sim *s, const char *sid, const char *node,
		     int vmid, const char *size, const char *base,
		     char *volname, size_t vlen, char *err, size_t errlen);
int sim_volume_free(struct sim *s, const char *sid, const char *node,
		    const char *volname, char *err, size_t errlen);
int sim_volume_rename(struct sim *s, const char *sid, const char *node,
		      const char *from, const char *to);
bool sim_volume_exists(struct sim *s, const char *sid, const char *node,
		       const char *volname);
bool sim_storage_has_content(const struct sim_storage *st, const char *ct);
extern const char *const sim_os_templates[];

/* sim_access.c: privileges. sim_perm checks privs (comma list) on path
 * for the caller, all of them or (any) one; 0 or a 403 in r. */
bool sim_has_priv(struct sim *s, const char *ugid, const char *path,
		  const char *priv);
int sim_perm(struct sim *s, const char *path, const char *privs, bool any,
	     struct sim_res *r);
/* the same on /vms/VMID (VMID as the URL has it) */
int sim_vm_perm(struct sim *s, const char *vmid, const char *privs, bool any,
		struct sim_res *r);
/* the same check without a 403: for lists that leave out what the caller
 * may not see (check(..., $noerr)) */
bool sim_can(struct sim *s, const char *path, const char *privs, bool any);
/* SDN.Use for the bridge (and VLANs) of a netN value */
int sim_bridge_perm(struct sim *s, const char *net, struct sim_res *r);
/* read access to a template volume on storage sid */
int sim_template_access(struct sim *s, const char *sid, struct sim_res *r);
/* may the caller see a task of task_user on node? */
bool sim_task_visible(struct sim *s, const char *task_user, const char *node);
/* LXC.pm check_ct_modify_config_perm: the privilege a config key needs */
const char *sim_conf_key_priv(const char *key);

/* sim_ha.c: the HA state asked of a CT ("started", "stopped"), or NULL
 * when the HA stack does not manage it */
const char *sim_guest_ha(json_object *g);

/* sim_task.c: the task engine. Kinds come from the API-area files. */
struct sim_task *sim_task_start(struct sim *s, const char *node,
				const struct sim_task_kind *kind, int id,
				const struct sim_call *c, json_object *args,
				int flock_vmid);
struct sim_task *sim_task_find(struct sim *s, const char *upid);
void task_log(struct sim_task *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool sim_flock_held(struct sim *s, int vmid);

/* sim_ct.c: container helpers the API-area files share (above the core,
 * below every API area). */
#define FAULT_TEXT "simulated failure (pvesim fault injection)"
json_object *sim_guest_new(struct sim *s, int vmid, const char *node);
void sim_guest_delete(struct sim *s, int vmid);
json_object *sim_guest_snapshots(json_object *g);
int sim_check_lock(json_object *g, struct sim_res *r);
int sim_lock_err(json_object *g, bool allow_mounted, char *err, size_t len);
int sim_busy(struct sim_res *r, int vmid);
/* lock_config's flock then check_lock: -1 with r answered if either holds */
int sim_check_unlocked(struct sim *s, json_object *g, int vmid, struct sim_res *r);
bool sim_is_root(const struct sim_call *c);
int sim_args_int(json_object *a, const char *k);
const char *sim_args_str(json_object *a, const char *k);
int sim_check_features(const char *newf, const char *oldf, bool unpriv,
		       const struct sim_call *c, struct sim_res *r);
bool sim_new_volume_syntax(const char *v, char *sid, size_t sidlen,
			   char *size, size_t slen);
void sim_add_num(json_object *o, const char *k, long long v);
/* JSONSchema.pm parse_size: NUMBER[KMGT] in bytes, saturated at the
 * range of long long. */
long long sim_parse_size(const char *s);
/* The size= of a volume's options in bytes; 4 GiB without one. */
long long sim_size_bytes(const char *opts);
long long sim_conf_int(json_object *c, const char *k, long long dflt);
long long sim_guest_maxdisk(json_object *c);
json_object *sim_vmstatus(int vmid, json_object *g);
int sim_canonical_nets(struct sim *s, json_object *p, bool new_mac,
		       struct sim_res *r);
void sim_free_allocated(struct sim *s, struct sim_task *t, const char *node);
void sim_apply_pending(struct sim *s, json_object *g);
struct mount_ref {
	char key[16];
	char sid[64];
	char vol[300];
	char opts[256];
	bool bind;
};
int sim_collect_mounts(json_object *conf, struct mount_ref *m, int max);
bool sim_linked_capable(struct sim *s, const char *sid);
/* The guest a task works on, or NULL with err set to the missing-config
 * text (every task but create and clone begins with this). */
json_object *sim_task_guest(struct sim *s, struct sim_task *t, char *err,
			    size_t len);
/* The same for a worker's finish: also NULL, with the fault text, where the
 * call asked the task to fail. */
json_object *sim_finish_guest(struct sim *s, struct sim_task *t, char *err,
			      size_t len);
/* failed hook: drop the lock the task set (args "lockset"), if still ours */
void sim_task_unlock(struct sim *s, struct sim_task *t);
/* Start a vzstart worker as start_vm does for create --start and rollback
 * --start (the kind belongs to sim_ct_status.c). */
extern const struct sim_task_kind sim_kind_vzstart;

#endif
