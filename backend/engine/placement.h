/* Placement: the node a container without `node` is created on. */
#ifndef PHX_ENGINE_PLACEMENT_H
#define PHX_ENGINE_PLACEMENT_H

#include "backend/driver.h"

#include <stddef.h>
#include <stdint.h>

/* Memory this mount has placed on a node that the listing does not count
 * yet: the node's mem counts running guests only, so a container being
 * created, made but not started yet, or started after the listing's
 * figures were taken, is held here from its placement until a listing
 * shows it running on that node (or it is no longer to run there). */
struct place_hold {
	uint32_t ctid;
	char node[PHX_NODE_MAX];
	uint64_t bytes;
};

/* Proxmox's default `memory` of a container (pve-container
 * src/PVE/LXC/Config.pm, confdesc memory: default 512) */
#define PLACE_DEFAULT_MEMORY_MB 512

/* Of the online nodes that have `storage` (NULL or "": any), the one with
 * the most free memory: maxmem - mem, less what holds[] keep on it. A tie
 * goes to the node with fewer holds, then to the first name in byte order,
 * so that a batch placed at once spreads. 0 with node and why ("most free
 * memory: ...") filled, or -1 with why saying why none fits. */
int placement_pick(const struct phx_node_load_list *l, const struct place_hold *holds,
		   size_t nholds, const char *storage, char *node, size_t nlen,
		   char *why, size_t wlen);

/* Whether the listing shows ctid running on node: its memory is then in
 * the node's mem, and a hold for it would count it twice. */
bool placement_listed_running(const struct phx_node_load_list *l, uint32_t ctid,
			      const char *node);

struct step;
/* choose s->node by placement_pick from the driver's node_loads and the
 * mount's holds, with the engine's retries, and hold the entry's memory
 * on it; a step result (STEP_OK, STEP_FAILED, STEP_STOPPED) */
int step_place(struct step *s);

#endif
