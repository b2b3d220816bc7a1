/* When each value last changed, for the mtime of its file: a small table
 * fed by the document's change feed (both this mount's writes and other
 * programs' edits of the file), in nanoseconds. rsync's quick check, make
 * and Ansible's stat then see a changed value as changed, and an unchanged
 * one as unchanged, whatever else the document went through.
 *
 * A value that has not changed since the mount has the time it had at the
 * last clean unmount when its entry is as it was then (phx_mtimes_load),
 * else the config file's own mtime at mount time: the last moment anything
 * in it may have changed. */
#ifndef PHX_MTIMES_H
#define PHX_MTIMES_H

#include "backend/doc.h"

#include <stdint.h>
#include <time.h>

struct phx_mtimes;

/* Subscribes to doc's change feed; base is the time of values not changed
 * since. NULL when out of memory or the feed has no room. */
struct phx_mtimes *phx_mtimes_new(struct phx_doc *doc, struct timespec base);
void phx_mtimes_free(struct phx_mtimes *m);

/* When the entry key `key` of ctid last changed; key NULL: when anything
 * of the entry did. */
struct timespec phx_mtimes_get(struct phx_mtimes *m, uint32_t ctid, const char *key);

/* The times of every entry, with a hash of the entry's text, written to
 * path (atomically). 0 or a negative errno with err set. Takes the
 * document's read lock. */
int phx_mtimes_save(struct phx_mtimes *m, const char *path, char *err, size_t errlen);
/* The times saved at path, for each entry whose text hashes as it did
 * then; the others keep base. A missing or unreadable file restores
 * nothing. Returns how many entries got their times back. Call before
 * the document changes. */
int phx_mtimes_load(struct phx_mtimes *m, const char *path);

/* As the feed would (for tests): key NULL is every key of the entry. */
void phx_mtimes_touch(struct phx_mtimes *m, uint32_t ctid, const char *key,
		      struct timespec when);

#endif
