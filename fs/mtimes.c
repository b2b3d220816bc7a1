#include "fs/mtimes.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS 4096

struct key_time {
	struct key_time *next;
	struct timespec when;
	char key[]; /* NUL-terminated */
};

struct ct_times {
	struct ct_times *next;
	uint32_t ctid;
	struct timespec any;   /* the last change of anything of the entry */
	struct timespec every; /* the last change that counts for every key
				  (entry added or removed, keys not listed) */
	struct key_time *keys;
};

/* lock guards the buckets and everything in them. */
struct phx_mtimes {
	struct phx_doc *doc;
	struct timespec base;
	pthread_mutex_t lock;
	struct ct_times *buckets[NBUCKETS];
};

static bool later(struct timespec a, struct timespec b)
{
	return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

/* With the lock held; NULL when out of memory (the time is then the
 * entry's, or base: an older time, never a wrong key's). */
static struct ct_times *ct_of(struct phx_mtimes *m, uint32_t ctid, bool create)
{
	struct ct_times **pp = &m->buckets[ctid % NBUCKETS];

	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->ctid == ctid)
			return *pp;
	if (!create || !(*pp = calloc(1, sizeof(**pp))))
		return NULL;
	(*pp)->ctid = ctid;
	(*pp)->any = (*pp)->every = m->base;
	return *pp;
}

void phx_mtimes_touch(struct phx_mtimes *m, uint32_t ctid, const char *key,
		      struct timespec when)
{
	struct ct_times *c;

	pthread_mutex_lock(&m->lock);
	if ((c = ct_of(m, ctid, true))) {
		c->any = when;
		if (!key) {
			c->every = when;
		} else {
			struct key_time *k;

			for (k = c->keys; k && strcmp(k->key, key) != 0; k = k->next)
				;
			if (!k && (k = malloc(sizeof(*k) + strlen(key) + 1))) {
				strcpy(k->key, key);
				k->next = c->keys;
				c->keys = k;
			}
			if (k)
				k->when = when;
			else
				c->every = when; /* out of memory: count it for all */
		}
	}
	pthread_mutex_unlock(&m->lock);
}

static void on_feed(void *arg, const struct phx_change *changes, size_t n)
{
	struct phx_mtimes *m = arg;
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	for (size_t i = 0; i < n; i++) {
		const struct phx_change *c = &changes[i];

		if (c->added || c->removed || c->partial)
			phx_mtimes_touch(m, c->ctid, NULL, now);
		for (size_t k = 0; k < c->nkeys; k++)
			phx_mtimes_touch(m, c->ctid, c->keys[k].key, now);
	}
}

struct phx_mtimes *phx_mtimes_new(struct phx_doc *doc, struct timespec base)
{
	struct phx_mtimes *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->doc = doc;
	m->base = base;
	pthread_mutex_init(&m->lock, NULL);
	if (doc && phx_doc_subscribe(doc, on_feed, m) < 0) {
		pthread_mutex_destroy(&m->lock);
		free(m);
		return NULL;
	}
	return m;
}

void phx_mtimes_free(struct phx_mtimes *m)
{
	if (!m)
		return;
	if (m->doc)
		phx_doc_unsubscribe(m->doc, on_feed, m);
	for (size_t b = 0; b < NBUCKETS; b++) {
		for (struct ct_times *c = m->buckets[b], *nc; c; c = nc) {
			nc = c->next;
			for (struct key_time *k = c->keys, *nk; k; k = nk) {
				nk = k->next;
				free(k);
			}
			free(c);
		}
	}
	pthread_mutex_destroy(&m->lock);
	free(m);
}

struct timespec phx_mtimes_get(struct phx_mtimes *m, uint32_t ctid, const char *key)
{
	struct timespec t;
	struct ct_times *c;

	pthread_mutex_lock(&m->lock);
	c = ct_of(m, ctid, false);
	if (!c) {
		t = m->base;
	} else if (!key) {
		t = c->any;
	} else {
		t = c->every;
		for (struct key_time *k = c->keys; k; k = k->next)
			if (strcmp(k->key, key) == 0 && later(k->when, t))
				t = k->when;
	}
	pthread_mutex_unlock(&m->lock);
	return t;
}
