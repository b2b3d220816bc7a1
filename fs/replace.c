#include "fs/replace.h"

#include "fs/commit.h"
#include "fs/handle.h"
#include "fs/kind.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct created {
	struct created *next;
	char *path;
	int refs; /* open handles that created it */
};

struct removed {
	struct removed *next;
	char *path;
	pid_t pid;
	json_object *value;
	int index;
	time_t when; /* CLOCK_MONOTONIC seconds */
};

/* lock guards both lists. */
struct phx_replace {
	pthread_mutex_t lock;
	struct created *created;
	struct removed *removed;
};

struct phx_replace *phx_replace_new(void)
{
	struct phx_replace *r = calloc(1, sizeof(*r));

	if (r)
		pthread_mutex_init(&r->lock, NULL);
	return r;
}

static void removed_free(struct removed *x)
{
	json_object_put(x->value);
	free(x->path);
	free(x);
}

void phx_replace_free(struct phx_replace *r)
{
	if (!r)
		return;
	for (struct created *c = r->created, *n; c; c = n) {
		n = c->next;
		free(c->path);
		free(c);
	}
	for (struct removed *x = r->removed, *n; x; x = n) {
		n = x->next;
		removed_free(x);
	}
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static struct created **find(struct phx_replace *r, const char *path)
{
	struct created **pp = &r->created;

	while (*pp && strcmp((*pp)->path, path) != 0)
		pp = &(*pp)->next;
	return pp;
}

int phx_created_add(struct phx_replace *r, const char *path)
{
	struct created **pp, *c;
	int rc = 0;

	pthread_mutex_lock(&r->lock);
	pp = find(r, path);
	if (*pp) {
		(*pp)->refs++;
	} else if ((c = calloc(1, sizeof(*c))) && (c->path = strdup(path))) {
		c->refs = 1;
		c->next = r->created;
		r->created = c;
	} else {
		free(c);
		rc = -ENOMEM;
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

void phx_created_drop(struct phx_replace *r, const char *path)
{
	struct created **pp, *c;

	pthread_mutex_lock(&r->lock);
	pp = find(r, path);
	if ((c = *pp) && --c->refs == 0) {
		*pp = c->next;
		free(c->path);
		free(c);
	}
	pthread_mutex_unlock(&r->lock);
}

bool phx_created_has(struct phx_replace *r, const char *path)
{
	bool has;

	pthread_mutex_lock(&r->lock);
	has = *find(r, path) != NULL;
	pthread_mutex_unlock(&r->lock);
	return has;
}

void phx_created_list(struct phx_replace *r, const char *dir,
		      void (*fn)(void *arg, const char *name), void *arg)
{
	size_t dl = strlen(dir);

	pthread_mutex_lock(&r->lock);
	for (struct created *c = r->created; c; c = c->next) {
		const char *rest = c->path + dl;

		if (strncmp(c->path, dir, dl) == 0 && *rest == '/' && !strchr(rest + 1, '/'))
			fn(arg, rest + 1);
	}
	pthread_mutex_unlock(&r->lock);
}

int phx_created_stat(struct phx_fs *fs, const struct phx_node *n, struct stat *st)
{
	size_t size = 0;

	if (!phx_created_has(fs->replace, n->path))
		return -ENOENT;
	if (!phx_handle_unflushed_size(fs, n->path, &size))
		size = 0;
	phx_stat_file(fs, st, 0644, size, false);
	return 0;
}

static time_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Drop what is too old to be part of a replacement. Called with the lock. */
static void removed_expire(struct phx_replace *r, time_t now)
{
	for (struct removed **pp = &r->removed, *x; (x = *pp);) {
		if (now - x->when > PHX_REMOVED_WINDOW_S) {
			*pp = x->next;
			removed_free(x);
		} else {
			pp = &x->next;
		}
	}
}

int phx_removed_add(struct phx_replace *r, const char *path, pid_t pid, json_object *value,
		    int index)
{
	struct removed *x = calloc(1, sizeof(*x));

	if (!x || !(x->path = strdup(path))) {
		free(x);
		json_object_put(value);
		return -ENOMEM;
	}
	x->pid = pid;
	x->value = value;
	x->index = index;
	x->when = mono_now();
	pthread_mutex_lock(&r->lock);
	removed_expire(r, x->when);
	x->next = r->removed;
	r->removed = x;
	pthread_mutex_unlock(&r->lock);
	return 0;
}

json_object *phx_removed_take(struct phx_replace *r, const char *path, pid_t pid, int *index)
{
	json_object *v = NULL;

	pthread_mutex_lock(&r->lock);
	removed_expire(r, mono_now());
	for (struct removed **pp = &r->removed, *x; (x = *pp); pp = &x->next) {
		if (x->pid == pid && strcmp(x->path, path) == 0) {
			*pp = x->next;
			v = x->value;
			*index = x->index;
			x->value = NULL;
			removed_free(x);
			break;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return v;
}

int phx_replace_remove(struct phx_fs *fs, const struct phx_node *n, pid_t pid)
{
	char err[1024] = "";
	int index = 0;
	json_object *old = phx_value_snapshot(fs, n, &index);
	int rc = phx_value_remove(fs, n, err, sizeof(err));

	if (rc == 0 && old)
		phx_removed_add(fs->replace, n->path, pid, old, index);
	else
		json_object_put(old);
	return rc;
}

bool phx_replace_put_back(struct phx_fs *fs, const char *path, pid_t pid, struct phx_node *n)
{
	char err[1024] = "";
	json_object *old;
	int index = 0, rc;

	/* only a name where a value can be: an absent attribute, or a name
	 * inside an entry */
	if (!((n->kind == NK_ATTR && !n->present) || (n->kind == NK_NONE && n->ctid)))
		return false;
	old = phx_removed_take(fs->replace, path, pid, &index);
	if (!old)
		return false;
	rc = phx_value_reinsert(fs, n, old, index, err, sizeof(err));
	json_object_put(old);
	if (rc < 0)
		return false;
	return phx_node_resolve(fs, path, n) == 0 && phx_node_is_value(n) &&
	       (n->kind != NK_ATTR || n->present);
}
