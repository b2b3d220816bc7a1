/* Work locks between mounts: see worklock.h for the two kinds and why
 * stealing is done the way it is. */
#include "backend/engine/worklock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#define FUSE_SUPER_MAGIC_ 0x65735546

bool phx_worklock_dir_is_pmxcfs(const char *dir)
{
	struct statfs sf;
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n < 9 || strncmp(dir + n - 9, "priv/lock", 9) != 0)
		return false;
	return statfs(dir, &sf) == 0 && (uint32_t)sf.f_type == FUSE_SUPER_MAGIC_;
}

static bool stale(const struct stat *st, unsigned expiry_s)
{
	time_t now = time(NULL);

	return now > st->st_mtime && (double)(now - st->st_mtime) > (double)expiry_s;
}

/* mkdir won: keep the directory open to renew it through the fd. */
static int hold(struct phx_worklock *l, char *why, size_t whylen)
{
	l->fd = open(l->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->fd < 0) {
		int rc = -errno;

		snprintf(why, whylen, "cannot open the lock %s just made: %s", l->path,
			 strerror(errno));
		rmdir(l->path);
		return rc;
	}
	return 1;
}

/* A plain directory: remove the stale lock we judged (st), so that the
 * mkdir after it decides who holds it next. Stealers take turns through a
 * gate (NAME.steal, made by mkdir, held for microseconds) and look again
 * inside it: a racer that judged the same stale lock then finds the
 * winner's fresh one and leaves it. Inside, the stale lock is moved to a
 * unique name, not removed by name, and checked to be the one judged
 * (same inode and mtime): a lock its holder renewed at the last moment is
 * given back. true when the judged lock is gone. */
static bool steal_plain(struct phx_worklock *l, const struct stat *judged, unsigned expiry_s)
{
	static _Atomic unsigned long seq;
	char *gate = NULL, *aside = NULL, host[64] = "";
	struct stat st;
	bool ok = false;

	if (asprintf(&gate, "%s.steal", l->path) < 0)
		return false;
	if (mkdir(gate, 0700) != 0) {
		/* another stealer is in; one that died there left it: after
		 * the expiry it is cleared, and the next attempt goes in */
		if (errno == EEXIST && lstat(gate, &st) == 0 && stale(&st, expiry_s))
			rmdir(gate);
		free(gate);
		return false;
	}
	if (lstat(l->path, &st) != 0 || st.st_ino != judged->st_ino ||
	    st.st_dev != judged->st_dev || st.st_mtim.tv_sec != judged->st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != judged->st_mtim.tv_nsec)
		goto out; /* released, renewed or taken since we looked */
	/* unique among the nodes, the mounts of one and the threads of one */
	gethostname(host, sizeof(host) - 1);
	if (asprintf(&aside, "%s.stale.%s.%ld.%lu", l->path, host, (long)getpid(), ++seq) < 0) {
		aside = NULL;
		goto out;
	}
	if (rename(l->path, aside) != 0)
		goto out;
	ok = lstat(aside, &st) == 0 && st.st_ino == judged->st_ino &&
	     st.st_mtim.tv_sec == judged->st_mtim.tv_sec &&
	     st.st_mtim.tv_nsec == judged->st_mtim.tv_nsec;
	if (ok) {
		rmdir(aside);
	} else if (renameat2(AT_FDCWD, aside, AT_FDCWD, l->path, RENAME_NOREPLACE) != 0) {
		/* cannot give it back without replacing a newer one: drop it;
		 * its holder finds it gone at its next renewal and stops */
		rmdir(aside);
	}
out:
	rmdir(gate);
	free(gate);
	free(aside);
	return ok;
}

int phx_worklock_take(struct phx_worklock *l, const char *dir, const char *name,
		      unsigned expiry_s, bool pmxcfs, char *why, size_t whylen)
{
	struct stat st;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	l->pmxcfs = pmxcfs;
	if (asprintf(&l->path, "%s/%s", dir, name) < 0) {
		l->path = NULL;
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		if (mkdir(l->path, 0700) == 0)
			return hold(l, why, whylen);
		if (errno != EEXIST) {
			int rc = -errno;

			snprintf(why, whylen, "cannot make the lock %s: %s", l->path, strerror(errno));
			return rc;
		}
		if (attempt)
			break;
		if (lstat(l->path, &st) != 0)
			continue; /* released meanwhile: try again */
		if (pmxcfs) {
			/* pmxcfs's release request: it removes the lock only if
			 * it expired by its own reckoning (asynchronously on a
			 * cluster; the next attempt then finds it gone) */
			struct timespec zero[2] = { { 0, 0 }, { 0, 0 } };

			utimensat(AT_FDCWD, l->path, zero, 0);
			l->stolen = true;
			continue;
		}
		if (!stale(&st, expiry_s))
			return 0;
		if (!steal_plain(l, &st, expiry_s))
			return 0;
		l->stolen = true;
	}
	l->stolen = false;
	return 0;
}

int phx_worklock_adopt(struct phx_worklock *l, const char *dir, const char *name,
		       char *why, size_t whylen)
{
	memset(l, 0, sizeof(*l));
	l->fd = -1;
	l->pmxcfs = true;
	if (asprintf(&l->path, "%s/%s", dir, name) < 0) {
		l->path = NULL;
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	l->fd = open(l->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->fd < 0)
		return 0;
	if (phx_worklock_renew(l, why, whylen) != 0) {
		close(l->fd);
		l->fd = -1;
		return 0;
	}
	l->stolen = true;
	return 1;
}

int phx_worklock_renew(struct phx_worklock *l, char *why, size_t whylen)
{
	struct stat mine, there;

	if (l->fd < 0)
		return -ESTALE;
	if (fstat(l->fd, &mine) != 0) {
		int rc = -errno;

		snprintf(why, whylen, "cannot stat the lock %s: %s", l->path, strerror(errno));
		return rc;
	}
	if (lstat(l->path, &there) != 0) {
		if (errno == ENOENT)
			return -ESTALE;
		int rc = -errno;

		snprintf(why, whylen, "cannot stat the lock %s: %s", l->path, strerror(errno));
		return rc;
	}
	if (there.st_ino != mine.st_ino || there.st_dev != mine.st_dev)
		return -ESTALE;
	/* now, in whole seconds: pmxcfs keeps seconds, and refuses an older
	 * mtime on a lock (memdb_mtime) */
	{
		struct timespec ts[2];

		ts[0].tv_sec = ts[1].tv_sec = time(NULL);
		ts[0].tv_nsec = ts[1].tv_nsec = 0;
		if (futimens(l->fd, ts) != 0) {
			int rc = -errno;

			/* pmxcfs: a lock made on another node cannot be renewed
			 * by us (EACCES) — it is not ours */
			if (l->pmxcfs && errno == EACCES)
				return -ESTALE;
			snprintf(why, whylen, "cannot renew the lock %s: %s", l->path,
				 strerror(errno));
			return rc;
		}
	}
	return 0;
}

void phx_worklock_release(struct phx_worklock *l)
{
	struct stat mine, there;

	if (l->fd < 0)
		return;
	if (fstat(l->fd, &mine) == 0 && lstat(l->path, &there) == 0 &&
	    mine.st_ino == there.st_ino && mine.st_dev == there.st_dev)
		rmdir(l->path);
	close(l->fd);
	l->fd = -1;
}

void phx_worklock_free(struct phx_worklock *l)
{
	phx_worklock_release(l);
	free(l->path);
	l->path = NULL;
}

int phx_worklock_peek(const char *dir, const char *name, unsigned expiry_s)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return 0;
	return stale(&st, expiry_s) ? 2 : 1;
}
