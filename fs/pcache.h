/* What the kernel may serve from its own caches, and telling it when that
 * went stale.
 *
 * A container's status file is read far more often than it changes, so an
 * open of it may be served from the kernel's page cache (keep_cache) when
 * the kernel's copy is known to hold the status as it is now: the text
 * rendered when the kernel's copy was last dropped ("clean"), with no other
 * text's size given to the kernel since (phx_pcache_sized_status). The text, not the engine's version:
 * the status also shows mount-wide facts (the backend unreachable) that
 * the version does not count. Any
 * other open reads through (direct_io: fresh content, whatever size the
 * kernel believes) and queues the path for invalidation, so that the
 * following opens may use the cache again.
 *
 * Names and attributes stay in the kernel for PHX_KERNEL_CACHE_S, kept true
 * by telling it of every change, from a thread of its own: libfuse warns
 * that invalidating from a request handler, or under a lock a request
 * waits on, can deadlock with the kernel's inode locks. The document's
 * change feed (an entry's subtree), the engine (a container's generated
 * files) and opens (a status) only mark a container dirty; a tick each
 * second covers what no notice says (the root's files, status texts
 * changed by mount-wide facts, containers coming or going on the
 * backend). docs/design.md, "Reads from the kernel's cache", has the
 * table. */
#ifndef PHX_PCACHE_H
#define PHX_PCACHE_H

#include "fs/phoenixfs.h"

#include <fuse.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct phx_pcache;

/* The kernel's entry and attribute timeouts, in seconds (fs/ops.c). */
#define PHX_KERNEL_CACHE_S 60.0

/* Starts the invalidation thread and subscribes to fs->doc's change feed.
 * fs->engine must be running. NULL when out of memory or threads. */
struct phx_pcache *phx_pcache_start(struct phx_fs *fs, struct fuse *fuse);
/* Before the session's fd closes (fuse_unmount): no notice is sent from now
 * on, and the thread is waited for a moment. One notice may be blocked in
 * the kernel on an inode lock held by a request the stopped loop will
 * never answer: it ends with the connection, so the wait is bounded and
 * phx_pcache_stop, after the unmount, joins it. NULL is fine. */
void phx_pcache_halt(struct phx_pcache *pc);
/* Stops the thread (halting it first if not done), unsubscribes from the
 * feed and the engine, frees; before the engine stops. NULL is fine. */
void phx_pcache_stop(struct phx_pcache *pc);

/* An open of ctid's status file: true when it may use the kernel's page
 * cache (then phx_pcache_release must follow at its release); false: read
 * through, and the invalidation is queued. pc NULL: false. */
bool phx_pcache_open_status(struct phx_pcache *pc, uint32_t ctid);
void phx_pcache_release_status(struct phx_pcache *pc, uint32_t ctid);
/* Every status text whose size goes to the kernel (getattr, lookup,
 * readdirplus): another text than the one the kernel is known to hold
 * means it no longer holds that one. */
/* Returns the status file's mtime: when the kernel was first given this
 * text, so that the kernel's pages survive its attributes being refetched
 * (a new mtime would drop them). */
struct timespec phx_pcache_sized_status(struct phx_pcache *pc, uint32_t ctid,
					const char *status);
/* What a read through the page cache gets, newline included (malloc'd;
 * NULL: out of memory): the text whose size the kernel was last given,
 * since the kernel cuts such reads to that size. A read racing a change
 * thus gets a whole state, the one just before or the new one. */
char *phx_pcache_cached_text(struct phx_pcache *pc, uint32_t ctid);

#endif
