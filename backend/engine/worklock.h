/* One container's work lock between mounts of one config, in the pmxcfs
 * manner: a directory made with mkdir (exactly one maker wins), renewed by
 * setting its mtime, and expiring when it was not renewed for `expiry`
 * seconds. Nothing here knows the engine: a lock is a directory name.
 *
 * Two kinds of lock directory:
 *  - pmxcfs (/etc/pve/priv/lock): pmxcfs itself judges expiry (memdb.c
 *    memdb_lock_expired, CFS_LOCK_TIMEOUT 120 s) and removes an expired
 *    lock when asked with utime(path, 0, 0) (cfs-plug-memdb.c utimens);
 *    it refuses to rename a lock (memdb_rename: EACCES) and to renew one
 *    made on another node (memdb_mtime: writer differs, EACCES);
 *  - any other (shared) directory: we judge expiry from the directory's
 *    mtime (wall clock: the nodes' clocks must agree, as corosync needs
 *    anyway) and steal a stale lock by renaming it to a unique name: only
 *    one rename of it succeeds, and the stealer checks that what it moved
 *    is the stale lock it judged (same inode and mtime), else gives it
 *    back.
 * Nothing is ever put inside a lock directory: pmxcfs cannot remove a
 * non-empty one (memdb_delete: ENOTEMPTY), so it would never expire.
 *
 * The holder keeps the directory open: renewing goes through that fd
 * (futimens), and the lock is still ours while the path names the inode
 * we hold (the open fd keeps its inode number from being reused). */
#ifndef PHX_ENGINE_WORKLOCK_H
#define PHX_ENGINE_WORKLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct phx_worklock {
	char *path;     /* malloc'd: DIR/NAME */
	int fd;         /* the lock directory, open; -1 when not held */
	bool pmxcfs;
	bool stolen;    /* taken from an expired holder (resume its work) */
};

/* Whether dir is pmxcfs's lock directory: a FUSE filesystem, and the path
 * ends in priv/lock. */
bool phx_worklock_dir_is_pmxcfs(const char *dir);

/* Try to take DIR/NAME. 1 taken (l->stolen says whether from an expired
 * holder), 0 held by someone else and not expired, -errno on an error
 * (why filled). l is initialised in every case; phx_worklock_free it. */
int phx_worklock_take(struct phx_worklock *l, const char *dir, const char *name,
		      unsigned expiry_s, bool pmxcfs, char *why, size_t whylen);
/* pmxcfs: take over a lock this node made for a process that is gone (a
 * mount of this node killed and started again): pmxcfs lets the node that
 * made a lock renew it, and nobody remove it before its 120 s. 1 taken
 * (l->stolen), 0 not (another node's, or gone). */
int phx_worklock_adopt(struct phx_worklock *l, const char *dir, const char *name,
		       char *why, size_t whylen);
/* Renew a held lock (mtime = now). 0 still ours, -ESTALE it is not ours
 * any more (stolen after it expired, or removed): stop the work it
 * guards; another -errno: could not renew (why filled), try again soon. */
int phx_worklock_renew(struct phx_worklock *l, char *why, size_t whylen);
/* Let go: remove the directory if it is still ours, close. */
void phx_worklock_release(struct phx_worklock *l);
void phx_worklock_free(struct phx_worklock *l);

/* For observers: the state of DIR/NAME. 0 absent, 1 held and fresh,
 * 2 held but older than expiry_s (on pmxcfs: by its mtime, as a hint;
 * pmxcfs decides). */
int phx_worklock_peek(const char *dir, const char *name, unsigned expiry_s);

#endif
