/* What every part of the FUSE side shares: the mounted filesystem's context.
 * The FUSE side reads the desired state from the doc, backend state from the
 * engine, and never speaks HTTP. */
#ifndef PHX_FS_H
#define PHX_FS_H

#include "backend/doc.h"
#include "backend/engine.h"
#include "fs/access.h"
#include "fs/scratch.h"

#include <pthread.h>
#include <sys/types.h>
#include <time.h>

struct phx_handle;

struct phx_fs {
	struct phx_doc *doc;
	struct phx_engine *engine;
	struct phx_scratch *scratch;
	struct phx_replace *replace; /* unlink-then-create replacement (replace.h) */
	struct phx_mtimes *mtimes;   /* when each value last changed (mtimes.h);
					NULL: the document's time */
	struct phx_pcache *pcache;   /* what the kernel may cache (pcache.h);
					NULL: nothing, every read reaches us */
	uid_t uid;
	gid_t gid;
	const struct phx_writers *writers; /* who else may change the tree */
	/* Readers of wait blocked at once, at most: each holds a FUSE thread,
	 * and a few threads must stay free for everything else. */
	unsigned max_waiters;
	unsigned waiters; /* __atomic */

	/* handles_lock guards handles: the open handles; the writable ones
	 * give the size of a value written and not committed yet, and those
	 * open at unmount are freed then (handle.c). Lock order:
	 * handles_lock, then a handle's lock. */
	pthread_mutex_t handles_lock;
	struct phx_handle *handles;

	/* time_lock guards time_gen and time_when: the mtime of the
	 * document's files, the time the mount first saw generation
	 * time_gen (stat.c). */
	pthread_mutex_t time_lock;
	uint64_t time_gen;
	struct timespec time_when;
};

/* Set up and tear down the parts of the context that need it (locks). */
void phx_fs_init(struct phx_fs *fs);
void phx_fs_destroy(struct phx_fs *fs);

/* May the caller of the current request change the tree? (fs/access.h) */
bool phx_fs_may_change(struct phx_fs *fs);

/* The context of the running mount (fuse_get_context()->private_data). */
struct phx_fs *phx_fs_get(void);

/* Exists-on-backend callback for chain checks. */
bool phx_fs_backend_has(void *fs, uint32_t ctid);

#endif
