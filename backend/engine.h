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

struct phx_engine_cfg {
	struct phx_doc *doc;
	struct phx_driver *driver; /* NULL: offline, every build fails with
				      "no backend configured" */
	const char *default_node;  /* pve_node, or NULL: the only node */
	unsigned jobs;             /* backend operations in flight at most */
	unsigned refresh_ms;       /* backend re-read period */
	const char *journal_path;  /* durable record of accepted requests */
};

int phx_engine_start(struct phx_engine **out, const struct phx_engine_cfg *cfg,
		     char *err, size_t errlen);
/* Waits for in-flight backend calls to reach a safe point, then frees. */
void phx_engine_stop(struct phx_engine *e);
/* Would phx_engine_start accept this journal? 0, or -EINVAL with why. */
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

/* Backend facts from the last refresh. */
bool phx_engine_exists(struct phx_engine *e, uint32_t ctid);
bool phx_engine_is_template(struct phx_engine *e, uint32_t ctid);
/* CTIDs of every guest the backend has (sorted, malloc'd). */
size_t phx_engine_backend_ctids(struct phx_engine *e, uint32_t **out);

/* --- what writes ask for --- */

/* A write through the mount was committed to the doc. key is the entry key
 * that changed (e.g. "clone_from_ctid", "memory_mb"), or NULL when the whole
 * entry was replaced (config.json). The engine decides what that asks for:
 * a build, a conversion, an attribute change on an existing container. */
void phx_engine_changed(struct phx_engine *e, uint32_t ctid, const char *key);

/* A ctl command: create, start, stop, restart, retry, destroy, refresh.
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
