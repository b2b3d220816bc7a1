/* Placement (issue 16.2): a container whose entry names no node (and no
 * pve_node= default) goes, in a cluster of several nodes, to the online
 * node with the most free memory among those that have the storage its
 * rootfs needs, read from one /cluster/resources listing. A clone is not
 * placed: it goes to its source's node (build.c), which for a linked clone
 * is the template's, as Proxmox requires. */
#include "backend/engine/placement.h"
#include "backend/engine/steps.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool has_storage(const struct phx_node_load *n, const char *sid)
{
	size_t l = strlen(sid);
	const char *p = n->storages;

	while (*p) {
		size_t run = strcspn(p, ",");
		if (run == l && !strncmp(p, sid, l))
			return true;
		p += run;
		if (*p == ',')
			p++;
	}
	return false;
}

static double gib(uint64_t b)
{
	return (double)b / (1024.0 * 1024 * 1024);
}

static uint64_t free_mem(const struct phx_node_load *n)
{
	return n->maxmem > n->mem ? n->maxmem - n->mem : 0;
}

int placement_pick(const struct phx_node_load_list *l, const char *storage,
		   char *node, size_t nlen, char *why, size_t wlen)
{
	const struct phx_node_load *best = NULL;
	char others[400] = "";
	size_t used = 0;
	bool any = storage && *storage;

	for (size_t i = 0; i < l->n; i++) {
		const struct phx_node_load *n = &l->v[i];
		if (!n->online || !n->maxmem || (any && !has_storage(n, storage)))
			continue;
		if (!best || free_mem(n) > free_mem(best))
			best = n;
	}
	if (!best) {
		snprintf(why, wlen, "no online node%s%s%s reports its memory (%zu node%s listed)",
			 any ? " with storage '" : "", any ? storage : "", any ? "'" : "",
			 l->n, l->n == 1 ? "" : "s");
		return -1;
	}
	/* why: the others, each with its free memory or why it was left out */
	for (size_t i = 0; i < l->n && used < sizeof(others); i++) {
		const struct phx_node_load *n = &l->v[i];
		if (n == best)
			continue;
		if (!n->online)
			used += snprintf(others + used, sizeof(others) - used, "; %s offline", n->name);
		else if (any && !has_storage(n, storage))
			used += snprintf(others + used, sizeof(others) - used, "; %s lacks %s",
					 n->name, storage);
		else
			used += snprintf(others + used, sizeof(others) - used, "; %s %.1f GiB free",
					 n->name, gib(free_mem(n)));
	}
	snprintf(node, nlen, "%s", best->name);
	snprintf(why, wlen, "most free memory: %.1f of %.1f GiB%s%s%s", gib(free_mem(best)),
		 gib(best->maxmem), any ? ", has " : "", any ? storage : "", others);
	return 0;
}

int step_place(struct step *s)
{
	struct phx_node_load_list l = { NULL, 0 };
	const char *storage = entry_str(s->entry, "storage_pool");
	char node[PHX_NODE_MAX], why[700];
	struct phx_err err;
	unsigned tries = 0;
	int rc;

	for (;;) {
		memset(&err, 0, sizeof(err));
		if (s->e->drv->ops->node_loads(s->e->drv->ctx, &l, &err) == 0)
			break;
		if (!step_again(s, &err, &tries, "listing the cluster's resources", NULL, 0))
			return step_stopping(s) ? STEP_STOPPED :
				step_fail(s, "cannot choose a node for %u: %s", s->ctid, err.msg);
	}
	if (l.n == 1) {
		/* one node: nothing to choose, and Proxmox's own checks say
		 * what is wrong with the storage, as before placement */
		snprintf(s->node, sizeof(s->node), "%s", l.v[0].name);
		phx_node_load_list_free(&l);
		return STEP_OK;
	}
	rc = placement_pick(&l, storage, node, sizeof(node), why, sizeof(why));
	phx_node_load_list_free(&l);
	if (rc < 0)
		return step_fail(s, "cannot choose a node for %u: %s", s->ctid, why);
	snprintf(s->node, sizeof(s->node), "%s", node);
	step_note(s, "placed %u on %s: %s", s->ctid, node, why);
	return STEP_OK;
}
