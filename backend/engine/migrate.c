/* Migration (issue 16.3): another node written into `node` of an existing
 * container moves it there with Proxmox's migrate (pve-container
 * API2/LXC.pm migrate_vm). A running container goes in restart mode (shut
 * down, moved, started again): containers have no live migration. A
 * refusal leaves it where it is, and drift then shows the entry's node
 * against the real one. */
#include "backend/engine/migrate.h"
#include "backend/engine/steps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A failed vzmigrate ends "migration aborted"; AbstractMigrate.pm logs the
 * reason first: "... ERROR: migration aborted (duration HH:MM:SS): WHY".
 * The last such reason, or the exit status when the log has none. When WHY
 * is LXC/Migrate.pm's "can't migrate CT - check log", the log's
 * "can't migrate local volume 'V': ..." lines (a linked clone or a
 * snapshot on local storage) are the reason and follow it. */
static void abort_reason(struct step *s, const char *upid, const char *exitstatus,
			 char *out, size_t len)
{
	static const char mark[] = "migration aborted (duration ";
	char **lines = NULL;
	size_t n = 0;
	struct phx_err err;

	snprintf(out, len, "%s", exitstatus);
	memset(&err, 0, sizeof(err));
	if (s->e->drv->ops->task_log(s->e->drv->ctx, upid, 0, &lines, &n, &err) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		const char *m = strstr(lines[i], mark), *why;
		if (m && (why = strstr(m, "): ")))
			snprintf(out, len, "%s", why + 3);
	}
	if (!strcmp(out, "can't migrate CT - check log")) {
		size_t used = strlen(out);
		for (size_t i = 0; i < n && used < len; i++) {
			const char *v = strstr(lines[i], "can't migrate local volume ");
			if (v)
				used += snprintf(out + used, len - used, ": %s", v);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

int step_migrate(struct step *s)
{
	const char *target = entry_str(s->entry, "node");
	char upid[PHX_UPID_MAX] = "", why[600], detail[PHX_NODE_MAX + 8], reason[600];
	char status[16] = "";
	struct phx_err err;
	unsigned tries = 0;
	bool running, ha = false;
	int rc;

	if (!target || !*target || !strcmp(target, s->node))
		return STEP_OK; /* where it should be (also after a restart) */
	if (!s->e->drv->ops->migrate)
		return step_fail(s, "cannot move %u to %s: the backend cannot migrate", s->ctid,
				 target);
	/* the live state, not the listing's: it decides restart mode */
	for (;;) {
		memset(&err, 0, sizeof(err));
		if (s->e->drv->ops->status_current(s->e->drv->ctx, s->node, s->ctid, status,
						   &ha, &err) == 0)
			break;
		if (!step_again(s, &err, &tries, "reading the run state", s->node, s->ctid))
			return step_stopping(s) ? STEP_STOPPED :
				step_fail(s, "migration of %u to %s failed: %s", s->ctid, target,
					  err.msg);
	}
	running = !strcmp(status, "running");
	step_note(s, "migrating %u from %s to %s%s", s->ctid, s->node, target,
		  running ? " (restart mode: it runs)" : "");
	tries = 0;
	for (;;) {
		memset(&err, 0, sizeof(err));
		rc = s->e->drv->ops->migrate(s->e->drv->ctx, s->node, s->ctid, target, running,
					     upid, &err);
		if (rc == 0 || !step_again(s, &err, &tries, "migrate", s->node, s->ctid))
			break;
	}
	if (rc < 0)
		return step_stopping(s) ? STEP_STOPPED :
			step_fail(s, "migration of %u to %s refused: %s", s->ctid, target, err.msg);
	snprintf(detail, sizeof(detail), "to %s", target);
	rc = step_wait_task(s, upid, ST_MIGRATING, detail, why, sizeof(why));
	if (rc == STEP_STOPPED)
		return rc;
	if (rc < 0) {
		abort_reason(s, upid, why, reason, sizeof(reason));
		return step_fail(s, "migration of %u to %s failed: %s (it stays on %s)", s->ctid,
				 target, reason, s->node);
	}
	snprintf(s->node, sizeof(s->node), "%s", target);
	step_facts(s, true, -2, running ? "running" : "stopped");
	step_note(s, "%u is on %s now", s->ctid, target);
	return STEP_OK;
}
