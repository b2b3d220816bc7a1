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

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

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
};
#define W_ALL 0x7fu
/* Wants whose result other containers may be waiting for. */
#define W_PROVIDES (W_BUILD | W_CONVERT)

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
	bool queued;            /* in the run queue */
	bool running;           /* a worker has it */
	bool clone_busy;        /* a clone from this CT is running */
	uint32_t clone_holder;  /* ... into this CT: only it releases the source */
	uint32_t clone_src;     /* set while queued: the clone it will do */
	uint32_t waiting_for;   /* a source it waits for, 0 none */
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
};

struct phx_engine {
	struct phx_doc *doc;
	bool subscribed;        /* to doc's change feed */
	struct phx_driver *drv; /* NULL offline */
	char *default_node;
	unsigned jobs;
	unsigned refresh_ms;
	char *journal_path;

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

	/* journal.c */
	pthread_mutex_t journal_lock;
	uint64_t journal_seq;     /* bumped under e->lock when intents change */
	uint64_t journal_written; /* under journal_lock */

	/* observe_api.c (a stand-in until branch observe lands): made once
	 * under lock, then fixed */
	struct phx_events *obs_events;
	struct phx_metrics *obs_metrics;
	bool obs_subscribed;
};

/* --- observe_api.c --- */
void observe_stop(struct phx_engine *e); /* before the workers stop */
void observe_free(struct phx_engine *e);

/* --- records.c (call with e->lock held) --- */
struct ct_rec *rec_find(struct phx_engine *e, uint32_t ctid);
struct ct_rec *rec_get(struct phx_engine *e, uint32_t ctid); /* NULL: no memory */
void rec_free_all(struct phx_engine *e);
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
};
/* 0 done, -1 failed (recorded), 1 must be planned again. */
int job_run(struct phx_engine *e, struct job *j);

/* --- refresh.c --- */
int refresher_start(struct phx_engine *e, char *err, size_t errlen);
void refresher_stop(struct phx_engine *e);
/* One listing now (the refresher's body; also used at start). */
int refresh_once(struct phx_engine *e);

/* --- journal.c --- */
/* Load the intents recorded by an earlier run: wants per CTID. */
int journal_load(struct phx_engine *e, char *err, size_t errlen);
/* Write the current intents if they changed since the last write. Call
 * with e->lock NOT held; returns 0 or a negative errno (logged). */
int journal_sync(struct phx_engine *e);
/* Mark the intents changed (e->lock held). */
static inline void journal_dirty(struct phx_engine *e) { e->journal_seq++; }

/* --- time --- */
double now_mono(void);

#endif
