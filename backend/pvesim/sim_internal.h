/* Internals shared by the simulation core's files; not for the HTTP layer. */
#ifndef PVESIM_SIM_INTERNAL_H
#define PVESIM_SIM_INTERNAL_H

#include "sim.h"

#include <stdarg.h>

#define SIM_MAX_TASKS_KEPT 1000

enum task_phase { TP_WAIT_FLOCK, TP_RUNNING, TP_DONE };

struct sim_task {
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
	uint32_t next_pid;
	uint64_t boot_ms;
	uint64_t next_stats_ms;
	uint64_t rng;
	bool dirty;
	sim_clock_fn mono;
	sim_epoch_fn epoch;
	void *clock_ctx;
};

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
enum ptype { PT_INT, PT_NUM, PT_BOOL, PT_STR, PT_DNS, PT_ENUM, PT_VMID };
struct pdef {
	const char *name;
	enum ptype type;
	long long min, max;       /* INT/NUM range, STR max length (max) */
	const char *enums;        /* PT_ENUM: comma list */
};
const struct pdef *sim_conf_pdef(const char *key);
int sim_validate(json_object *p, const struct pdef *extra, bool conf_keys,
		 const char *const *required, struct sim_res *r);
bool sim_param_str(json_object *p, const char *k, const char **out);
bool sim_param_bool(json_object *p, const char *k, bool dflt);
long long sim_param_int(json_object *p, const char *k, long long dflt);
int sim_parse_vmid(const char *s);

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

/* sim_task.c */
struct sim_task *sim_task_start(struct sim *s, const char *node,
				const char *type, int id,
				const struct sim_call *c, json_object *args,
				int flock_vmid);
struct sim_task *sim_task_find(struct sim *s, const char *upid);
void task_log(struct sim_task *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool sim_flock_held(struct sim *s, int vmid);
unsigned sim_task_duration(struct sim *s, const char *type);

/* sim_lxc.c: what tasks do when they begin and end. Return 0 or fill err
 * (the exitstatus text) for a failure. */
int sim_task_begin(struct sim *s, struct sim_task *t, char *err, size_t len);
int sim_task_finish(struct sim *s, struct sim_task *t, char *err, size_t len);
/* Cleanup after a failure (begin or finish), e.g. delete a new config. */
void sim_task_failed(struct sim *s, struct sim_task *t);

#endif
