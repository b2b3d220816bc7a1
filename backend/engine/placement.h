/* Placement: the node a container without `node` is created on. */
#ifndef PHX_ENGINE_PLACEMENT_H
#define PHX_ENGINE_PLACEMENT_H

#include "backend/driver.h"

#include <stddef.h>

/* Of the online nodes that have `storage` (NULL or "": any), the one with
 * the most free memory (maxmem - mem; a tie goes to the first listed).
 * 0 with node and why ("most free memory: ...") filled, or -1 with why
 * saying why none fits. */
int placement_pick(const struct phx_node_load_list *l, const char *storage,
		   char *node, size_t nlen, char *why, size_t wlen);

struct step;
/* choose s->node by placement_pick from the driver's node_loads, with the
 * engine's retries; a step result (STEP_OK, STEP_FAILED, STEP_STOPPED) */
int step_place(struct step *s);

#endif
