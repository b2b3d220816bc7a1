/* Per-open state. A value file is written into the handle's own buffer and
 * committed whole: at FLUSH/FSYNC (whose errors reach most programs), at
 * RELEASE as a last chance, or already in WRITE when the buffer began
 * empty and one write at offset 0 brought a complete value ending in a
 * newline; a complete value is checked in WRITE in any case. WRITE's error
 * is the only one bash builtins report (docs/clients.md). Truncation alone
 * never commits. */
#ifndef PHX_HANDLE_H
#define PHX_HANDLE_H

#include "fs/node.h"
#include "fs/kind.h"
#include "fs/scratch.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A handle owns a copy of its path; its node is a view of that copy (a
 * node holds no pointers into itself, so the copy is one assignment). The
 * node, kind, path, sfile and writable are fixed at open; lock guards every
 * other field. */
struct phx_handle {
	struct phx_node node;
	char *path;
	const struct phx_kind *kind;
	struct phx_sfile *sfile;  /* scratch files */
	bool writable;
	pthread_mutex_t lock;
	bool pending;             /* created a value not yet in the doc */
	/* write side */
	char *buf;
	size_t len, cap;
	bool dirty;               /* written since open or the last commit */
	bool fresh;               /* the buffer began empty (O_TRUNC, size 0) */
	/* read side: the rendered content, regenerated on reads at offset 0 */
	char *snap;
	size_t snaplen;
	bool have_snap;
	bool page_cached;         /* opened with keep_cache (pcache.h) */
	uint64_t cursor;          /* events: the next line this reader gets */
	struct phx_handle *next; /* fs->handles, under fs->handles_lock */
};

/* A handle on what n names (its kind's table comes with it); NULL when out
 * of memory. */
struct phx_handle *phx_handle_new(struct phx_fs *fs, const struct phx_node *n, bool writable);
void phx_handle_free(struct phx_fs *fs, struct phx_handle *h);
/* Free the handles still open when the mount is gone (the kernel sends no
 * release after unmount: a reader of events or wait at shutdown). Only
 * once no request runs any more. */
void phx_handle_free_all(struct phx_fs *fs);

/* Start the buffer from the current value (an open without O_TRUNC). */
int phx_handle_load(struct phx_fs *fs, struct phx_handle *h);
ssize_t phx_handle_write(struct phx_fs *fs, struct phx_handle *h, const char *data,
			 size_t size, off_t off);
int phx_handle_truncate(struct phx_handle *h, off_t size);
/* Commit if dirty; returns the commit's result (0 when clean). Call with
 * h->lock held, as every function below but phx_handle_unflushed_size. */
int phx_handle_commit(struct phx_fs *fs, struct phx_handle *h);
ssize_t phx_handle_read(struct phx_fs *fs, struct phx_handle *h, char *buf,
			size_t size, off_t off);
/* The size of a value written through a handle still open on path and not
 * committed yet. stat by name (fstat reaches us without the handle) must
 * show it: git records it in its index right after its write. */
bool phx_handle_unflushed_size(struct phx_fs *fs, const char *path, size_t *len);
/* Most bytes a value file may hold. */
size_t phx_value_limit(const struct phx_node *n);

#endif
