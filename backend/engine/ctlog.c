#include "backend/engine/ctlog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ctlog_stamp(time_t when, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&when, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void ctlog_add(struct ctlog *l, time_t when, const char *text)
{
	char stamp[32], line[CTLOG_LINE_MAX];
	size_t slot;
	char *copy;

	if (!l->lines) {
		l->lines = calloc(CTLOG_MAX_LINES, sizeof(*l->lines));
		if (!l->lines)
			return; /* out of memory: history is best effort */
	}
	ctlog_stamp(when, stamp, sizeof(stamp));
	snprintf(line, sizeof(line), "%s %s", stamp, text);
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	copy = strdup(line);
	if (!copy)
		return;
	if (l->count == CTLOG_MAX_LINES) {
		/* full: the oldest line gives way */
		l->bytes -= strlen(l->lines[l->head]) + 1;
		free(l->lines[l->head]);
		l->lines[l->head] = copy;
		l->head = (l->head + 1) % CTLOG_MAX_LINES;
	} else {
		slot = (l->head + l->count) % CTLOG_MAX_LINES;
		l->lines[slot] = copy;
		l->count++;
	}
	l->bytes += strlen(copy) + 1;
}

char *ctlog_render(const struct ctlog *l)
{
	char *out = malloc(l->bytes + 1), *p = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < l->count; i++) {
		const char *s = l->lines[(l->head + i) % CTLOG_MAX_LINES];
		size_t n = strlen(s);

		memcpy(p, s, n);
		p[n] = '\n';
		p += n + 1;
	}
	*p = '\0';
	return out;
}

void ctlog_free(struct ctlog *l)
{
	if (l->lines) {
		for (size_t i = 0; i < l->count; i++)
			free(l->lines[(l->head + i) % CTLOG_MAX_LINES]);
		free(l->lines);
	}
	memset(l, 0, sizeof(*l));
}
