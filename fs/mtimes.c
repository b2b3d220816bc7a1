#include "fs/mtimes.h"

#include "backend/atomic_file.h"
#include "backend/schema.h"

#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
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

/* --- kept across remounts ---
 *
 * At a clean unmount the times are written beside the config, each entry's
 * with a hash of the entry's text as it was then; at the next mount an
 * entry whose text hashes the same gets its times back, and any other (an
 * entry edited while nothing was mounted, a new one) gets the config file's
 * mtime, which is when it may have changed. The file is removed once read:
 * after a crash there is none, and every value takes the config's mtime,
 * changed-looking rather than unchanged-looking (rsync copies again; it
 * never skips a change). */

static uint64_t entry_hash(json_object *entry)
{
	const char *t = json_object_to_json_string_ext(entry, JSON_C_TO_STRING_PLAIN);
	uint64_t h = 14695981039346656037ull; /* FNV-1a */

	for (; t && *t; t++)
		h = (h ^ (unsigned char)*t) * 1099511628211ull;
	return h;
}

static int64_t to_ns(struct timespec t)
{
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static bool from_ns(json_object *v, struct timespec *t)
{
	int64_t ns;

	if (!v || !json_object_is_type(v, json_type_int))
		return false;
	ns = json_object_get_int64(v);
	if (ns < 0)
		return false;
	t->tv_sec = (time_t)(ns / 1000000000);
	t->tv_nsec = (long)(ns % 1000000000);
	return true;
}

static json_object *ct_json(struct phx_mtimes *m, uint32_t ctid, json_object *entry)
{
	json_object *o = json_object_new_object(), *keys = json_object_new_object();
	char hash[17];
	struct ct_times *c;

	if (!o || !keys) {
		json_object_put(o);
		json_object_put(keys);
		return NULL;
	}
	snprintf(hash, sizeof(hash), "%016llx", (unsigned long long)entry_hash(entry));
	json_object_object_add(o, "hash", json_object_new_string(hash));
	c = ct_of(m, ctid, false);
	json_object_object_add(o, "any", json_object_new_int64(to_ns(c ? c->any : m->base)));
	json_object_object_add(o, "every", json_object_new_int64(to_ns(c ? c->every : m->base)));
	for (struct key_time *k = c ? c->keys : NULL; k; k = k->next)
		json_object_object_add(keys, k->key, json_object_new_int64(to_ns(k->when)));
	json_object_object_add(o, "keys", keys);
	return o;
}

int phx_mtimes_save(struct phx_mtimes *m, const char *path, char *err, size_t errlen)
{
	json_object *root = json_object_new_object(), *cts = json_object_new_object(), *configs;
	const char *text;
	int rc = -ENOMEM;

	if (!root || !cts) {
		json_object_put(cts);
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	json_object_object_add(root, "version", json_object_new_int(1));
	json_object_object_add(root, "entries", cts);
	phx_doc_rdlock(m->doc);
	pthread_mutex_lock(&m->lock);
	configs = phx_doc_configs(phx_doc_root(m->doc), false);
	if (configs) {
		json_object_object_foreach(configs, key, entry) {
			uint32_t ctid;
			json_object *o;

			if (phx_parse_ctid(key, strlen(key), &ctid) < 0)
				continue;
			if (!(o = ct_json(m, ctid, entry)))
				break;
			json_object_object_add(cts, key, o);
		}
	}
	pthread_mutex_unlock(&m->lock);
	phx_doc_unlock(m->doc);
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
	if (!text)
		snprintf(err, errlen, "out of memory");
	else
		rc = atomic_write_file(path, text, strlen(text), 0600, err, errlen);
out:
	json_object_put(root);
	return rc;
}

static void restore_ct(struct phx_mtimes *m, uint32_t ctid, json_object *saved)
{
	json_object *keys = NULL, *hash = NULL;
	struct timespec any, every;
	struct ct_times *c;

	if (!json_object_object_get_ex(saved, "hash", &hash) ||
	    !from_ns(json_object_object_get(saved, "any"), &any) ||
	    !from_ns(json_object_object_get(saved, "every"), &every) ||
	    !json_object_object_get_ex(saved, "keys", &keys) ||
	    !json_object_is_type(keys, json_type_object))
		return;
	if (!(c = ct_of(m, ctid, true)))
		return; /* the config's time: changed-looking, never missed */
	c->any = any;
	c->every = every;
	json_object_object_foreach(keys, key, v) {
		struct timespec when;
		struct key_time *k;

		if (!from_ns(v, &when) || !(k = malloc(sizeof(*k) + strlen(key) + 1)))
			continue;
		strcpy(k->key, key);
		k->when = when;
		k->next = c->keys;
		c->keys = k;
	}
}

int phx_mtimes_load(struct phx_mtimes *m, const char *path)
{
	json_object *saved = json_object_from_file(path), *cts = NULL, *configs;
	int restored = 0;

	if (!saved)
		return 0;
	if (json_object_object_get_ex(saved, "entries", &cts) &&
	    json_object_is_type(cts, json_type_object)) {
		phx_doc_rdlock(m->doc);
		pthread_mutex_lock(&m->lock);
		configs = phx_doc_configs(phx_doc_root(m->doc), false);
		if (configs) {
			json_object_object_foreach(configs, key, entry) {
				json_object *o, *hash;
				uint32_t ctid;
				char want[17];

				if (phx_parse_ctid(key, strlen(key), &ctid) < 0 ||
				    !json_object_object_get_ex(cts, key, &o) ||
				    !json_object_object_get_ex(o, "hash", &hash))
					continue;
				snprintf(want, sizeof(want), "%016llx",
					 (unsigned long long)entry_hash(entry));
				/* an entry changed while nothing was mounted
				 * keeps the config's time */
				if (strcmp(json_object_get_string(hash), want) != 0)
					continue;
				restore_ct(m, ctid, o);
				restored++;
			}
		}
		pthread_mutex_unlock(&m->lock);
		phx_doc_unlock(m->doc);
	}
	json_object_put(saved);
	return restored;
}
