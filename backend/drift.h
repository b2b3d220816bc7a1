/* Drift: where a container on Proxmox differs from its entry, as far as the
 * one cluster listing (GET /cluster/resources) shows it — memory, cores,
 * root disk size, hostname, node, template flag, whether it runs, whether
 * it exists at all. Changes made in the GUI or with pct show up here
 * within one refresh, with no request per container.
 *
 * The listing's sizes and names come from statistics that lag a write by
 * up to ~10 s; the caller passes only attributes whose last change by us
 * is older than the listing (see engine.md), so a change we just made is
 * not reported as drift. Pure: no locks, no I/O. */
#ifndef PHX_DRIFT_H
#define PHX_DRIFT_H

#include "backend/driver.h"
#include "backend/strbuf.h"

#include <json-c/json.h>
#include <stdbool.h>

struct phx_drift_want {
	bool exists;      /* the container was built or seen: it should be there */
	bool running;     /* the engine's intent: started (not stopped by ctl) */
	const char *node; /* the node it should be on, NULL: any */
};

/* Append one line per differing attribute to out:
 *   "memory_mb file=4096 proxmox=2048\n"
 * and return how many there were (0: none). `guest` is NULL when the
 * listing does not have the container. `skip` names attribute files not
 * to compare (changed by us after the listing was taken), NULL-terminated
 * or NULL. */
int phx_drift(json_object *entry, const struct phx_guest *guest,
	      const struct phx_drift_want *want, const char *const *skip, struct strbuf *out);

#endif
