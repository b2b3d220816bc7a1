/* The engine: turns the difference between the desired state (the doc) and
 * the backend state into operations, runs them on workers, and keeps the
 * per-container state, error and log that the files render.
 *
 * The FUSE side calls only these functions; none of them makes an HTTP
 * request or waits on the backend (except phx_engine_wait, which only
 * sleeps on the engine's own condition). */
#ifndef PHX_ENGINE_H
#define PHX_ENGINE_H

#include "backend/doc.h"
#include "backend/driver.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct phx_engine;
struct phx_events;
struct phx_metrics;

/* What the engine does about drift (a container on Proxmox that differs
 * from its entry, changed by someone else): report it in the `drift` file,
 * the log and the events, or also put the entry's values back. */
enum phx_reconcile {
	PHX_RECONCILE_REPORT = 0,
	PHX_RECONCILE_APPLY,
};

struct phx_engine_cfg {
	struct phx_doc *doc;
	struct phx_driver *driver; /* NULL: offline, every build fails with
				      "no backend configured" */
	const char *default_node;  /* pve_node, or NULL: the only node */
	unsigned jobs;             /* backend operations in flight at most */
	unsigned refresh_ms;       /* backend re-read period */
	const char *journal_path;  /* durable record of accepted requests */
	enum phx_reconcile reconcile; /* the mount's reconcile= option */
	/* Host hooks (backend/hook.h), run by engine workers: a feature's
	 * command is FEATURE_DIR/phoenix_hypervisor_feature_install_<f>.sh
	 * CTID [bootstrap_ca_url], the origin's bin/lxc_setup/ layout; an
	 * application script is APP_SCRIPT_DIR/<application_script> CTID.
	 * NULL: the step is skipped and the log says so. */
	const char *feature_dir;
	const char *app_script_dir;
	unsigned hook_timeout_ms;  /* 0: no limit */
	const char *config_path;   /* PHOENIX_CONFIG for hooks */
	const char *mountpoint;    /* PHOENIX_MOUNT for hooks */
	/* Where the node keeps CTID.conf (/etc/pve/lxc): the keys an API
	 * token cannot set are merged into it before start. NULL: they are
	 * named in the log as not applied. */
	const char *pve_conf_dir;
	/* Work locks shared by the mounts of one config (engine/mounts.c):
	 * the directory (NULL: beside config_path, .NAME.phoenixfs-locks;
	 * no locks when both are NULL) and their expiry (0: 120 s). */
	const char *lock_dir;
	unsigned lock_expiry_s;
};

int phx_engine_start(struct phx_engine **out, const struct phx_engine_cfg *cfg,
		     char *err, size_t errlen);
/* Waits for in-flight backend calls to reach a safe point, then frees. */
void phx_engine_stop(struct phx_engine *e);
/* The journal of the mount of config on mountpoint: beside the config,
 * named by host and mount point, so that every mount of one config keeps
 * its own (journal.c). NULL mountpoint: the one name of a single user
 * (tests). malloc'd; NULL when out of memory. */
char *phx_engine_journal_for_mount(const char *config, const char *mountpoint);
/* Would phx_engine_start accept this journal, and the journals of stopped
 * mounts of the same config that it would take over? 0, or -EINVAL with
 * why. */
int phx_engine_journal_check(const char *path, char *err, size_t errlen);

/* --- what the files render (no backend access, cheap) --- */

/* "STATE" or "STATE: detail", no newline. */
void phx_engine_status(struct phx_engine *e, uint32_t ctid, char *buf, size_t len);
/* Full text of the last failure, "" when none. malloc'd. */
char *phx_engine_error(struct phx_engine *e, uint32_t ctid);
/* Timestamped history, one line each, newline-terminated. malloc'd. */
char *phx_engine_log(struct phx_engine *e, uint32_t ctid);
/* A number that changes whenever status/error/log of ctid change (for
 * mtime, poll and cache invalidation). */
uint64_t phx_engine_version(struct phx_engine *e, uint32_t ctid);
/* fn is told the CTID each time its version changes, with the engine's lock
 * held: it must only take locks of its own that are never held while
 * calling into the engine, and must not block (fs/pcache.c queues the
 * kernel's invalidation). fn NULL: no longer. */
void phx_engine_on_change(struct phx_engine *e, void (*fn)(void *arg, uint32_t ctid),
			  void *arg);

/* The mount's event stream (the root `events` file): lines
 * "TIME CTID WHAT DETAIL" for state changes, applied edits, refused
 * writes, drift found and gone, builds started, done and failed. Owned by
 * the engine, closed when it stops. */
struct phx_events *phx_engine_events(struct phx_engine *e);
/* The mount's counters and histograms (the root `metrics` file). */
struct phx_metrics *phx_engine_metrics(struct phx_engine *e);
/* Where ctid on Proxmox differs from its entry, as of the last listing:
 * "KEY file=X proxmox=Y\n" lines (see docs/files.md), "" when none, NULL
 * when out of memory. malloc'd. Takes the document's read lock: not to be
 * called while holding it. */
char *phx_engine_drift(struct phx_engine *e, uint32_t ctid);

/* Backend facts from the last refresh. */
bool phx_engine_exists(struct phx_engine *e, uint32_t ctid);
bool phx_engine_is_template(struct phx_engine *e, uint32_t ctid);
/* CTIDs of every guest the backend has (sorted, malloc'd). */
size_t phx_engine_backend_ctids(struct phx_engine *e, uint32_t **out);

/* --- what writes ask for ---
 *
 * The engine subscribes to the document's change feed (phx_doc_subscribe)
 * when it starts: every committed change, written through the mount or by
 * another program, reaches it the same way, after the document's locks are
 * released. Nothing else tells it about changes. What a change asks for is
 * read from the schema table: a build of a container that does not exist
 * (a row that builds, or a new entry that names what to build from), an
 * attribute set on an existing one (live, or stored for the next start),
 * a conversion (is_template). */

/* As if the feed had published a change of key (NULL: of every key, as
 * when a whole entry is replaced) of ctid: for the engine's own tests. */
void phx_engine_changed(struct phx_engine *e, uint32_t ctid, const char *key);

/* A write through the mount stored the value the file already had (so the
 * feed publishes nothing) in a row that asks for a build: the writer asks
 * for the container to exist. It is built when it does not exist and no
 * work for it is under way; otherwise nothing happens. Called after the
 * write's locks are released. */
struct phx_attr;
void phx_engine_rewritten(struct phx_engine *e, uint32_t ctid, const struct phx_attr *a);

/* The backend facts a write is checked against, taken before the write
 * takes the document's lock (so that the check never calls into the
 * engine while that lock is held). */
struct phx_engine_facts {
	uint32_t *exists;    /* sorted */
	size_t nexists;
	uint32_t *templates; /* sorted */
	size_t ntemplates;
};
/* A snapshot; NULL when out of memory. Free with phx_engine_facts_free. */
struct phx_engine_facts *phx_engine_facts(struct phx_engine *e);
void phx_engine_facts_free(struct phx_engine_facts *f);
bool phx_facts_exists(const struct phx_engine_facts *f, uint32_t ctid);
/* For phx_chain_check: arg is a struct phx_engine_facts. */
bool phx_facts_has(void *facts, uint32_t ctid);
/* The template rules, in one place: a container that is a template on the
 * backend cannot be turned back, so a change that takes is_template away
 * from its entry is refused (-EPERM, err says why). old_entry and
 * new_entry may be NULL. */
int phx_engine_check_edit(const struct phx_engine_facts *f, uint32_t ctid,
			  bool old_wants_template, bool new_wants_template,
			  char *err, size_t errlen);

/* A ctl command: create, start, stop, restart, retry, destroy, refresh,
 * apply (put the container's drift back once).
 * Returns 0 once accepted (the work runs later), -EINVAL for an unknown
 * command, other negative errnos for commands refused outright; err says
 * why. */
int phx_engine_ctl(struct phx_engine *e, uint32_t ctid, const char *cmd,
		   char *err, size_t errlen);

/* Record a refused write for the container's error and log files. */
void phx_engine_refused(struct phx_engine *e, uint32_t ctid, const char *msg);
/* Add a line to the container's log (e.g. "memory_mb set to 2048"). */
void phx_engine_note(struct phx_engine *e, uint32_t ctid, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* --- wait --- */

/* True when the container is settled (not queued or in an operation);
 * fills its status line and whether it is failed. */
bool phx_engine_settled(struct phx_engine *e, uint32_t ctid, char *status,
			size_t len, bool *failed);
/* True while the container has work asked for or in flight (queued,
 * waiting for a source, an operation running): not settled. */
bool phx_engine_busy(struct phx_engine *e, uint32_t ctid);
/* Block until settled, until interrupted() says stop (checked at least
 * every 100 ms) or until the engine stops. Returns 0 settled ok, -EIO
 * settled failed, -EINTR interrupted or stopping. */
int phx_engine_wait(struct phx_engine *e, uint32_t ctid, bool (*interrupted)(void),
		    char *status, size_t len);

#endif
