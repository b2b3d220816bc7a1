/* What a job's steps share: the container being worked on, and the careful
 * client's habits around every driver call (retry what is transient, wait
 * out locks, follow tasks to their end, show progress and log it). Used by
 * workers without e->lock held. */
#ifndef PHX_ENGINE_STEPS_H
#define PHX_ENGINE_STEPS_H

#include "backend/engine/engine_int.h"

#include <json-c/json.h>

struct step {
	struct phx_engine *e;
	uint32_t ctid;
	char node[PHX_NODE_MAX]; /* where the container is (or will be) */
	json_object *entry;      /* private copy of its doc entry, or NULL */
	/* the last call got no answer at all (connection refused, timeout,
	 * dropped): a failure now is the backend being away, not a refusal */
	bool unanswered;
	char unanswered_msg[256];
};

/* How a step ended. */
#define STEP_OK 0
#define STEP_FAILED (-1)  /* recorded with step_fail */
#define STEP_STOPPED 1    /* the engine is stopping, or the backend is away:
			     plan the job again (resumed next start) */

void step_note(struct step *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void step_show(struct step *s, enum ct_state st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Record the failure (short reason = the first 200 characters). When the
 * backend stopped answering, the job is not failed: it goes back to the
 * queue, which waits until a listing succeeds again (STEP_STOPPED). */
int step_fail(struct step *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool step_stopping(struct step *s);
/* Sleep up to ms; false when the engine is stopping. */
bool step_nap(struct step *s, unsigned ms);

/* After a failed call: whether to try again. This is phoenixfs's one retry
 * policy: the driver makes one attempt per call (fs/main.c asks it for
 * retries = 1), and every call the engine makes goes through here.
 * Transient errors are retried with backoff (STEP_TRANSIENT_TRIES attempts
 * in all, 200 ms doubling); a lock is waited out by polling the locked
 * container's config (bounded). *tries counts attempts. lock_vmid is the
 * container whose lock would be reported. */
#define STEP_TRANSIENT_TRIES 5
bool step_again(struct step *s, const struct phx_err *err, unsigned *tries,
		const char *what, const char *lock_node, uint32_t lock_vmid);

/* get_config with retries; NOTFOUND is returned as -1 with err kind set. */
int step_get_config(struct step *s, const char *node, uint32_t vmid,
		    json_object **cfg, struct phx_err *err);

/* Follow a task to its end, showing st with "detail (UPID)" and copying
 * its log lines into the container's log. 0 success, -1 failed (why =
 * exitstatus), STEP_STOPPED. */
int step_wait_task(struct step *s, const char *upid, enum ct_state st,
		   const char *detail, char *why, size_t whylen);

/* What we now know for sure about the container (from a finished task and
 * its own config): the listing's lagging fields are ignored for a while. */
void step_facts(struct step *s, bool exists, int template_, const char *status);

/* Config helpers. */
bool cfg_int(json_object *cfg, const char *key, long long *out);
const char *cfg_str(json_object *cfg, const char *key);

/* Entry helpers (NULL-safe). */
bool entry_int(json_object *entry, const char *key, long long *out);
bool entry_bool(json_object *entry, const char *key, bool *out);
const char *entry_str(json_object *entry, const char *key);

#endif
