#include "fs/pending.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct pend {
	struct pend *next;
	uint32_t ctid;
	const struct phx_attr *attr;
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

struct phx_pending {
	pthread_mutex_t lock;
	struct pend *head;
	struct removed *removed;
};

struct phx_pending *phx_pending_new(void)
{
	struct phx_pending *p = calloc(1, sizeof(*p));

	if (p)
		pthread_mutex_init(&p->lock, NULL);
	return p;
}

static void removed_free(struct removed *r)
{
	json_object_put(r->value);
	free(r->path);
	free(r);
}

void phx_pending_free(struct phx_pending *p)
{
	if (!p)
		return;
	for (struct pend *e = p->head, *n; e; e = n) {
		n = e->next;
		free(e);
	}
	for (struct removed *r = p->removed, *n; r; r = n) {
		n = r->next;
		removed_free(r);
	}
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static struct pend **find(struct phx_pending *p, uint32_t ctid, const struct phx_attr *a)
{
	struct pend **pp = &p->head;

	while (*pp && ((*pp)->ctid != ctid || (*pp)->attr != a))
		pp = &(*pp)->next;
	return pp;
}

int phx_pending_add(struct phx_pending *p, uint32_t ctid, const struct phx_attr *a)
{
	struct pend **pp, *e;

	pthread_mutex_lock(&p->lock);
	pp = find(p, ctid, a);
	if (*pp) {
		(*pp)->refs++;
	} else if ((e = calloc(1, sizeof(*e)))) {
		e->ctid = ctid;
		e->attr = a;
		e->refs = 1;
		e->next = p->head;
		p->head = e;
	} else {
		pthread_mutex_unlock(&p->lock);
		return -ENOMEM;
	}
	pthread_mutex_unlock(&p->lock);
	return 0;
}

void phx_pending_drop(struct phx_pending *p, uint32_t ctid, const struct phx_attr *a)
{
	struct pend **pp, *e;

	pthread_mutex_lock(&p->lock);
	pp = find(p, ctid, a);
	if ((e = *pp) && --e->refs == 0) {
		*pp = e->next;
		free(e);
	}
	pthread_mutex_unlock(&p->lock);
}

bool phx_pending_has(struct phx_pending *p, uint32_t ctid, const struct phx_attr *a)
{
	bool has;

	pthread_mutex_lock(&p->lock);
	has = *find(p, ctid, a) != NULL;
	pthread_mutex_unlock(&p->lock);
	return has;
}

static time_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Drop what is too old to be part of a replacement. Called with the lock. */
static void removed_expire(struct phx_pending *p, time_t now)
{
	for (struct removed **pp = &p->removed, *r; (r = *pp);) {
		if (now - r->when > PHX_REMOVED_WINDOW_S) {
			*pp = r->next;
			removed_free(r);
		} else {
			pp = &r->next;
		}
	}
}

int phx_pending_removed(struct phx_pending *p, const char *path, pid_t pid,
			json_object *value, int index)
{
	struct removed *r = calloc(1, sizeof(*r));

	if (!r || !(r->path = strdup(path))) {
		free(r);
		json_object_put(value);
		return -ENOMEM;
	}
	r->pid = pid;
	r->value = value;
	r->index = index;
	r->when = mono_now();
	pthread_mutex_lock(&p->lock);
	removed_expire(p, r->when);
	r->next = p->removed;
	p->removed = r;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

json_object *phx_pending_take_removed(struct phx_pending *p, const char *path, pid_t pid,
				      int *index)
{
	json_object *v = NULL;

	pthread_mutex_lock(&p->lock);
	removed_expire(p, mono_now());
	for (struct removed **pp = &p->removed, *r; (r = *pp); pp = &r->next) {
		if (r->pid == pid && strcmp(r->path, path) == 0) {
			*pp = r->next;
			v = r->value;
			*index = r->index;
			r->value = NULL;
			removed_free(r);
			break;
		}
	}
	pthread_mutex_unlock(&p->lock);
	return v;
}
