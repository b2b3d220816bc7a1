#include "fs/pcache.h"

#include "backend/doc.h"
#include "backend/engine.h"

#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS 4096
#define QUEUE_MAX 4096
#define STATUS_MAX 1024

/* What the kernel holds of one container's status file. */
struct ct_cache {
	struct ct_cache *next;
	uint32_t ctid;
	/* shown: the status the kernel may hold, when clean (every copy of
	 * it in the kernel, pages or size, is of that text) or in flight
	 * (the thread is dropping the kernel's copy, to be clean then
	 * unless spoiled: another text went out to the kernel meanwhile). */
	char *shown;
	bool clean, in_flight, spoiled;
	char *sized;        /* the text whose size the kernel was last given */
	unsigned cached;    /* opens using the page cache, not released yet */
	bool queued;        /* a status invalidation is in the queue */
};

enum item_what { INVAL_STATUS, INVAL_ROOT_ENTRY };

struct item {
	enum item_what what;
	uint32_t ctid;
};

/* lock guards everything below it. */
struct phx_pcache {
	struct phx_fs *fs;
	struct fuse *fuse;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
	struct item queue[QUEUE_MAX];
	size_t head, count;
	struct ct_cache *buckets[NBUCKETS];
};

/* With the lock held; NULL when out of memory (the open then reads
 * through: never a stale read for lack of a record). */
static struct ct_cache *ct_of(struct phx_pcache *pc, uint32_t ctid)
{
	struct ct_cache **pp = &pc->buckets[ctid % NBUCKETS];

	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->ctid == ctid)
			return *pp;
	if ((*pp = calloc(1, sizeof(**pp))))
		(*pp)->ctid = ctid;
	return *pp;
}

/* With the lock held. A full queue loses the item: a status file then
 * stays read-through until an open queues it again, a name waits for the
 * entry timeout. Neither is ever a stale read of content. */
static void push(struct phx_pcache *pc, enum item_what what, uint32_t ctid)
{
	if (pc->count == QUEUE_MAX)
		return;
	pc->queue[(pc->head + pc->count++) % QUEUE_MAX] = (struct item){ what, ctid };
	pthread_cond_signal(&pc->wake);
}

static void queue_status(struct phx_pcache *pc, struct ct_cache *c)
{
	if (c->queued || pc->count == QUEUE_MAX)
		return;
	c->queued = true;
	push(pc, INVAL_STATUS, c->ctid);
}

/* The status text, as the file renders it (without its newline). */
static void current(struct phx_pcache *pc, uint32_t ctid, char *buf)
{
	phx_engine_status(pc->fs->engine, ctid, buf, STATUS_MAX);
}

void phx_pcache_sized_status(struct phx_pcache *pc, uint32_t ctid, const char *status)
{
	struct ct_cache *c;

	if (!pc)
		return;
	pthread_mutex_lock(&pc->lock);
	if ((c = ct_of(pc, ctid))) {
		if (!c->sized || strcmp(c->sized, status) != 0) {
			free(c->sized);
			c->sized = strdup(status); /* NULL: reads give shown */
		}
		if ((c->clean || c->in_flight) && (!c->shown || strcmp(c->shown, status) != 0)) {
			/* the kernel holds another size now */
			c->clean = false;
			c->spoiled = true;
		}
	}
	pthread_mutex_unlock(&pc->lock);
}

char *phx_pcache_cached_text(struct phx_pcache *pc, uint32_t ctid)
{
	struct ct_cache *c;
	char *text = NULL;

	if (!pc)
		return NULL;
	pthread_mutex_lock(&pc->lock);
	if ((c = ct_of(pc, ctid)) && (c->sized || c->shown)) {
		/* the last size given is the one the kernel cuts reads to */
		const char *t = c->sized ? c->sized : c->shown;
		size_t len = strlen(t);

		if ((text = malloc(len + 2))) {
			memcpy(text, t, len);
			memcpy(text + len, "\n", 2);
		}
	}
	pthread_mutex_unlock(&pc->lock);
	return text;
}

bool phx_pcache_open_status(struct phx_pcache *pc, uint32_t ctid)
{
	char now[STATUS_MAX];
	struct ct_cache *c;
	bool cached = false;

	if (!pc)
		return false;
	current(pc, ctid, now);
	pthread_mutex_lock(&pc->lock);
	if ((c = ct_of(pc, ctid))) {
		if (c->clean && strcmp(c->shown, now) == 0) {
			c->cached++;
			cached = true;
		} else {
			c->clean = false;
			queue_status(pc, c);
		}
	}
	pthread_mutex_unlock(&pc->lock);
	return cached;
}

void phx_pcache_release_status(struct phx_pcache *pc, uint32_t ctid)
{
	struct ct_cache *c;

	if (!pc)
		return;
	pthread_mutex_lock(&pc->lock);
	if ((c = ct_of(pc, ctid)) && c->cached > 0 && --c->cached == 0 && !c->clean) {
		/* The thread skipped it while this open could still fill the
		 * cache: it is done now. */
		c->clean = false;
		queue_status(pc, c);
	}
	pthread_mutex_unlock(&pc->lock);
}

/* The thread, with the lock not held. */
static void invalidate_status(struct phx_pcache *pc, uint32_t ctid)
{
	char path[32], now[STATUS_MAX], *shown;
	struct ct_cache *c;

	pthread_mutex_lock(&pc->lock);
	c = ct_of(pc, ctid);
	if (c)
		c->queued = false;
	/* An open using the cache may still fill it with what it rendered;
	 * its release queues the invalidation again. */
	if (!c || c->cached > 0) {
		pthread_mutex_unlock(&pc->lock);
		return;
	}
	/* From here no open uses the cache (clean is false) and any text
	 * rendered spoils it (no text shown yet), until the text is known. */
	free(c->shown);
	c->shown = NULL;
	c->clean = false;
	c->in_flight = true;
	c->spoiled = false;
	pthread_mutex_unlock(&pc->lock);

	current(pc, ctid, now);
	shown = strdup(now);
	pthread_mutex_lock(&pc->lock);
	c->shown = shown;
	if (!shown || c->spoiled) {
		/* stays read-through until an open queues it again */
		c->in_flight = false;
		pthread_mutex_unlock(&pc->lock);
		return;
	}
	pthread_mutex_unlock(&pc->lock);

	/* Any other text that reaches the kernel from now on (a size, a
	 * read) spoils it. -ENOENT: libfuse never gave the kernel this file,
	 * so the kernel holds nothing of it either. */
	snprintf(path, sizeof(path), "/%u/status", ctid);
	(void)fuse_invalidate_path(pc->fuse, path);

	/* Opens meanwhile read through and may have queued it again: that
	 * invalidates once more, harmlessly. */
	pthread_mutex_lock(&pc->lock);
	c->in_flight = false;
	c->clean = !c->spoiled;
	pthread_mutex_unlock(&pc->lock);
}

static void invalidate_root_entry(struct phx_pcache *pc, uint32_t ctid)
{
	char name[16];
	int len = snprintf(name, sizeof(name), "%u", ctid);

	/* -ENOENT: the kernel has no such name cached (a new one). */
	(void)fuse_lowlevel_notify_inval_entry(fuse_get_session(pc->fuse), FUSE_ROOT_ID,
					       name, (size_t)len);
}

static void *run(void *arg)
{
	struct phx_pcache *pc = arg;

	pthread_mutex_lock(&pc->lock);
	for (;;) {
		struct item it;

		while (!pc->stopping && pc->count == 0)
			pthread_cond_wait(&pc->wake, &pc->lock);
		if (pc->stopping)
			break;
		it = pc->queue[pc->head];
		pc->head = (pc->head + 1) % QUEUE_MAX;
		pc->count--;
		pthread_mutex_unlock(&pc->lock);
		if (it.what == INVAL_STATUS)
			invalidate_status(pc, it.ctid);
		else
			invalidate_root_entry(pc, it.ctid);
		pthread_mutex_lock(&pc->lock);
	}
	pthread_mutex_unlock(&pc->lock);
	return NULL;
}

static void on_feed(void *arg, const struct phx_change *changes, size_t n)
{
	struct phx_pcache *pc = arg;

	pthread_mutex_lock(&pc->lock);
	for (size_t i = 0; i < n; i++)
		if (changes[i].added || changes[i].removed)
			push(pc, INVAL_ROOT_ENTRY, changes[i].ctid);
	pthread_mutex_unlock(&pc->lock);
}

static void free_table(struct phx_pcache *pc)
{
	for (size_t b = 0; b < NBUCKETS; b++)
		for (struct ct_cache *c = pc->buckets[b], *nc; c; c = nc) {
			nc = c->next;
			free(c->shown);
			free(c->sized);
			free(c);
		}
}

struct phx_pcache *phx_pcache_start(struct phx_fs *fs, struct fuse *fuse)
{
	struct phx_pcache *pc = calloc(1, sizeof(*pc));

	if (!pc)
		return NULL;
	pc->fs = fs;
	pc->fuse = fuse;
	pthread_mutex_init(&pc->lock, NULL);
	pthread_cond_init(&pc->wake, NULL);
	if (pthread_create(&pc->thread, NULL, run, pc) != 0)
		goto fail;
	if (phx_doc_subscribe(fs->doc, on_feed, pc) < 0) {
		pthread_mutex_lock(&pc->lock);
		pc->stopping = true;
		pthread_cond_signal(&pc->wake);
		pthread_mutex_unlock(&pc->lock);
		pthread_join(pc->thread, NULL);
		goto fail;
	}
	return pc;
fail:
	pthread_cond_destroy(&pc->wake);
	pthread_mutex_destroy(&pc->lock);
	free(pc);
	return NULL;
}

void phx_pcache_stop(struct phx_pcache *pc)
{
	if (!pc)
		return;
	phx_doc_unsubscribe(pc->fs->doc, on_feed, pc);
	pthread_mutex_lock(&pc->lock);
	pc->stopping = true;
	pthread_cond_signal(&pc->wake);
	pthread_mutex_unlock(&pc->lock);
	pthread_join(pc->thread, NULL);
	free_table(pc);
	pthread_cond_destroy(&pc->wake);
	pthread_mutex_destroy(&pc->lock);
	free(pc);
}
