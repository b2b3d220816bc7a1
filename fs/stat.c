/* What the kinds share for their attributes: modes, sizes (the rendered
 * length, so reads and stat agree), times; getattr itself dispatches to the
 * node's kind. */
#include "fs/ops_int.h"

#include "backend/log.h"
#include "fs/commit.h"
#include "fs/handle.h"
#include "fs/ino.h"
#include "fs/kind.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct phx_fs *phx_fs_get(void)
{
	return fuse_get_context()->private_data;
}

void phx_fs_init(struct phx_fs *fs)
{
	pthread_mutex_init(&fs->handles_lock, NULL);
	pthread_mutex_init(&fs->time_lock, NULL);
	fs->time_gen = UINT64_MAX;
}

void phx_fs_destroy(struct phx_fs *fs)
{
	pthread_mutex_destroy(&fs->handles_lock);
	pthread_mutex_destroy(&fs->time_lock);
}

bool phx_fs_backend_has(void *fs, uint32_t ctid)
{
	return phx_engine_exists(((struct phx_fs *)fs)->engine, ctid);
}

/* mtime of document-backed files: when the mount first saw the document's
 * current generation. */
struct timespec phx_doc_time(struct phx_fs *fs)
{
	uint64_t gen = phx_doc_generation(fs->doc);
	struct timespec t;

	pthread_mutex_lock(&fs->time_lock);
	if (gen != fs->time_gen) {
		fs->time_gen = gen;
		clock_gettime(CLOCK_REALTIME, &fs->time_when);
	}
	t = fs->time_when;
	pthread_mutex_unlock(&fs->time_lock);
	return t;
}

void phx_stat_dir(struct phx_fs *fs, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFDIR | 0755;
	st->st_nlink = 2;
	st->st_uid = fs->uid;
	st->st_gid = fs->gid;
	st->st_size = 0;
	st->st_mtim = st->st_ctim = st->st_atim = phx_doc_time(fs);
}

void phx_stat_file(struct phx_fs *fs, struct stat *st, mode_t mode, size_t size, bool live)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFREG | mode;
	st->st_nlink = 1;
	st->st_uid = fs->uid;
	st->st_gid = fs->gid;
	st->st_size = (off_t)size;
	st->st_blocks = (blkcnt_t)((size + 511) / 512);
	st->st_blksize = 4096;
	if (live)
		clock_gettime(CLOCK_REALTIME, &st->st_mtim);
	else
		st->st_mtim = phx_doc_time(fs);
	st->st_atim = st->st_ctim = st->st_mtim;
}

int phx_render(struct phx_fs *fs, const struct phx_node *n, char **out, size_t *len)
{
	const struct phx_kind *k = phx_kind(n);

	if (!k->render)
		return k->not_applicable ? -k->not_applicable : -ENOENT;
	return k->render(fs, n, out, len);
}

int phx_rendered_size(struct phx_fs *fs, const struct phx_node *n, size_t *size)
{
	char *s;
	int rc = phx_render(fs, n, &s, size);

	if (rc == 0)
		free(s);
	return rc;
}

int phx_setattr_kept(struct phx_fs *fs, const struct phx_node *n, const uid_t *uid,
		     const gid_t *gid)
{
	struct stat st;
	int rc = phx_kind(n)->getattr(fs, n, &st);

	if (rc < 0)
		return rc;
	/* Ownership is the mount's; a change to it cannot be kept. */
	if ((uid && *uid != (uid_t)-1 && *uid != fs->uid) ||
	    (gid && *gid != (gid_t)-1 && *gid != fs->gid))
		return -EPERM;
	return 0;
}

int op_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct phx_fs *fs = phx_fs_get();
	struct phx_node n;
	int rc;

	if (fi && fi->fh) {
		struct phx_handle *h = FH(fi);

		if (h->kind->h_getattr)
			rc = h->kind->h_getattr(fs, h, st);
		/* what the handle was opened on may be gone (rm while open):
		 * fstat still answers */
		else if ((rc = h->kind->getattr(fs, &h->node, st)) < 0) {
			phx_stat_file(fs, st, 0644, 0, false);
			rc = 0;
		}
		if (rc == 0)
			st->st_ino = phx_ino_of_path(path ? path : h->path);
		return rc;
	}
	if ((rc = phx_node_resolve(fs, path, &n)) < 0)
		return rc;
	if ((rc = phx_kind(&n)->getattr(fs, &n, st)) == 0)
		st->st_ino = phx_ino_of_path(path);
	return rc;
}
