#include "fs/pending.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

struct pend {
	struct pend *next;
	uint32_t ctid;
	const struct phx_attr *attr;
	int refs; /* open handles that created it */
};

struct phx_pending {
	pthread_mutex_t lock;
	struct pend *head;
};

struct phx_pending *phx_pending_new(void)
{
	struct phx_pending *p = calloc(1, sizeof(*p));

	if (p)
		pthread_mutex_init(&p->lock, NULL);
	return p;
}

void phx_pending_free(struct phx_pending *p)
{
	if (!p)
		return;
	for (struct pend *e = p->head, *n; e; e = n) {
		n = e->next;
		free(e);
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
