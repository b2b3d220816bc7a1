/* The per-container history behind the `log` file: a bounded ring of
 * timestamped lines. Old lines fall off so that a container that has been
 * rebuilt a thousand times costs no more than one that was built once. */
#ifndef PHX_ENGINE_CTLOG_H
#define PHX_ENGINE_CTLOG_H

#include <stddef.h>
#include <time.h>

#define CTLOG_MAX_LINES 1000
#define CTLOG_LINE_MAX 1024

struct ctlog {
	char **lines;  /* ring of CTLOG_MAX_LINES, allocated on the first line */
	size_t head;   /* index of the oldest line */
	size_t count;
	size_t bytes;  /* total length of the rendered text */
};

/* Append "YYYY-MM-DDTHH:MM:SSZ text" (UTC). Text longer than a line is cut;
 * embedded newlines become spaces so one call is one line. */
void ctlog_add(struct ctlog *l, time_t when, const char *text);
/* The whole history, one newline-terminated line each; malloc'd ("" when
 * empty), NULL only when memory ran out. */
char *ctlog_render(const struct ctlog *l);
void ctlog_free(struct ctlog *l);

/* The timestamp format of a log line, into buf (at least 21 bytes). */
void ctlog_stamp(time_t when, char *buf, size_t len);

#endif
