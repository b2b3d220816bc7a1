/* The engine's insides, shared by its files and by nothing else.
 *
 * Locking: one mutex (e->lock) guards every record, the run queue and the
 * backend list. It is held only for bookkeeping, never across a driver call,
 * a file write or a doc lock: the doc is read before e->lock is taken
 * (planner.c gathers what it needs first), so the order is always
 * doc -> engine. Changes reach the engine through the document's change
 * feed, delivered after the document's locks (and the file's flock) are
 * released; nothing calls into the engine while it holds one. */
#ifndef PHX_ENGINE_INT_H
#define PHX_ENGINE_INT_H

#include "backend/driver.h"
#include "backend/engine.h"
#include "backend/engine/ctlog.h"
#include "backend/events.h"
#include "backend/metrics.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

struct place_hold;

enum ct_state {
	ST_ABSENT,
	ST_QUEUED,
	ST_CREATING,
	ST_CLONING,
	ST_CONFIGURING,
	ST_STARTING,
	ST_STOPPING,
	ST_CONVERTING,
	ST_DESTROYING,
	ST_STOPPED,
	ST_RUNNING,
	ST_TEMPLATE,
	ST_FAILED,
	ST_MIGRATING,
};
const char *ct_state_name(enum ct_state s);

/* What has been asked of a container and is not done yet. */
enum ct_want {
	W_BUILD = 1u << 0,   /* make it exist (create or clone), then finish it */
	W_CONVERT = 1u << 1, /* make it a template */
	W_CONFIG = 1u << 2,  /* PUT the attributes in cfg_keys */
	W_START = 1u << 3,
	W_STOP = 1u << 4,
	W_RESTART = 1u << 5,
	W_DESTROY = 1u << 6,
	W_SNAP = 1u << 7,    /* take its template_snapshot_name if missing: a
				clone waits for it */
	W_HOOKS = 1u << 8,   /* run the feature hooks in hooks_pending */
	W_MIGRATE = 1u << 9, /* move it to the node its entry names */
};
#define W_ALL 0x3ffu
/* Wants whose result other containers may be waiting for. */
#define W_PROVIDES (W_BUILD | W_CONVERT | W_SNAP)

/* The stages of a build after create or clone (docs/lxc-manager.md) that
 * are not repeated when a failed build is resumed (feature hooks are kept
 * one by one in features_done; the template snapshot is looked for). */
enum build_stage {
	BS_PRECONF = 1u << 0,   /* the pre-configured snapshot */
	BS_APP = 1u << 1,       /* the application script */
};

/* cfg_keys below: a set of schema rows (phx_attr_bit), the attributes a
 * PUT config is to carry to an existing container. */

struct ct_rec {
	uint32_t ctid;
	struct ct_rec *hnext;  /* hash chain */
	struct ct_rec *qnext;  /* run queue */

	/* Backend facts. Listing facts that lag (status, template) are not
	 * taken from /cluster/resources while facts_pinned_until is in the
	 * future: we just learned better from a task and the config. */
	bool exists;
	char node[PHX_NODE_MAX];
	char status[16];
	int template_;          /* 1, 0, -1 unknown */
	char lock[32];
	double facts_pinned_until;
	double op_ended_at;     /* a listing begun before this is stale for us */

	/* Work. */
	unsigned wants;
	unsigned cfg_keys;      /* schema rows to PUT (phx_attr_bit) */
	unsigned doing;         /* the wants a worker is carrying out now */
	unsigned doing_keys;
	unsigned failed_wants;  /* what `retry` re-asks */
	bool resume_build;      /* W_BUILD came back from the journal: a build of
				   ours that may have stopped half-way, so an
				   existing container is finished (configured,
				   converted or started), not just taken as is */
	unsigned build_done;    /* enum build_stage: what a build that failed
				   part-way already did (retry goes on after) */
	char features_done[512];/* feature hooks run for it by this mount */
	char hooks_pending[512];/* features added to its list: W_HOOKS runs them */
	char has_snap[48];      /* its template snapshot, known to exist */
	char waiting_snap[48];  /* with waiting_for: the snapshot of that source
				   it waits for */
	bool waiting_dep;       /* with waiting_for: a dependency, released as
				   soon as it runs (not when its job ends) */
	bool queued;            /* in the run queue */
	bool running;           /* a worker has it */
	bool clone_busy;        /* a clone from this CT is running */
	uint32_t clone_holder;  /* ... into this CT: only it releases the source */
	uint32_t clone_src;     /* set while queued: the clone it will do */
	uint32_t waiting_for;   /* a source it waits for, 0 none */
	/* (the three above change only through rec_link) */
	unsigned linked;        /* other records' clone_holder, clone_src and
				   waiting_for that name this CT */
	uint32_t *waiters;      /* CTs waiting for this one */
	size_t nwaiters, capwaiters;

	/* What the files show. */
	enum ct_state op;       /* ST_ABSENT when no operation of ours */
	char detail[320];
	bool failed;
	char reason[512];       /* short reason, after "failed: " */
	char *error;            /* full text */
	struct ctlog log;
	uint64_t version;

	/* observe.c / reconcile.c: what the events, metrics and drift files
	 * are made of. */
	char shown_word[16];    /* the status word last posted as an event */
	bool build_counted;     /* a build of it was counted as started */
	struct phx_guest row;   /* its row in the last listing that had it */
	bool row_valid;         /* the last listing had it */
	bool seen;              /* it should exist: built by us or seen listed,
				   and not destroyed by us since */
	bool hold_stopped;      /* `ctl stop` asked it to stay stopped */
	unsigned missing;       /* consecutive listings with no guest of its id */
	double ours_at[8];      /* when our last job changed each drift
				   attribute (reconcile.c's drift_attrs) */
	char *drift;            /* the drift lines of the last listing, NULL none */

	/* mounts.c: another mount of the config holds its work lock */
	bool deferred;          /* its wants are left to that mount: those read
				   from the file are dropped when it lets go,
				   all taken over when it expires */
	bool remote_held;       /* the lock is held (not expired) by another mount */
	bool lock_lost;         /* our lock was taken over: the job stops */
	char remote_status[320];/* what the holder published (or left, failed) */
	unsigned private_wants; /* wants not read from the file (ctl, drift put
				   back, the journal, retry): the other mounts
				   do not know them, so they are never left
				   as done by another mount */
	unsigned private_keys;
	char *applied;          /* the drift reconcile=apply last put back */
};

struct phx_engine {
	struct phx_doc *doc;
	/* told of every rec_touch, e->lock held (phx_engine_on_change) */
	void (*on_change)(void *arg, uint32_t ctid);
	void *on_change_arg;
	bool subscribed;        /* to doc's change feed */
	struct phx_driver *drv; /* NULL offline */
	char *default_node;
	unsigned jobs;
	unsigned refresh_ms;
	char *journal_path;
	/* hooks and raw config lines (phx_engine_cfg) */
	char *feature_dir, *app_script_dir, *config_path, *mountpoint, *pve_conf_dir;
	unsigned hook_timeout_ms;
	int stop_pipe[2];         /* written at stop: ends running hooks */

	pthread_mutex_t lock;
	pthread_cond_t changed;   /* a record changed: waiters of wait() */
	pthread_cond_t work;      /* the run queue or a busy flag changed */
	pthread_cond_t refresh;   /* the refresher's sleep */

	struct ct_rec **buckets;
	size_t nbuckets, nrecs;

	struct ct_rec *qhead, *qtail;

	uint32_t *backend_ids;    /* sorted */
	size_t nbackend;
	bool refreshed_once;
	bool refresh_now;
	char refresh_problem[512];
	bool refresh_fatal;       /* the backend refuses us (TLS, token): no
				     request can get through until remounted */
	uint64_t refresh_count;

	bool stopping;
	pthread_t *workers;
	unsigned nworkers;
	bool refresher_started;
	pthread_t refresher;

	/* observe.c: the mount's event stream and counters; every driver call
	 * goes through `metered`, which counts and times it before calling
	 * the real driver (real_drv). */
	struct phx_events *events;
	struct phx_metrics *metrics;
	struct phx_driver metered;
	struct phx_driver_ops metered_ops;
	struct phx_driver *real_drv;
	bool quiet_states;        /* the first listing: learning, not changes */
	enum phx_reconcile reconcile;

	/* placement.c: memory placed by this mount that the listing does
	 * not count yet; listings fetched for placement and the newest used */
	struct place_hold *holds;
	size_t nholds, capholds;
	uint64_t place_fetched, place_applied;

	/* journal.c */
	pthread_mutex_t journal_lock;
	uint64_t journal_seq;     /* bumped under e->lock when intents change */
	uint64_t journal_written; /* under journal_lock */
	int journal_lockfd;       /* flock held while we run: the journal is
				     ours (valid when journal_locked) */
	bool journal_locked;

	/* mounts.c: work locks shared with the other mounts of the config */
	char *lock_dir;           /* NULL: no locks (one mount, tests) */
	unsigned lock_expiry_s;
	bool lock_pmxcfs;
	char holder_id[160];      /* host:pid, written beside each lock */
	pthread_mutex_t locks_mu; /* the held locks; never taken with e->lock
				     held, never by a FUSE operation */
	struct held_lock *held;
	size_t nheld, capheld;
	bool peers_seen;          /* another mount's lock was seen: check the
				     backend before building */
	bool renewer_started;
	pthread_t renewer;
};

/* --- records.c (call with e->lock held) --- */
struct ct_rec *rec_find(struct phx_engine *e, uint32_t ctid);
struct ct_rec *rec_get(struct phx_engine *e, uint32_t ctid); /* NULL: no memory */
void rec_free_all(struct phx_engine *e);
/* Free the record of ctid when nothing needs it any more (no container,
 * no work, no one waiting on it or for it): an entry removed for good.
 * e->lock held. Returns whether it was freed. */
bool rec_forget(struct phx_engine *e, uint32_t ctid);
/* Set from's clone_holder, clone_src or waiting_for (*link) to ctid (0:
 * none), keeping the count of links into each record that rec_forget
 * reads. e->lock held. */
void rec_link(struct phx_engine *e, struct ct_rec *from, uint32_t *link, uint32_t ctid);
void rec_touch(struct phx_engine *e, struct ct_rec *r); /* version++ and wake */
void rec_note(struct phx_engine *e, struct ct_rec *r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void rec_vnote(struct phx_engine *e, struct ct_rec *r, const char *fmt, va_list ap);
void rec_set_op(struct phx_engine *e, struct ct_rec *r, enum ct_state op,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Record a failure: status "failed: reason", error = full (reason when
 * NULL), a log line. Clears wants; dependents are failed by the caller. */
void rec_fail(struct phx_engine *e, struct ct_rec *r, const char *reason,
	      const char *full);
void rec_clear_failure(struct phx_engine *e, struct ct_rec *r);
/* The status line shown for the record. */
void rec_status(const struct ct_rec *r, char *buf, size_t len);
bool rec_settled(const struct ct_rec *r);
int rec_add_waiter(struct ct_rec *src, uint32_t ctid);
void rec_del_waiter(struct ct_rec *src, uint32_t ctid);

/* --- planner.c --- */
/* Decide what ctid's wants need: run now, wait for a source (asking for
 * the source to be built or converted, recursively), or fail. Takes the
 * doc read lock, then e->lock; call with neither held. */
int plan_ctid(struct phx_engine *e, uint32_t ctid); /* journal_sync's result */
/* After src's job ended: re-plan its waiters on success, fail them (and
 * theirs) on failure. Call with e->lock held; returns the CTIDs to
 * re-plan (malloc'd) since planning needs the doc. */
size_t release_waiters(struct phx_engine *e, struct ct_rec *src, bool ok,
		       uint32_t **replan);
/* ctid has just started: plan again whoever waits for it as a dependency.
 * Call with e->lock NOT held. */
void wake_dependents(struct phx_engine *e, uint32_t ctid);
/* Whether every dependency of entry that is in the file runs (doc read
 * lock, then e->lock; call with neither held). */
bool deps_running(struct phx_engine *e, uint32_t ctid);
/* Put a record on the run queue (e->lock held). */
void enqueue(struct phx_engine *e, struct ct_rec *r);

/* --- worker.c --- */
int workers_start(struct phx_engine *e, char *err, size_t errlen);
void workers_stop(struct phx_engine *e);

/* --- build.c: one job on one container, run by a worker without e->lock --- */
struct job {
	uint32_t ctid;
	unsigned wants;
	unsigned cfg_keys;
	unsigned doing;         /* the wants a worker is carrying out now */
	unsigned doing_keys;
	uint32_t clone_src;
	/* mounts.c: every want of the job was read from the file, which every
	 * mount reads: another mount may have done it already for the entry
	 * as it is */
	bool from_file_only;
	bool skipped;           /* it had: nothing was done */
	uint64_t entry_hash;    /* of the entry the job worked from */
};
/* 0 done, -1 failed (recorded), 1 must be planned again. */
int job_run(struct phx_engine *e, struct job *j);

/* --- refresh.c --- */
int refresher_start(struct phx_engine *e, char *err, size_t errlen);
void refresher_stop(struct phx_engine *e);
/* One listing now (the refresher's body; also used at start). */
int refresh_once(struct phx_engine *e);

/* --- journal.c --- */
/* Lock our journal, load the intents recorded by an earlier run (wants per
 * CTID), and take over the journals of mounts of the same config that are
 * not running. */
int journal_load(struct phx_engine *e, char *err, size_t errlen);
/* Let go of the journal's lock (at stop): another mount may take it over. */
void journal_release(struct phx_engine *e);
/* Write the current intents if they changed since the last write. Call
 * with e->lock NOT held; returns 0 or a negative errno (logged). */
int journal_sync(struct phx_engine *e);
/* Mark the intents changed (e->lock held). */
static inline void journal_dirty(struct phx_engine *e) { e->journal_seq++; }

/* --- observe.c: events and metrics --- */
int observe_start(struct phx_engine *e, char *err, size_t errlen);
void observe_stop(struct phx_engine *e);
/* Post one line to the events file and count it. */
void eng_event(struct phx_engine *e, uint32_t ctid, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Called by rec_touch: post a `state` event when the status word changed. */
void observe_state(struct phx_engine *e, struct ct_rec *r);
/* A job was taken / ended (e->lock held): builds counted, what the job
 * changed remembered for drift. */
void observe_job_start(struct phx_engine *e, struct ct_rec *r, const struct job *j);
void observe_job_end(struct phx_engine *e, struct ct_rec *r, const struct job *j, int rc);
/* A feature or application script ran (for build steps that run hooks):
 * its time and whether it succeeded, in the metrics. Any thread, no lock. */
void eng_observe_hook(struct phx_engine *e, double seconds, bool ok);

/* --- reconcile.c: drift --- */
/* After a listing folded into the records (no lock held): recompute each
 * container's drift, post what appeared or went, and with reconcile=apply
 * put it back. `asked` is when the listing was asked for. */
void reconcile_after_listing(struct phx_engine *e, double asked);
/* A job of ours changed these (wants, schema rows) at `now`: left out of
 * the drift until a listing agrees (e->lock held). */
void reconcile_mark_ours(struct ct_rec *r, unsigned wants, unsigned cfg_keys, double now);
/* `echo apply > ctl`: put ctid's drift back once. */
int reconcile_apply_ctl(struct phx_engine *e, uint32_t ctid, char *err, size_t errlen);

/* --- mounts.c: work locks between the mounts of one config --- */
/* Find the lock directory (made if missing) and start the renewer. */
int mounts_start(struct phx_engine *e, const char *lock_dir, unsigned expiry_s,
		 char *err, size_t errlen);
void mounts_stop(struct phx_engine *e);
/* Before a job: take ctid's lock (no lock held). 1 taken (*stolen: from an
 * expired holder), 0 another mount holds it (the record is deferred). */
int mounts_take(struct phx_engine *e, uint32_t ctid, bool *stolen);
/* After the job (no lock held): let go, leaving the failure for the
 * other mounts to show when it failed. */
void mounts_release(struct phx_engine *e, const struct job *j, int rc);
/* Whether another mount finished this very job (the same wants, for the
 * entry as it is now) since: it is then not done again (no lock held). */
bool mounts_done_elsewhere(struct phx_engine *e, const struct job *j);
uint64_t mounts_entry_hash(json_object *entry);
/* The other mounts' locks, looked at before a listing; applied after it
 * (so that the listing already shows what a holder that let go made). */
struct mounts_scan;
struct mounts_scan *mounts_scan(struct phx_engine *e);
void mounts_apply(struct phx_engine *e, struct mounts_scan *sc);
/* Whether the backend must be asked before building ctid (no lock held). */
void mounts_check_backend(struct phx_engine *e, uint32_t ctid);

/* engine.c: ask for work on ctid (journalled, then planned). */
int eng_request(struct phx_engine *e, uint32_t ctid, unsigned wants, unsigned cfg_keys,
		const char *why);
/* Whether ctid's entry names what to build it from (takes the doc lock). */
bool eng_entry_buildable(struct phx_engine *e, uint32_t ctid);

/* --- time --- */
double now_mono(void);

#endif
