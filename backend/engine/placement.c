/* Placement (issue 16.2): a container whose entry names no node (and no
 * pve_node= default) goes, in a cluster of several nodes, to the online
 * node with the most free memory among those that have the storage its
 * rootfs needs, read from one /cluster/resources listing. A node's mem
 * counts its running guests only, so the memory of containers this mount
 * has placed and that the listing does not yet show running there is held
 * against the node (e->holds) until it does: a batch placed at once then
 * spreads instead of all taking the node that was freest. A clone is not
 * placed: it goes to its source's node (build.c), which for a linked clone
 * is the template's, as Proxmox requires. */
#include "backend/engine/placement.h"
#include "backend/engine/steps.h"

#include "backend/schema.h"
#include "backend/comma_list.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double gib(int64_t b)
{
	return (double)b / (1024.0 * 1024 * 1024);
}

/* A candidate node: its free memory as listed, less what is held on it. */
struct cand {
	const struct phx_node_load *n;
	int64_t listed, held, free; /* bytes; free may go below 0 */
	unsigned nheld;
};

static struct cand cand_of(const struct phx_node_load *n, const struct place_hold *holds,
			   size_t nholds)
{
	struct cand c = { n, 0, 0, 0, 0 };

	c.listed = n->maxmem > n->mem ? (int64_t)(n->maxmem - n->mem) : 0;
	for (size_t i = 0; i < nholds; i++)
		if (!strcmp(holds[i].node, n->name)) {
			c.held += (int64_t)holds[i].bytes;
			c.nheld++;
		}
	c.free = c.listed - c.held;
	return c;
}

/* An exact tie (equal nodes, nothing listed yet) goes to the node with
 * fewer placements held, then to the first name: a batch placed at once
 * takes the nodes in turn instead of all landing on the first listed. */
static bool better(const struct cand *a, const struct cand *b)
{
	if (a->free != b->free)
		return a->free > b->free;
	if (a->nheld != b->nheld)
		return a->nheld < b->nheld;
	return strcmp(a->n->name, b->n->name) < 0;
}

static size_t held_phrase(char *buf, size_t len, const struct cand *c, bool full)
{
	if (!c->nheld)
		return (size_t)snprintf(buf, len, "%s", "");
	return (size_t)snprintf(buf, len, " (%.1f %s %.1f held for %u placed%s)", gib(c->listed),
				full ? "listed less" : "less", gib(c->held), c->nheld,
				full ? ", not yet running" : "");
}

static void add(char *buf, size_t len, size_t *used, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void add(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*used >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *used, len - *used, fmt, ap);
	va_end(ap);
	if (n > 0)
		*used += (size_t)n;
}

static bool candidate(const struct phx_node_load *n, const char *storage)
{
	return n->online && n->maxmem &&
	       (!storage || !*storage || phx_comma_list_has(n->storages, storage));
}

int placement_pick(const struct phx_node_load_list *l, const struct place_hold *holds,
		   size_t nholds, const char *storage, char *node, size_t nlen,
		   char *why, size_t wlen)
{
	struct cand best = { NULL, 0, 0, 0, 0 };
	char others[600] = "", ties[200] = "", held[120];
	size_t used = 0, tused = 0;
	bool any = storage && *storage;

	for (size_t i = 0; i < l->n; i++) {
		struct cand c;

		if (!candidate(&l->v[i], storage))
			continue;
		c = cand_of(&l->v[i], holds, nholds);
		if (!best.n || better(&c, &best))
			best = c;
	}
	if (!best.n) {
		snprintf(why, wlen, "no online node%s%s%s reports its memory (%zu node%s listed)",
			 any ? " with storage '" : "", any ? storage : "", any ? "'" : "",
			 l->n, l->n == 1 ? "" : "s");
		return -1;
	}
	/* why: the others, each with its free memory or why it was left out */
	for (size_t i = 0; i < l->n; i++) {
		const struct phx_node_load *n = &l->v[i];
		struct cand c;

		if (n == best.n)
			continue;
		if (!n->online) {
			add(others, sizeof(others), &used, "; %s offline", n->name);
			continue;
		}
		if (any && !phx_comma_list_has(n->storages, storage)) {
			add(others, sizeof(others), &used, "; %s lacks %s", n->name, storage);
			continue;
		}
		if (!n->maxmem) {
			add(others, sizeof(others), &used, "; %s reports no memory", n->name);
			continue;
		}
		c = cand_of(n, holds, nholds);
		held_phrase(held, sizeof(held), &c, false);
		add(others, sizeof(others), &used, "; %s %.1f GiB free%s", n->name, gib(c.free), held);
		if (c.free == best.free)
			add(ties, sizeof(ties), &tused, "%s%s", tused ? ", " : "", n->name);
	}
	held_phrase(held, sizeof(held), &best, true);
	snprintf(node, nlen, "%s", best.n->name);
	snprintf(why, wlen, "most free memory: %.1f of %.1f GiB%s%s%s%s%s%s%s", gib(best.free),
		 gib((int64_t)best.n->maxmem), held, any ? ", has " : "", any ? storage : "",
		 others, tused ? "; tied with " : "", ties,
		 tused ? " (fewer placements held, then name order, decide)" : "");
	return 0;
}

bool placement_listed_running(const struct phx_node_load_list *l, uint32_t ctid,
			      const char *node)
{
	for (size_t i = 0; i < l->nguests; i++)
		if (l->guests[i].vmid == ctid)
			return l->guests[i].running && !strcmp(l->guests[i].node, node);
	return false;
}

/* Whether a hold still stands for memory the listing does not count: not
 * while the listing shows the container running there (counted), and only
 * while it is still to run there: its job is under way or to come, or we
 * know it runs there (a start of ours the listing has not caught up with). */
static bool hold_stands(struct phx_engine *e, const struct place_hold *h,
			const struct phx_node_load_list *l)
{
	const struct ct_rec *r;

	if (placement_listed_running(l, h->ctid, h->node))
		return false;
	r = rec_find(e, h->ctid);
	if (!r)
		return false;
	if (r->running || (r->wants & (W_BUILD | W_START | W_RESTART)))
		return true;
	return r->exists && !strcmp(r->node, h->node) && !strcmp(r->status, "running");
}

/* With e->lock held: drop the holds this listing counts or that no longer
 * stand, pick, and hold ctid's memory on the node picked. */
static int pick_and_hold(struct step *s, const struct phx_node_load_list *l,
			 const char *storage, uint64_t bytes, char *node, size_t nlen,
			 char *why, size_t wlen)
{
	struct phx_engine *e = s->e;
	size_t k = 0;
	int rc;

	for (size_t i = 0; i < e->nholds; i++)
		if (e->holds[i].ctid != s->ctid && hold_stands(e, &e->holds[i], l))
			e->holds[k++] = e->holds[i];
	e->nholds = k;
	rc = placement_pick(l, e->holds, e->nholds, storage, node, nlen, why, wlen);
	if (rc < 0 || !bytes)
		return rc;
	if (e->nholds == e->capholds) {
		size_t cap = e->capholds ? e->capholds * 2 : 16;
		struct place_hold *v = realloc(e->holds, cap * sizeof(*v));

		if (!v)
			return rc; /* placed, only not held: the next may count short */
		e->holds = v;
		e->capholds = cap;
	}
	e->holds[e->nholds].ctid = s->ctid;
	snprintf(e->holds[e->nholds].node, sizeof(e->holds[e->nholds].node), "%s", node);
	e->holds[e->nholds].bytes = bytes;
	e->nholds++;
	return rc;
}

int step_place(struct step *s)
{
	struct phx_node_load_list l = { NULL, 0, NULL, 0 };
	const char *storage = entry_str(s->entry, "storage_pool");
	char node[PHX_NODE_MAX], why[900];
	struct phx_err err;
	unsigned tries = 0;
	long long mb = PLACE_DEFAULT_MEMORY_MB;
	uint64_t bytes, seq;
	int rc;

	/* a template never runs: it takes no memory on its node */
	entry_int(s->entry, "memory_mb", &mb);
	bytes = phx_entry_wants_template(s->entry) || mb <= 0 ? 0 : (uint64_t)mb << 20;
	for (;;) {
		pthread_mutex_lock(&s->e->lock);
		seq = ++s->e->place_fetched;
		pthread_mutex_unlock(&s->e->lock);
		memset(&err, 0, sizeof(err));
		if (s->e->drv->ops->node_loads(s->e->drv->ctx, &l, &err) == 0) {
			pthread_mutex_lock(&s->e->lock);
			/* a listing older than one another placement used may
			 * not count a container whose hold that one dropped as
			 * counted: ask again */
			if (seq < s->e->place_applied) {
				pthread_mutex_unlock(&s->e->lock);
				phx_node_load_list_free(&l);
				continue;
			}
			s->e->place_applied = seq;
			if (l.n == 1) {
				/* one node: nothing to choose, and Proxmox's own
				 * checks say what is wrong with the storage, as
				 * before placement */
				pthread_mutex_unlock(&s->e->lock);
				snprintf(s->node, sizeof(s->node), "%s", l.v[0].name);
				phx_node_load_list_free(&l);
				return STEP_OK;
			}
			rc = pick_and_hold(s, &l, storage, bytes, node, sizeof(node), why,
					   sizeof(why));
			pthread_mutex_unlock(&s->e->lock);
			break;
		}
		if (!step_again(s, &err, &tries, "listing the cluster's resources", NULL, 0))
			return step_stopping(s) ? STEP_STOPPED :
				step_fail(s, "cannot choose a node for %u: %s", s->ctid, err.msg);
	}
	phx_node_load_list_free(&l);
	if (rc < 0)
		return step_fail(s, "cannot choose a node for %u: %s", s->ctid, why);
	snprintf(s->node, sizeof(s->node), "%s", node);
	step_note(s, "placed %u on %s: %s", s->ctid, node, why);
	return STEP_OK;
}
