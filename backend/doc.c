#include "backend/doc.h"

#include "backend/atomic_file.h"
#include "backend/doc_text.h"
#include "backend/json_write.h"
#include "backend/log.h"
#include "backend/schema.h"
#include "backend/strbuf.h"

#include <errno.h>
#include <json-c/json_object_iterator.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct file_id {
	bool exists;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

struct queued_edit {
	struct queued_edit *next;
	uint32_t ctid; /* the only entry the edit changes; 0: anything */
	phx_doc_edit_fn fn;
	void *arg;
	char *err;
	size_t errlen;
	int rc;
	bool done;
};

/* The changes of one commit or one reload. */
struct feed_set {
	struct feed_set *next;
	struct phx_change *v;
	size_t n, cap;
};

struct phx_doc {
	char *path;
	pthread_rwlock_t tree_lock; /* guards root, generation, problem */
	pthread_mutex_t edit_lock;  /* one edit or reload at a time */
	json_object *root;
	uint64_t gen;
	struct file_id seen;        /* the file as we last wrote or read it */
	char problem[512];

	/* The change feed: sets of changes wait in feed_queue (appended under
	 * edit_lock, so in commit order; guarded by feedq_lock) until a thread
	 * that has released edit_lock delivers them under feed_lock, which
	 * keeps deliveries one at a time and in order. */
	pthread_mutex_t feed_lock;  /* guards subs; held while delivering */
	pthread_mutex_t feedq_lock; /* guards feed_queue */
	struct feed_set *feed_queue, **feed_tail;
	struct { phx_doc_feed_fn fn; void *arg; } subs[PHX_DOC_SUBSCRIBERS];

	/* Group commit: writers queue their edits; one of them (the leader)
	 * applies every queued edit to one copy and saves once, so N writers
	 * at once cost one fsync, not N. */
	pthread_mutex_t queue_lock;
	pthread_cond_t queue_cond;
	struct queued_edit *queue, **queue_tail;
	bool leader;

	pthread_mutex_t text_lock;  /* guards text: the writer renders with it,
				       readers of config.json peek into it */
	struct phx_doc_text *text;  /* the per-entry text cache */
	int indent;                /* the file's own indentation (guarded by
				      tree_lock, like root) */
	/* length of the text of generation text_gen, for stat of config.json
	 * without serializing 10,000 entries each time */
	pthread_mutex_t size_lock;
	uint64_t text_gen;
	size_t text_len;

	pthread_t watcher;
	bool watching;
	pthread_mutex_t watch_lock;
	pthread_cond_t watch_cond;
	bool watch_stop;
	unsigned watch_ms;
};

static void feed_set_free(struct feed_set *f);

static struct file_id file_id_of(const char *path)
{
	struct file_id id = { 0 };
	struct stat st;

	if (stat(path, &st) == 0) {
		id.exists = true;
		id.dev = st.st_dev;
		id.ino = st.st_ino;
		id.size = st.st_size;
		id.mtime = st.st_mtim;
		id.ctime = st.st_ctim;
	}
	return id;
}

static bool same_file(const struct file_id *a, const struct file_id *b)
{
	if (a->exists != b->exists)
		return false;
	if (!a->exists)
		return true;
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
	       a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

json_object *phx_doc_configs(json_object *root, bool create)
{
	json_object *c = NULL;

	if (!json_object_object_get_ex(root, "lxc_configs", &c) && create) {
		c = json_object_new_object();
		json_object_object_add(root, "lxc_configs", c);
	}
	return c;
}

int phx_doc_validate(json_object *root, char *err, size_t errlen)
{
	json_object *configs;

	if (!json_object_is_type(root, json_type_object)) {
		snprintf(err, errlen, "the document must be a JSON object with \"lxc_configs\"");
		return -EINVAL;
	}
	configs = phx_doc_configs(root, false);
	if (!configs)
		return 0;
	if (!json_object_is_type(configs, json_type_object)) {
		snprintf(err, errlen, "\"lxc_configs\" must be an object mapping CTIDs to entries");
		return -EINVAL;
	}
	json_object_object_foreach(configs, key, entry) {
		char why[256];
		uint32_t ctid;

		if (phx_parse_ctid(key, strlen(key), &ctid) < 0) {
			snprintf(err, errlen, "lxc_configs: \"%.64s\" is not a container id (100 to 999999999)", key);
			return -EINVAL;
		}
		if (phx_entry_check(entry, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "lxc_configs.%s: %s", key, why);
			return -EINVAL;
		}
	}
	return 0;
}

json_object *phx_doc_parse(const char *text, size_t len, char *err, size_t errlen)
{
	const char *why = "the document is null";
	size_t where = 0, line = 1;
	json_object *root;

	/* Strict, as jq and Python read the same file: what we accept here we
	 * write back, and it must stay readable for them. */
	root = phx_json_parse(text, len, &where, &why);
	if (!root) {
		for (size_t i = 0; i < where && i < len; i++)
			line += text[i] == '\n';
		snprintf(err, errlen, "not valid JSON at line %zu: %s", line,
			 len == 0 ? "the document is empty" : why ? why : "the document is null");
		return NULL;
	}
	return root;
}

/* The scripts that share the file indent by 4; a file found indented
 * otherwise keeps its own layout (struct phx_doc's indent). */
#define DEFAULT_INDENT 4

char *phx_doc_serialize(json_object *root, size_t *len)
{
	return phx_json_pretty(root, DEFAULT_INDENT, len);
}

/* The reason read_file gives for a path that is not a regular file. */
#define NOT_REGULAR (-1)

static char *read_file(const char *path, size_t *len, int *errnum)
{
	/* O_NONBLOCK: a FIFO named as the config must not hang the mount */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct strbuf b = STRBUF_INIT;
	struct stat st;
	char chunk[65536];
	char *text;
	ssize_t r;

	if (fd < 0) {
		*errnum = errno;
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		*errnum = errno;
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		/* a directory, a device (/dev/zero never ends), a FIFO */
		*errnum = S_ISDIR(st.st_mode) ? EISDIR : NOT_REGULAR;
		close(fd);
		return NULL;
	}
	while ((r = read(fd, chunk, sizeof(chunk))) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			*errnum = errno;
			close(fd);
			strbuf_release(&b);
			return NULL;
		}
		strbuf_add(&b, chunk, (size_t)r);
	}
	close(fd);
	if (strbuf_finish(&b, &text, len) < 0) {
		*errnum = ENOMEM;
		return NULL;
	}
	return text;
}

/* Load the file as it is now. Returns the tree (a new empty document when
 * the file does not exist) or NULL with the reason. */
static json_object *load(const char *path, struct file_id *id, int *indent,
			 char **textp, size_t *lenp, char *err, size_t errlen)
{
	size_t len = 0;
	int e = 0;
	char why[384];
	char *text;
	json_object *root;

	*textp = NULL;
	*lenp = 0;
	*id = file_id_of(path);
	text = read_file(path, &len, &e);
	if (!text) {
		if (e == ENOENT) {
			id->exists = false;
			root = json_object_new_object();
			json_object_object_add(root, "lxc_configs", json_object_new_object());
			return root;
		}
		snprintf(err, errlen, "%s: %s", path,
			 e == NOT_REGULAR ? "not a regular file" : strerror(e));
		return NULL;
	}
	root = phx_doc_parse(text, len, why, sizeof(why));
	if (root)
		*indent = phx_json_detect_indent(text, len, *indent);
	if (!root) {
		free(text);
		snprintf(err, errlen, "%s: %s", path, why);
		return NULL;
	}
	if (phx_doc_validate(root, why, sizeof(why)) < 0) {
		free(text);
		snprintf(err, errlen, "%s: %s", path, why);
		json_object_put(root);
		return NULL;
	}
	*textp = text; /* for the text cache: see phx_doc_text_seed */
	*lenp = len;
	return root;
}

int phx_doc_open(struct phx_doc **out, const char *path, char *err, size_t errlen)
{
	struct phx_doc *doc = calloc(1, sizeof(*doc));
	char *text;
	size_t len;

	if (!doc)
		return -ENOMEM;
	doc->path = strdup(path);
	doc->text = phx_doc_text_new();
	doc->indent = DEFAULT_INDENT;
	doc->root = load(path, &doc->seen, &doc->indent, &text, &len, err, errlen);
	if (!doc->path || !doc->root || !doc->text) {
		free(doc->path);
		phx_doc_text_free(doc->text);
		json_object_put(doc->root);
		free(text);
		free(doc);
		return -EINVAL;
	}
	if (text)
		phx_doc_text_seed(doc->text, doc->root, text, len, doc->indent);
	free(text);
	pthread_mutex_init(&doc->text_lock, NULL);
	pthread_rwlock_init(&doc->tree_lock, NULL);
	pthread_mutex_init(&doc->edit_lock, NULL);
	pthread_mutex_init(&doc->watch_lock, NULL);
	{
		/* the watcher's timed wait runs on CLOCK_MONOTONIC: a clock
		 * jump must not stall or hurry the watching */
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&doc->watch_cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	pthread_mutex_init(&doc->queue_lock, NULL);
	pthread_cond_init(&doc->queue_cond, NULL);
	pthread_mutex_init(&doc->size_lock, NULL);
	pthread_mutex_init(&doc->feed_lock, NULL);
	pthread_mutex_init(&doc->feedq_lock, NULL);
	doc->feed_tail = &doc->feed_queue;
	doc->queue_tail = &doc->queue;
	doc->gen = 1;
	*out = doc;
	return 0;
}

void phx_doc_close(struct phx_doc *doc)
{
	if (!doc)
		return;
	phx_doc_watch_stop(doc);
	json_object_put(doc->root);
	pthread_rwlock_destroy(&doc->tree_lock);
	pthread_mutex_destroy(&doc->edit_lock);
	pthread_mutex_destroy(&doc->watch_lock);
	pthread_cond_destroy(&doc->watch_cond);
	pthread_mutex_destroy(&doc->queue_lock);
	pthread_cond_destroy(&doc->queue_cond);
	pthread_mutex_destroy(&doc->size_lock);
	pthread_mutex_destroy(&doc->feed_lock);
	pthread_mutex_destroy(&doc->feedq_lock);
	pthread_mutex_destroy(&doc->text_lock);
	while (doc->feed_queue) {
		struct feed_set *f = doc->feed_queue;

		doc->feed_queue = f->next;
		feed_set_free(f);
	}
	phx_doc_text_free(doc->text);
	free(doc->path);
	free(doc);
}

const char *phx_doc_path(const struct phx_doc *doc) { return doc->path; }
void phx_doc_rdlock(struct phx_doc *doc) { pthread_rwlock_rdlock(&doc->tree_lock); }
void phx_doc_unlock(struct phx_doc *doc) { pthread_rwlock_unlock(&doc->tree_lock); }
json_object *phx_doc_root(struct phx_doc *doc) { return doc->root; }

json_object *phx_doc_entry(struct phx_doc *doc, uint32_t ctid)
{
	json_object *configs = phx_doc_configs(doc->root, false), *e = NULL;
	char key[16];

	if (!configs)
		return NULL;
	snprintf(key, sizeof(key), "%u", ctid);
	return json_object_object_get_ex(configs, key, &e) ? e : NULL;
}

uint64_t phx_doc_generation(struct phx_doc *doc)
{
	uint64_t g;

	phx_doc_rdlock(doc);
	g = doc->gen;
	phx_doc_unlock(doc);
	return g;
}

bool phx_doc_problem(struct phx_doc *doc, char *buf, size_t len)
{
	bool has;

	phx_doc_rdlock(doc);
	has = doc->problem[0] != '\0';
	if (has)
		snprintf(buf, len, "%s", doc->problem);
	phx_doc_unlock(doc);
	return has;
}

/* --- the change feed --- */

const char *phx_origin_name(enum phx_origin o)
{
	return o == PHX_BY_OUTSIDE ? "edited in the file by another program" : "written through the mount";
}

static void change_free(struct phx_change *c)
{
	for (size_t i = 0; i < c->nkeys; i++) {
		free(c->keys[i].key);
		json_object_put(c->keys[i].old_value);
		json_object_put(c->keys[i].new_value);
	}
	free(c->keys);
}

static void feed_set_free(struct feed_set *f)
{
	for (size_t i = 0; i < f->n; i++)
		change_free(&f->v[i]);
	free(f->v);
	free(f);
}

/* A private copy: subscribers run without the doc's locks, and json-c's
 * reference counts are not atomic, so they must not share the live tree's
 * objects. NULL stays NULL. */
static bool copy_value(json_object *v, json_object **out)
{
	*out = NULL;
	return !v || json_object_deep_copy(v, out, NULL) == 0;
}

static void add_key(struct phx_change *c, const char *key, json_object *o, json_object *n)
{
	struct phx_key_change *k;

	if (c->partial)
		return;
	k = realloc(c->keys, (c->nkeys + 1) * sizeof(*k));
	if (!k) {
		c->partial = true;
		return;
	}
	c->keys = k;
	k = &c->keys[c->nkeys];
	k->key = strdup(key);
	if (!k->key || !copy_value(o, &k->old_value) || !copy_value(n, &k->new_value)) {
		free(k->key);
		json_object_put(k->old_value);
		c->partial = true;
		return;
	}
	c->nkeys++;
}

static json_object *entry_in(json_object *configs, const char *key)
{
	json_object *e = NULL;

	if (!configs || !json_object_is_type(configs, json_type_object))
		return NULL;
	return json_object_object_get_ex(configs, key, &e) ? e : NULL;
}

static void diff_entry(struct feed_set *f, uint32_t ctid, json_object *o, json_object *n,
		       enum phx_origin origin, uint64_t gen)
{
	struct phx_change *c;

	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 4;
		struct phx_change *v = realloc(f->v, cap * sizeof(*v));

		if (!v) {
			phx_err("out of memory: the change of %u is not passed on", ctid);
			return;
		}
		f->v = v;
		f->cap = cap;
	}
	c = &f->v[f->n++];
	*c = (struct phx_change){ .gen = gen, .origin = origin, .ctid = ctid,
				  .added = !o, .removed = !n };
	if (n && json_object_is_type(n, json_type_object)) {
		json_object_object_foreach(n, key, nv) {
			json_object *ov = NULL;

			if (o && json_object_is_type(o, json_type_object))
				json_object_object_get_ex(o, key, &ov);
			if (!o || !json_object_object_get_ex(o, key, NULL) || !json_object_equal(ov, nv))
				add_key(c, key, ov, nv);
		}
	}
	if (o && json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, key, ov) {
			if (!n || !json_object_is_type(n, json_type_object) ||
			    !json_object_object_get_ex(n, key, NULL))
				add_key(c, key, ov, NULL);
		}
	}
}

/* The changed entries between two trees, queued for delivery. Entries the
 * trees share (private_copy shares every entry an edit does not touch) are
 * skipped without comparing them. Caller holds edit_lock. */
static void feed_diff(struct phx_doc *doc, json_object *old_root, json_object *new_root,
		      enum phx_origin origin, uint64_t gen)
{
	json_object *oc = old_root ? phx_doc_configs(old_root, false) : NULL;
	json_object *nc = phx_doc_configs(new_root, false);
	struct feed_set *f;
	bool any_sub = false;

	pthread_mutex_lock(&doc->feedq_lock);
	for (int i = 0; i < PHX_DOC_SUBSCRIBERS; i++)
		any_sub |= doc->subs[i].fn != NULL;
	pthread_mutex_unlock(&doc->feedq_lock);
	if (!any_sub || oc == nc)
		return;
	f = calloc(1, sizeof(*f));
	if (!f) {
		phx_err("out of memory: a change of %s is not passed on", doc->path);
		return;
	}
	/* A commit's copy shares every entry but the edited ones with the old
	 * tree, in the same order: walk the two in step while their keys
	 * agree, and look a key up only where they part. Found in step to
	 * the end, nothing of the old is missing from the new. Looking up
	 * each of 10,000 keys, twice, was a quarter of a commit's time. */
	bool in_step = oc && json_object_is_type(oc, json_type_object);
	struct json_object_iterator oi = { 0 }, oe = { 0 };

	if (in_step) {
		oi = json_object_iter_begin(oc);
		oe = json_object_iter_end(oc);
	}
	if (nc && json_object_is_type(nc, json_type_object)) {
		json_object_object_foreach(nc, key, n) {
			json_object *o;
			uint32_t ctid;

			if (in_step && !json_object_iter_equal(&oi, &oe) &&
			    strcmp(json_object_iter_peek_name(&oi), key) == 0) {
				o = json_object_iter_peek_value(&oi);
				json_object_iter_next(&oi);
			} else {
				in_step = false;
				o = entry_in(oc, key);
			}
			if (o == n || (o && json_object_equal(o, n)) ||
			    phx_parse_ctid(key, strlen(key), &ctid) < 0)
				continue;
			diff_entry(f, ctid, o, n, origin, gen);
		}
	}
	if (in_step && json_object_iter_equal(&oi, &oe))
		oc = NULL; /* every old key was met, in order: none removed */
	if (oc && json_object_is_type(oc, json_type_object)) {
		json_object_object_foreach(oc, key, o) {
			uint32_t ctid;

			if (!entry_in(nc, key) && phx_parse_ctid(key, strlen(key), &ctid) == 0)
				diff_entry(f, ctid, o, NULL, origin, gen);
		}
	}
	if (f->n == 0) {
		feed_set_free(f);
		return;
	}
	pthread_mutex_lock(&doc->feedq_lock);
	*doc->feed_tail = f;
	doc->feed_tail = &f->next;
	pthread_mutex_unlock(&doc->feedq_lock);
}

/* Deliver every queued set, oldest first. Called with no doc lock held;
 * whoever comes first delivers for everyone queued so far, and a caller
 * that finds the lock taken waits for that delivery (its own change may
 * be in it). */
static void feed_deliver(struct phx_doc *doc)
{
	pthread_mutex_lock(&doc->feed_lock);
	for (;;) {
		struct feed_set *f;

		pthread_mutex_lock(&doc->feedq_lock);
		f = doc->feed_queue;
		if (f) {
			doc->feed_queue = f->next;
			if (!doc->feed_queue)
				doc->feed_tail = &doc->feed_queue;
		}
		pthread_mutex_unlock(&doc->feedq_lock);
		if (!f)
			break;
		for (int i = 0; i < PHX_DOC_SUBSCRIBERS; i++)
			if (doc->subs[i].fn)
				doc->subs[i].fn(doc->subs[i].arg, f->v, f->n);
		feed_set_free(f);
	}
	pthread_mutex_unlock(&doc->feed_lock);
}

int phx_doc_subscribe(struct phx_doc *doc, phx_doc_feed_fn fn, void *arg)
{
	int rc = -ENOSPC;

	pthread_mutex_lock(&doc->feed_lock);
	pthread_mutex_lock(&doc->feedq_lock);
	for (int i = 0; i < PHX_DOC_SUBSCRIBERS; i++) {
		if (!doc->subs[i].fn) {
			doc->subs[i].fn = fn;
			doc->subs[i].arg = arg;
			rc = 0;
			break;
		}
	}
	pthread_mutex_unlock(&doc->feedq_lock);
	pthread_mutex_unlock(&doc->feed_lock);
	return rc;
}

void phx_doc_unsubscribe(struct phx_doc *doc, phx_doc_feed_fn fn, void *arg)
{
	pthread_mutex_lock(&doc->feed_lock);
	pthread_mutex_lock(&doc->feedq_lock);
	for (int i = 0; i < PHX_DOC_SUBSCRIBERS; i++) {
		if (doc->subs[i].fn == fn && doc->subs[i].arg == arg) {
			doc->subs[i].fn = NULL;
			doc->subs[i].arg = NULL;
		}
	}
	pthread_mutex_unlock(&doc->feedq_lock);
	pthread_mutex_unlock(&doc->feed_lock);
}

/* Swap in a new tree (ownership taken) with its indentation; text_len is
 * the length of its text when the caller has just written it, else 0. The
 * changes from the old tree to the new one join the feed. Caller holds
 * edit_lock and puts *retired, the old tree: with the lock still held when
 * the old tree shares entries with the new one (a commit's copy), and
 * after letting it go when it shares nothing (what an outside edit
 * replaced, once the text cache was seeded from the new tree): freeing a
 * whole parsed document took tens of milliseconds that the next write
 * through the mount waited. */
static uint64_t install(struct phx_doc *doc, json_object *root, int indent, size_t text_len,
			enum phx_origin origin, json_object **retired)
{
	json_object *old;
	uint64_t gen;

	pthread_rwlock_wrlock(&doc->tree_lock);
	old = doc->root;
	doc->root = root;
	doc->indent = indent;
	gen = ++doc->gen;
	doc->problem[0] = '\0';
	pthread_rwlock_unlock(&doc->tree_lock);
	feed_diff(doc, old, root, origin, gen);
	if (text_len) {
		pthread_mutex_lock(&doc->size_lock);
		doc->text_gen = gen;
		doc->text_len = text_len;
		pthread_mutex_unlock(&doc->size_lock);
	}
	*retired = old;
	return gen;
}

char *phx_doc_text(struct phx_doc *doc, size_t *len)
{
	char *text;

	pthread_mutex_lock(&doc->text_lock);
	text = phx_doc_text_peek(doc->text, doc->root, doc->indent, len);
	pthread_mutex_unlock(&doc->text_lock);
	return text;
}

int phx_doc_text_size(struct phx_doc *doc, size_t *size)
{
	uint64_t gen;
	char *text;
	size_t len;

	pthread_mutex_lock(&doc->size_lock);
	gen = doc->text_gen;
	len = doc->text_len;
	pthread_mutex_unlock(&doc->size_lock);
	if (gen && gen == phx_doc_generation(doc)) {
		*size = len;
		return 0;
	}
	/* not saved by us (an outside edit was loaded): serialize once */
	phx_doc_rdlock(doc);
	gen = doc->gen;
	text = phx_doc_text(doc, &len);
	phx_doc_unlock(doc);
	if (!text)
		return -ENOMEM;
	free(text);
	pthread_mutex_lock(&doc->size_lock);
	if (gen > doc->text_gen) {
		doc->text_gen = gen;
		doc->text_len = len;
	}
	pthread_mutex_unlock(&doc->size_lock);
	*size = len;
	return 0;
}

static void set_problem(struct phx_doc *doc, const char *msg)
{
	pthread_rwlock_wrlock(&doc->tree_lock);
	snprintf(doc->problem, sizeof(doc->problem), "%s", msg);
	pthread_rwlock_unlock(&doc->tree_lock);
}

/* Caller holds edit_lock, and puts *retired (see install), which shares
 * nothing with the live tree, after letting it go. */
static int reload_locked(struct phx_doc *doc, uint64_t *gen, json_object **retired)
{
	struct file_id now = file_id_of(doc->path);
	char err[512], *text;
	json_object *root;
	size_t len;
	int indent;

	if (same_file(&now, &doc->seen))
		return 0;
	if (!now.exists) {
		/* Deleted under us: keep the desired state we hold rather than
		 * forgetting every container; the next write recreates the file. */
		if (doc->seen.exists)
			phx_warn("%s was removed; keeping the last document in memory", doc->path);
		doc->seen = now;
		return 0;
	}
	indent = doc->indent; /* only edit_lock holders change it */
	root = load(doc->path, &now, &indent, &text, &len, err, sizeof(err));
	if (!root) {
		char msg[600];

		snprintf(msg, sizeof(msg), "%s (edited outside phoenixfs; fix it, phoenixfs will not overwrite it)", err);
		set_problem(doc, msg);
		phx_err("%s", msg);
		doc->seen = now; /* report once per change of the file */
		return -EINVAL;
	}
	doc->seen = now;
	pthread_mutex_lock(&doc->text_lock);
	phx_doc_text_seed(doc->text, root, text, len, indent);
	pthread_mutex_unlock(&doc->text_lock);
	free(text);
	*gen = install(doc, root, indent, 0, PHX_BY_OUTSIDE, retired);
	phx_info("picked up an outside edit of %s", doc->path);
	return 1;
}

int phx_doc_check_outside(struct phx_doc *doc)
{
	json_object *retired = NULL;
	uint64_t gen = 0;
	int rc;

	pthread_mutex_lock(&doc->edit_lock);
	rc = reload_locked(doc, &gen, &retired);
	pthread_mutex_unlock(&doc->edit_lock);
	json_object_put(retired);
	feed_deliver(doc);
	return rc;
}

/* Other programs edit the file too (read, modify, rename over it). Between
 * our re-read and our rename such an edit would be lost, or would lose ours.
 * The convention both sides can follow is flock(2) on the file at the path:
 * take it, check the path still names the locked file (a rename may have
 * replaced it while we waited), and hold it until the new file is in place.
 * Returns the locked descriptor, -1 when there is no file to lock, or
 * -EAGAIN when another program held the lock for too long. */
#define LOCK_WAIT_MS 10000

static int lock_file(const char *path)
{
	for (int waited = 0;;) {
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		struct stat locked, now;

		if (fd < 0)
			return -1; /* nothing there yet: the first save makes it */
		while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			if (errno != EWOULDBLOCK || waited >= LOCK_WAIT_MS) {
				int e = errno; /* close() may change it */

				close(fd);
				return e == EWOULDBLOCK ? -EAGAIN : -1;
			}
			nanosleep(&(struct timespec){ .tv_nsec = 2 * 1000 * 1000 }, NULL);
			waited += 2;
		}
		if (fstat(fd, &locked) == 0 && stat(path, &now) == 0 &&
		    locked.st_dev == now.st_dev && locked.st_ino == now.st_ino)
			return fd;
		close(fd); /* replaced while we waited: lock the new one */
	}
}

static json_object *shallow_copy(json_object *o)
{
	json_object *c = json_object_new_object();

	if (!c)
		return NULL;
	/* the keys of an object are unique: no lookup for each (most of the
	 * copy's cost at 10,000 entries) */
	json_object_object_foreach(o, key, val)
		json_object_object_add_ex(c, key, json_object_get(val),
					  JSON_C_OBJECT_ADD_KEY_IS_NEW);
	return c;
}

/* A tree the batch may change. When every edit names the one entry it
 * changes, the copy shares every other entry with the live tree: copying
 * and then freeing a 10,000-entry document was most of a commit's cost.
 * The shared entries are only read (and their reference counts touched by
 * this thread alone: readers of the live tree never take references). */
static json_object *private_copy(json_object *root, struct queued_edit *batch)
{
	json_object *configs = phx_doc_configs(root, false), *copy, *cfg;
	bool whole = !configs || !json_object_is_type(configs, json_type_object);

	for (struct queued_edit *e = batch; e && !whole; e = e->next)
		whole = e->ctid == 0;
	if (whole) {
		copy = NULL;
		return json_object_deep_copy(root, &copy, NULL) == 0 ? copy : NULL;
	}
	copy = shallow_copy(root);
	cfg = shallow_copy(configs);
	if (!copy || !cfg) {
		json_object_put(copy);
		json_object_put(cfg);
		return NULL;
	}
	json_object_object_add(copy, "lxc_configs", cfg); /* in place: order kept */
	for (struct queued_edit *e = batch; e; e = e->next) {
		json_object *live, *mine = NULL;
		char key[16];

		snprintf(key, sizeof(key), "%u", e->ctid);
		if (!json_object_object_get_ex(configs, key, &live) ||
		    json_object_object_get(cfg, key) != live)
			continue; /* no such entry yet, or copied for an earlier edit */
		if (json_object_deep_copy(live, &mine, NULL) != 0) {
			json_object_put(copy);
			return NULL;
		}
		json_object_object_add(cfg, key, mine);
	}
	return copy;
}

/* What an edit leaves must load again (schema.h, PHX_JSON_MAX_DEPTH): the
 * rules the load applies, checked on what the edit could have changed,
 * the entry of ctid (or, for 0, the whole document). */
static int edit_result_ok(json_object *root, uint32_t ctid, char *err, size_t errlen)
{
	json_object *entry;
	char where[32], why[384];

	if (!ctid) {
		int rc = phx_json_acceptable(root, 1, "the document", err, errlen);

		return rc < 0 ? rc : phx_doc_validate(root, err, errlen);
	}
	snprintf(where, sizeof(where), "%u", ctid);
	entry = entry_in(phx_doc_configs(root, false), where);
	if (!entry)
		return 0;
	if (phx_json_acceptable(entry, PHX_ENTRY_DEPTH, where, err, errlen) < 0)
		return -EINVAL;
	if (phx_entry_check(entry, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "lxc_configs.%u: %s", ctid, why);
		return -EINVAL;
	}
	return 0;
}

/* Run one edit of a batch on copy; an edit whose result the next load
 * would refuse is undone (from a copy of what it could change) and
 * refused, so that it cannot spoil the others or the file. */
static void run_edit(json_object **copy, struct queued_edit *e)
{
	json_object *configs = phx_doc_configs(*copy, false), *before = NULL, *was;
	char key[16];
	int rc;

	snprintf(key, sizeof(key), "%u", e->ctid);
	was = e->ctid ? entry_in(configs, key) : *copy;
	if (was && json_object_deep_copy(was, &before, NULL) != 0) {
		snprintf(e->err, e->errlen, "out of memory");
		e->rc = -ENOMEM;
		return;
	}
	e->rc = e->fn(*copy, e->arg, e->err, e->errlen);
	if (e->rc < 0 || (rc = edit_result_ok(*copy, e->ctid, e->err, e->errlen)) == 0) {
		json_object_put(before);
		return;
	}
	e->rc = rc;
	if (!e->ctid) {
		json_object_put(*copy);
		*copy = before;
	} else if (before) {
		json_object_object_add(phx_doc_configs(*copy, false), key, before); /* in place */
	} else {
		json_object_object_del(phx_doc_configs(*copy, false), key);
	}
}

/* Apply a batch of edits to one copy and save it once. Each edit gets its
 * own result; an edit that fails leaves the copy as it found it (the
 * contract of phx_doc_edit_fn), so it cannot spoil the others. */
static uint64_t commit_batch(struct phx_doc *doc, struct queued_edit *batch, uint64_t *outside_gen)
{
	json_object *copy = NULL, *retired_outside = NULL, *retired = NULL;
	uint64_t gen = 0;
	char *text = NULL, err[512] = "";
	struct stat written;
	size_t len;
	int rc, applied = 0, lock_fd;

	pthread_mutex_lock(&doc->edit_lock);
	lock_fd = lock_file(doc->path);
	if (lock_fd == -EAGAIN) {
		snprintf(err, sizeof(err), "%s is locked by another program (flock) for more than %d s",
			 doc->path, LOCK_WAIT_MS / 1000);
		rc = -EAGAIN; /* try again later: the writer sees it as such */
		goto fail_all;
	}
	/* An outside edit that landed since we last looked must not be lost:
	 * apply ours on top of it. A broken file is never overwritten. */
	rc = reload_locked(doc, outside_gen, &retired_outside);
	if (rc < 0 || doc->problem[0]) {
		snprintf(err, sizeof(err), "%s", doc->problem);
		rc = -EIO;
		goto fail_all;
	}
	if (!(copy = private_copy(doc->root, batch))) {
		snprintf(err, sizeof(err), "out of memory copying the document");
		rc = -ENOMEM;
		goto fail_all;
	}
	for (struct queued_edit *e = batch; e; e = e->next) {
		run_edit(&copy, e);
		applied += e->rc == 0;
	}
	if (applied == 0)
		goto out;
	pthread_mutex_lock(&doc->text_lock);
	text = phx_doc_text_render(doc->text, copy, doc->indent, &len);
	pthread_mutex_unlock(&doc->text_lock);
	if (!text) {
		snprintf(err, sizeof(err), "out of memory");
		rc = -ENOMEM;
		goto fail_applied;
	}
	rc = atomic_write_file_stat(doc->path, text, len, 0644, &written, err, sizeof(err));
	if (rc < 0) {
		phx_err("saving %s: %s", doc->path, err);
		goto fail_applied;
	}
	/* What we put in place, from the file itself: a stat of the path now
	 * could see an outside edit renamed in since, and take it as ours. */
	doc->seen = (struct file_id){ .exists = written.st_ino != 0, .dev = written.st_dev,
				      .ino = written.st_ino, .size = written.st_size,
				      .mtime = written.st_mtim, .ctime = written.st_ctim };
	gen = install(doc, copy, doc->indent, len, PHX_BY_MOUNT, &retired);
	copy = NULL;
	goto out;

fail_applied:
	for (struct queued_edit *e = batch; e; e = e->next) {
		if (e->rc == 0) {
			e->rc = rc;
			snprintf(e->err, e->errlen, "%s", err);
		}
	}
	goto out;
fail_all:
	for (struct queued_edit *e = batch; e; e = e->next) {
		e->rc = rc;
		snprintf(e->err, e->errlen, "%s", err);
	}
out:
	if (lock_fd >= 0)
		close(lock_fd); /* after the rename: the next editor sees our file */
	/* Both share entries with the live tree. json-c's reference counts
	 * are not atomic, so only edit_lock holders touch them (see
	 * private_copy): these are put before the lock goes. */
	json_object_put(retired);
	json_object_put(copy);
	pthread_mutex_unlock(&doc->edit_lock);
	json_object_put(retired_outside);
	free(text);
	return gen;
}

static int edit(struct phx_doc *doc, uint32_t ctid, phx_doc_edit_fn fn, void *arg,
		char *err, size_t errlen)
{
	struct queued_edit me = { .ctid = ctid, .fn = fn, .arg = arg, .err = err, .errlen = errlen };
	struct queued_edit *batch;
	uint64_t outside_gen = 0;

	pthread_mutex_lock(&doc->queue_lock);
	*doc->queue_tail = &me;
	doc->queue_tail = &me.next;
	while (!me.done && doc->leader)
		pthread_cond_wait(&doc->queue_cond, &doc->queue_lock);
	if (me.done) {
		pthread_mutex_unlock(&doc->queue_lock);
		/* a leader committed ours: it is queued on the feed already;
		 * return only once it has been delivered (journaled) */
		feed_deliver(doc);
		return me.rc;
	}
	/* Lead: take everything queued so far, ourselves included. */
	doc->leader = true;
	batch = doc->queue;
	doc->queue = NULL;
	doc->queue_tail = &doc->queue;
	pthread_mutex_unlock(&doc->queue_lock);

	/* its changes (and an outside edit found first) join the feed */
	commit_batch(doc, batch, &outside_gen);

	pthread_mutex_lock(&doc->queue_lock);
	for (struct queued_edit *e = batch, *next; e; e = next) {
		next = e->next; /* e may be gone once done is seen */
		e->done = true;
	}
	doc->leader = false;
	pthread_cond_broadcast(&doc->queue_cond);
	pthread_mutex_unlock(&doc->queue_lock);
	feed_deliver(doc); /* ours and whatever queued before it, in order */
	return me.rc;
}

int phx_doc_edit(struct phx_doc *doc, phx_doc_edit_fn fn, void *arg,
		 char *err, size_t errlen)
{
	return edit(doc, 0, fn, arg, err, errlen);
}

int phx_doc_edit_entry(struct phx_doc *doc, uint32_t ctid, phx_doc_edit_fn fn, void *arg,
		       char *err, size_t errlen)
{
	return edit(doc, ctid, fn, arg, err, errlen);
}

static void *watch_main(void *arg)
{
	struct phx_doc *doc = arg;

	pthread_mutex_lock(&doc->watch_lock);
	while (!doc->watch_stop) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += doc->watch_ms / 1000;
		ts.tv_nsec += (long)(doc->watch_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&doc->watch_cond, &doc->watch_lock, &ts);
		if (doc->watch_stop)
			break;
		pthread_mutex_unlock(&doc->watch_lock);
		phx_doc_check_outside(doc);
		pthread_mutex_lock(&doc->watch_lock);
	}
	pthread_mutex_unlock(&doc->watch_lock);
	return NULL;
}

int phx_doc_watch_start(struct phx_doc *doc, unsigned interval_ms)
{
	int rc;

	doc->watch_ms = interval_ms ? interval_ms : 1000;
	doc->watch_stop = false;
	rc = pthread_create(&doc->watcher, NULL, watch_main, doc);

	if (rc != 0)
		return -rc; /* pthread_create returns its error; errno is not set */
	doc->watching = true;
	return 0;
}

void phx_doc_watch_stop(struct phx_doc *doc)
{
	if (!doc->watching)
		return;
	pthread_mutex_lock(&doc->watch_lock);
	doc->watch_stop = true;
	pthread_cond_signal(&doc->watch_cond);
	pthread_mutex_unlock(&doc->watch_lock);
	pthread_join(doc->watcher, NULL);
	doc->watching = false;
}
