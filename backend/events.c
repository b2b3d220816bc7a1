#include "backend/events.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct phx_events {
	pthread_mutex_t lock; /* guards everything below */
	pthread_cond_t more;  /* signalled on post and close */
	char (*ring)[PHX_EVENT_LINE_MAX];
	size_t cap;
	uint64_t next;        /* sequence number of the next line posted */
	bool closed;
};

struct phx_events *phx_events_new(size_t capacity)
{
	struct phx_events *ev = calloc(1, sizeof(*ev));
	pthread_condattr_t ca;

	if (!ev)
		return NULL;
	ev->ring = calloc(capacity ? capacity : 1, sizeof(*ev->ring));
	if (!ev->ring) {
		free(ev);
		return NULL;
	}
	ev->cap = capacity ? capacity : 1;
	pthread_mutex_init(&ev->lock, NULL);
	/* timed waits on CLOCK_MONOTONIC: a clock jump must not stall readers */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ev->more, &ca);
	pthread_condattr_destroy(&ca);
	return ev;
}

void phx_events_free(struct phx_events *ev)
{
	if (!ev)
		return;
	pthread_cond_destroy(&ev->more);
	pthread_mutex_destroy(&ev->lock);
	free(ev->ring);
	free(ev);
}

/* RFC 3339 UTC with milliseconds: sortable, and the same on every node. */
static size_t stamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
	return n;
}

void phx_events_post(struct phx_events *ev, uint32_t ctid, const char *what,
		     const char *fmt, ...)
{
	char line[PHX_EVENT_LINE_MAX], t[40];
	va_list ap;
	int n;

	if (!ev)
		return;
	stamp(t, sizeof(t));
	if (ctid)
		n = snprintf(line, sizeof(line), "%s %u %s ", t, ctid, what);
	else
		n = snprintf(line, sizeof(line), "%s - %s ", t, what);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(line) - 1) {
		va_start(ap, fmt);
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
		va_end(ap);
	}
	/* one event, one line: a newline inside a detail would forge another */
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	n = (int)strlen(line);
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n] = '\n';
	line[n + 1] = '\0';

	pthread_mutex_lock(&ev->lock);
	if (!ev->closed) {
		memcpy(ev->ring[ev->next % ev->cap], line, (size_t)n + 2);
		ev->next++;
		pthread_cond_broadcast(&ev->more);
	}
	pthread_mutex_unlock(&ev->lock);
}

uint64_t phx_events_now(struct phx_events *ev)
{
	uint64_t n;

	pthread_mutex_lock(&ev->lock);
	n = ev->next;
	pthread_mutex_unlock(&ev->lock);
	return n;
}

ssize_t phx_events_read(struct phx_events *ev, uint64_t *cursor, char *buf, size_t size,
			bool (*interrupted)(void))
{
	size_t used = 0;

	pthread_mutex_lock(&ev->lock);
	while (*cursor >= ev->next && !ev->closed) {
		struct timespec until;

		if (interrupted && interrupted()) {
			pthread_mutex_unlock(&ev->lock);
			return -EINTR;
		}
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += 100 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&ev->more, &ev->lock, &until);
	}
	if (*cursor < ev->next && ev->next - *cursor > ev->cap) {
		/* fell behind: say so once, then go on from the oldest kept */
		char t[40], line[128];
		uint64_t missed = ev->next - ev->cap - *cursor;
		int n;

		stamp(t, sizeof(t));
		n = snprintf(line, sizeof(line), "%s - dropped %llu events (reader fell behind)\n",
			     t, (unsigned long long)missed);
		if ((size_t)n <= size) {
			memcpy(buf, line, (size_t)n);
			used = (size_t)n;
			*cursor = ev->next - ev->cap;
		}
	}
	while (*cursor < ev->next) {
		const char *line = ev->ring[*cursor % ev->cap];
		size_t n = strlen(line);

		if (used + n > size)
			break;
		memcpy(buf + used, line, n);
		used += n;
		(*cursor)++;
	}
	pthread_mutex_unlock(&ev->lock);
	return (ssize_t)used;
}

void phx_events_close(struct phx_events *ev)
{
	if (!ev)
		return;
	pthread_mutex_lock(&ev->lock);
	ev->closed = true;
	pthread_cond_broadcast(&ev->more);
	pthread_mutex_unlock(&ev->lock);
}
