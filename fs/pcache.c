#include "fs/pcache.h"

#include "backend/doc.h"
#include "backend/engine.h"
#include "fs/kind.h"

#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS 4096
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
	struct timespec sized_at; /* when that text was first given: the
				     status file's mtime */
	unsigned cached;    /* opens using the page cache, not released yet */
	unsigned pending;   /* P_* work for the thread */
	bool listed;        /* on the dirty list */
	struct ct_cache *dirty_next;
};

/* What the thread has to tell the kernel about one container. */
enum {
	P_STATUS = 1, /* its status file's pages and attributes (the state
			 machine above) */
	P_GEN = 2,    /* the attributes of error, log and drift: the engine
			 changed them */
	P_TREE = 4,   /* its entry changed: every name and attribute under
			 its directory, and the directory's name itself */
};

/* How often the thread looks for what no notice tells it of: the root's
 * generated files (they change with everything), status texts that changed
 * without the engine's version (mount-wide facts: the backend unreachable),
 * containers that appeared or went on the backend. The bound on how stale
 * these are, as the 1 s timeouts were before. */
#define TICK_MS 1000

/* How long phx_pcache_halt waits for a notice under way (phx_pcache_halt). */
#define HALT_WAIT_S 2

/* lock guards everything below it. */
struct phx_pcache {
	struct phx_fs *fs;
	struct fuse *fuse;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
	bool halted;             /* __atomic: no notice is sent any more */
	bool joined;             /* the thread is gone (halt or stop) */
	struct ct_cache *dirty;  /* records with pending work */
	bool doc_changed;        /* the root's config.json and the root dir */
	bool lost;               /* out of memory recording a change: drop
				    every name the kernel holds */
	bool fleet_changed;      /* since the last tick: the root's files
				    that show every container */
	uint32_t *backend;       /* the backend's CTIDs at the last tick */
	size_t nbackend;
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

/* With the lock held: work for the thread. */
static void mark(struct phx_pcache *pc, struct ct_cache *c, unsigned what)
{
	pc->fleet_changed = true;
	c->pending |= what;
	if (!c->listed) {
		c->listed = true;
		c->dirty_next = pc->dirty;
		pc->dirty = c;
	}
	pthread_cond_signal(&pc->wake);
}

static void queue_status(struct phx_pcache *pc, struct ct_cache *c)
{
	mark(pc, c, P_STATUS);
}

/* With the lock held: work for ctid, or for everything when there is no
 * room to record it. */
static void mark_ctid(struct phx_pcache *pc, uint32_t ctid, unsigned what)
{
	struct ct_cache *c = ct_of(pc, ctid);

	if (c) {
		mark(pc, c, what);
	} else {
		pc->lost = true;
		pc->fleet_changed = true;
		pthread_cond_signal(&pc->wake);
	}
}

/* The status text, as the file renders it (without its newline). */
static void current(struct phx_pcache *pc, uint32_t ctid, char *buf)
{
	phx_engine_status(pc->fs->engine, ctid, buf, STATUS_MAX);
}

struct timespec phx_pcache_sized_status(struct phx_pcache *pc, uint32_t ctid,
					const char *status)
{
	struct ct_cache *c;
	struct timespec when;

	clock_gettime(CLOCK_REALTIME, &when);
	if (!pc)
		return when;
	pthread_mutex_lock(&pc->lock);
	if ((c = ct_of(pc, ctid))) {
		if (!c->sized || strcmp(c->sized, status) != 0) {
			free(c->sized);
			c->sized = strdup(status); /* NULL: reads give shown */
			c->sized_at = when;
		}
		when = c->sized_at;
		if ((c->clean || c->in_flight) && (!c->shown || strcmp(c->shown, status) != 0)) {
			/* the kernel holds another size now */
			c->clean = false;
			c->spoiled = true;
		}
	}
	pthread_mutex_unlock(&pc->lock);
	return when;
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
	if (!__atomic_load_n(&pc->halted, __ATOMIC_ACQUIRE)) /* inval_path's rule */
		(void)fuse_invalidate_path(pc->fuse, path);

	/* Opens meanwhile read through and may have queued it again: that
	 * invalidates once more, harmlessly. */
	pthread_mutex_lock(&pc->lock);
	c->in_flight = false;
	c->clean = !c->spoiled;
	pthread_mutex_unlock(&pc->lock);
}

static void inval_path(struct phx_pcache *pc, const char *path)
{
	if (__atomic_load_n(&pc->halted, __ATOMIC_ACQUIRE))
		return; /* the session's fd may be closed and its number reused */
	/* -ENOENT: libfuse never gave the kernel this file, so the kernel
	 * holds nothing of it either. */
	(void)fuse_invalidate_path(pc->fuse, path);
}

static void inval_root_entry(struct phx_pcache *pc, uint32_t ctid)
{
	char name[16];
	int len = snprintf(name, sizeof(name), "%u", ctid);

	if (__atomic_load_n(&pc->halted, __ATOMIC_ACQUIRE))
		return;
	/* -ENOENT: the kernel has no such name cached (a new one). */
	(void)fuse_lowlevel_notify_inval_entry(fuse_get_session(pc->fuse), FUSE_ROOT_ID,
					       name, (size_t)len);
}

/* The thread, with the lock not held. */
static void do_ct(struct phx_pcache *pc, uint32_t ctid, unsigned what)
{
	static const char *const gen[] = { "error", "log", "drift" };
	char path[48];

	if (what & P_TREE) {
		/* The directory's attributes and cached listing first, then
		 * its name: the kernel drops with it the names and
		 * attributes of everything under it (keys that came or
		 * went, config.json, object directories), and asks again. */
		snprintf(path, sizeof(path), "/%u", ctid);
		inval_path(pc, path);
		inval_root_entry(pc, ctid);
	}
	if (what & P_GEN)
		for (size_t i = 0; i < sizeof(gen) / sizeof(gen[0]); i++) {
			snprintf(path, sizeof(path), "/%u/%s", ctid, gen[i]);
			inval_path(pc, path);
		}
	if (what & P_STATUS)
		invalidate_status(pc, ctid);
}

/* Status texts that changed with no notice (mount-wide facts): the
 * thread, with the lock not held. */
static void sweep_status(struct phx_pcache *pc)
{
	char now[STATUS_MAX];
	uint32_t *ids;
	size_t n = 0, cap = 0;

	pthread_mutex_lock(&pc->lock);
	for (size_t b = 0; b < NBUCKETS; b++)
		for (struct ct_cache *c = pc->buckets[b]; c; c = c->next)
			cap++;
	ids = malloc((cap ? cap : 1) * sizeof(*ids));
	for (size_t b = 0; ids && b < NBUCKETS; b++)
		for (struct ct_cache *c = pc->buckets[b]; c; c = c->next)
			if (c->sized)
				ids[n++] = c->ctid;
	if (!ids)
		pc->lost = true;
	pthread_mutex_unlock(&pc->lock);
	for (size_t i = 0; i < n; i++) {
		struct ct_cache *c;

		current(pc, ids[i], now);
		pthread_mutex_lock(&pc->lock);
		if ((c = ct_of(pc, ids[i])) && c->sized && strcmp(c->sized, now) != 0) {
			/* error shows the same mount-wide facts */
			c->clean = false;
			mark(pc, c, P_STATUS | P_GEN);
		}
		pthread_mutex_unlock(&pc->lock);
	}
	free(ids);
}

/* Containers that appeared or went on the backend (a directory each,
 * entry or not): the thread only, which owns pc->backend. */
static void sweep_backend(struct phx_pcache *pc)
{
	uint32_t *ids = NULL;
	size_t n = phx_engine_backend_ctids(pc->fs->engine, &ids), i = 0, j = 0;
	bool changed = false;

	if (!ids)
		return;
	while (i < n || j < pc->nbackend) {
		if (j == pc->nbackend || (i < n && ids[i] < pc->backend[j])) {
			inval_root_entry(pc, ids[i++]);
			changed = true;
		} else if (i == n || pc->backend[j] < ids[i]) {
			inval_root_entry(pc, pc->backend[j++]);
			changed = true;
		} else {
			i++;
			j++;
		}
	}
	free(pc->backend);
	pc->backend = ids;
	pc->nbackend = n;
	if (changed) {
		inval_path(pc, "/"); /* its listing */
		pthread_mutex_lock(&pc->lock);
		pc->fleet_changed = true;
		pthread_mutex_unlock(&pc->lock);
	}
}

static void tick(struct phx_pcache *pc)
{
	char path[PHX_NAME_MAX + 2];
	const char *name;
	bool counters, fleet;

	sweep_status(pc);
	sweep_backend(pc);
	pthread_mutex_lock(&pc->lock);
	fleet = pc->fleet_changed;
	pc->fleet_changed = false;
	pthread_mutex_unlock(&pc->lock);
	/* Drawing tree or graph.dot for their size costs a walk of the whole
	 * fleet: the kernel keeps their attributes while no container
	 * changed. */
	for (int i = 0; (name = phx_root_gen_name(i, &counters)); i++)
		if (counters || fleet) {
			snprintf(path, sizeof(path), "/%s", name);
			inval_path(pc, path);
		}
}

/* Out of memory recording a change: every container's names go. */
static void drop_everything(struct phx_pcache *pc)
{
	uint32_t *ids = NULL;
	ssize_t n = phx_all_ctids(pc->fs, &ids);

	inval_path(pc, "/");
	inval_path(pc, "/config.json");
	for (ssize_t i = 0; i < n; i++)
		inval_root_entry(pc, ids[i]);
	free(ids);
}

static bool reached(const struct timespec *now, const struct timespec *t)
{
	return now->tv_sec > t->tv_sec || (now->tv_sec == t->tv_sec && now->tv_nsec >= t->tv_nsec);
}

static void *run(void *arg)
{
	struct phx_pcache *pc = arg;
	struct timespec now, next;

	clock_gettime(CLOCK_MONOTONIC, &next);
	pthread_mutex_lock(&pc->lock);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (pc->stopping)
			break;
		if (reached(&now, &next)) {
			next = now;
			next.tv_sec += TICK_MS / 1000;
			pthread_mutex_unlock(&pc->lock);
			tick(pc);
			pthread_mutex_lock(&pc->lock);
		} else if (pc->lost) {
			pc->lost = false;
			pthread_mutex_unlock(&pc->lock);
			drop_everything(pc);
			pthread_mutex_lock(&pc->lock);
		} else if (pc->doc_changed) {
			pc->doc_changed = false;
			pthread_mutex_unlock(&pc->lock);
			/* the root's mtime, its listing and the whole document */
			inval_path(pc, "/");
			inval_path(pc, "/config.json");
			pthread_mutex_lock(&pc->lock);
		} else if (pc->dirty) {
			struct ct_cache *c = pc->dirty;
			unsigned what = c->pending;

			pc->dirty = c->dirty_next;
			c->listed = false;
			c->pending = 0;
			pthread_mutex_unlock(&pc->lock);
			do_ct(pc, c->ctid, what);
			pthread_mutex_lock(&pc->lock);
		} else {
			pthread_cond_timedwait(&pc->wake, &pc->lock, &next);
		}
	}
	pthread_mutex_unlock(&pc->lock);
	return NULL;
}

/* Every committed change of an entry, ours or an outside edit. Called by
 * the committer (maybe a FUSE request): it only records the work. */
static void on_feed(void *arg, const struct phx_change *changes, size_t n)
{
	struct phx_pcache *pc = arg;

	pthread_mutex_lock(&pc->lock);
	for (size_t i = 0; i < n; i++)
		mark_ctid(pc, changes[i].ctid, P_TREE);
	pc->doc_changed = true;
	pthread_cond_signal(&pc->wake);
	pthread_mutex_unlock(&pc->lock);
}

/* The engine changed ctid's status, error, log or drift; its lock is held. */
static void on_engine(void *arg, uint32_t ctid)
{
	struct phx_pcache *pc = arg;
	struct ct_cache *c;

	pthread_mutex_lock(&pc->lock);
	if ((c = ct_of(pc, ctid))) {
		c->clean = false; /* opens read through until it is dropped */
		mark(pc, c, P_STATUS | P_GEN);
	} else {
		pc->lost = true;
		pc->fleet_changed = true;
		pthread_cond_signal(&pc->wake);
	}
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
	free(pc->backend);
}

struct phx_pcache *phx_pcache_start(struct phx_fs *fs, struct fuse *fuse)
{
	struct phx_pcache *pc = calloc(1, sizeof(*pc));

	if (!pc)
		return NULL;
	pc->fs = fs;
	pc->fuse = fuse;
	pthread_mutex_init(&pc->lock, NULL);
	{
		/* the tick is kept on the monotonic clock */
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&pc->wake, &ca);
		pthread_condattr_destroy(&ca);
	}
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
	phx_engine_on_change(fs->engine, on_engine, pc);
	return pc;
fail:
	pthread_cond_destroy(&pc->wake);
	pthread_mutex_destroy(&pc->lock);
	free(pc);
	return NULL;
}

void phx_pcache_halt(struct phx_pcache *pc)
{
	struct timespec until;

	if (!pc)
		return;
	pthread_mutex_lock(&pc->lock);
	pc->stopping = true;
	__atomic_store_n(&pc->halted, true, __ATOMIC_RELEASE);
	pthread_cond_signal(&pc->wake);
	pthread_mutex_unlock(&pc->lock);
	if (pc->joined)
		return; /* halted before (main's unmount path, then stop): a
			   second join of a joined thread is undefined */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += HALT_WAIT_S;
	if (pthread_timedjoin_np(pc->thread, NULL, &until) == 0)
		pc->joined = true;
}

void phx_pcache_stop(struct phx_pcache *pc)
{
	if (!pc)
		return;
	phx_pcache_halt(pc);
	phx_engine_on_change(pc->fs->engine, NULL, NULL);
	phx_doc_unsubscribe(pc->fs->doc, on_feed, pc);
	if (!pc->joined)
		pthread_join(pc->thread, NULL);
	free_table(pc);
	pthread_cond_destroy(&pc->wake);
	pthread_mutex_destroy(&pc->lock);
	free(pc);
}
