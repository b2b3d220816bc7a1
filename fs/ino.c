/* Inode numbers from the path.
 *
 * libfuse's high-level API would show its node ids, and a node id lives
 * only while the kernel holds the node: every invalidation of a container's
 * names (pcache.c drops a container's whole subtree when its entry
 * changes, the only way libfuse 3.14's path API offers) made the kernel
 * forget the nodes and the next lookup got new numbers. Programs compare
 * them: vim stops a write with E949 "File changed while writing" when the
 * file's inode number moved while it made its backup, and rsync -H, tar's
 * incremental dumps, git's index and find -inum see a different file. A
 * path's number is the same for as long as the path means the same key:
 * across invalidations and across remounts.
 *
 * The number is a 64-bit FNV-1a hash of the path. Two paths of one mount
 * share a number with a chance of about n^2 / 2^65 (n = 10^6 names:
 * 3e-8); a pair that did would look like hard links of one file to a
 * program comparing (st_dev, st_ino), nothing worse: the kernel itself
 * tells files apart by libfuse's node ids, never by these numbers. */
#include "fs/ino.h"

#include <stdint.h>
#include <string.h>

#define FNV_OFFSET 14695981039346656037ULL
#define FNV_PRIME 1099511628211ULL

static uint64_t fnv(uint64_t h, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= FNV_PRIME;
	}
	return h;
}

static ino_t finish(uint64_t h, size_t len)
{
	if (len == 0)
		return 1; /* the root, as FUSE_ROOT_ID */
	/* 0 is "unknown" to readdir and 1 is the root's */
	return h > 1 ? (ino_t)h : (ino_t)(h + 2);
}

/* "/a/b/" and "/a/b" name one file; the root is "/" or "" */
static size_t trimmed(const char *path)
{
	size_t n = strlen(path);

	while (n > 0 && path[n - 1] == '/')
		n--;
	return n;
}

ino_t phx_ino_of_path(const char *path)
{
	size_t n = trimmed(path);

	return finish(fnv(FNV_OFFSET, path, n), n);
}

ino_t phx_ino_of_child(const char *dir, const char *name)
{
	size_t n = trimmed(dir);

	if (!strcmp(name, "."))
		return phx_ino_of_path(dir);
	if (!strcmp(name, "..")) {
		while (n > 0 && dir[n - 1] != '/')
			n--;
		while (n > 0 && dir[n - 1] == '/')
			n--;
		return finish(fnv(FNV_OFFSET, dir, n), n);
	}
	return finish(fnv(fnv(fnv(FNV_OFFSET, dir, n), "/", 1), name, strlen(name)), n + 1);
}
