/* The fleet's event stream behind the root `events` file: a bounded ring of
 * lines "TIME CTID WHAT DETAIL". Writers (the engine, the change feed) post
 * and never wait; each reader keeps its own cursor and blocks until there
 * is something past it. A reader that falls behind by more than the ring
 * holds gets one marker line saying how many it missed, never a growing
 * backlog: memory is the ring's, whatever the readers do. */
#ifndef PHX_EVENTS_H
#define PHX_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PHX_EVENT_LINE_MAX 512 /* longer details are cut */

struct phx_events;

struct phx_events *phx_events_new(size_t capacity);
void phx_events_free(struct phx_events *ev);

/* Add one line; `ctid` 0 is written "-" (an event of the whole mount).
 * `what` is one word (created, state, edited, drift, ...). */
void phx_events_post(struct phx_events *ev, uint32_t ctid, const char *what,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The cursor of a reader that wants only what comes after now. */
uint64_t phx_events_now(struct phx_events *ev);

/* Copy whole lines past *cursor into buf (at most size bytes; one line is
 * never split), advancing *cursor. Blocks while there is nothing to read,
 * waking at least every 100 ms to ask interrupted() (NULL: never). Returns
 * the byte count, 0 once the stream is closed, -EINTR when interrupted. */
ssize_t phx_events_read(struct phx_events *ev, uint64_t *cursor, char *buf, size_t size,
			bool (*interrupted)(void));

/* End of the stream (unmount): blocked readers return 0. */
void phx_events_close(struct phx_events *ev);

#endif
