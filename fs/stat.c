/* The attributes of what a path names: modes, sizes (the rendered length,
 * so reads and stat agree), times, and getattr itself. */
#include "fs/ops_int.h"

#include "backend/log.h"
#include "fs/commit.h"
#include "fs/handle.h"
#include "fs/pending.h"
#include "fs/render.h"

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

bool phx_fs_backend_has(void *fs, uint32_t ctid)
{
	return phx_engine_exists(((struct phx_fs *)fs)->engine, ctid);
}

/* mtime of document-backed files: when the document last changed. */
struct timespec doc_time(struct phx_fs *fs)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static uint64_t seen;
	static struct timespec when;
	uint64_t gen = phx_doc_generation(fs->doc);
	struct timespec t;

	pthread_mutex_lock(&lock);
	if (gen != seen) {
		seen = gen;
		clock_gettime(CLOCK_REALTIME, &when);
	}
	t = when;
	pthread_mutex_unlock(&lock);
	return t;
}

void stat_dir(struct phx_fs *fs, struct stat *st)
{
	st->st_mode = S_IFDIR | 0755;
	st->st_nlink = 2;
	st->st_uid = fs->uid;
	st->st_gid = fs->gid;
	st->st_size = 0;
	st->st_mtim = st->st_ctim = st->st_atim = doc_time(fs);
}

void stat_file(struct phx_fs *fs, struct stat *st, mode_t mode, size_t size, bool live)
{
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
		st->st_mtim = doc_time(fs);
	st->st_atim = st->st_ctim = st->st_mtim;
}

int rendered_size(struct phx_fs *fs, const struct phx_node *n, size_t *size)
{
	char *s;
	int rc = phx_render(fs, n, &s, size);

	if (rc == 0)
		free(s);
	return rc;
}

int node_stat(struct phx_fs *fs, const struct phx_node *n, struct stat *st)
{
	size_t size = 0;
	int rc;

	memset(st, 0, sizeof(*st));
	switch (n->kind) {
	case NK_ROOT:
	case NK_KEYDIR:
		stat_dir(fs, st);
		return 0;
	case NK_CT:
		if (!n->present && !n->on_backend)
			return -ENOENT;
		stat_dir(fs, st);
		return 0;
	case NK_GEN:
		if (n->gen == GEN_CTL) {
			stat_file(fs, st, 0200, 0, false);
			return 0;
		}
		if (n->gen == GEN_WAIT) {
			stat_file(fs, st, 0444, 0, true);
			return 0;
		}
		/* fall through */
	case NK_ROOT_STATUS:
		if ((rc = rendered_size(fs, n, &size)) < 0)
			return rc;
		stat_file(fs, st, 0444, size, true);
		return 0;
	case NK_ATTR:
		if (!n->present) {
			if (!phx_pending_has(fs->pending, n->ctid, n->attr))
				return -ENOENT;
			if (!phx_handle_unflushed_size(n->path, &size))
				size = 0;
			stat_file(fs, st, 0644, size, false);
			return 0;
		}
		/* fall through */
	case NK_KEY:
	case NK_CT_CONFIG:
	case NK_ROOT_CONFIG:
		if (phx_handle_unflushed_size(n->path, &size)) {
			stat_file(fs, st, 0644, size, false);
			return 0;
		}
		/* the whole document's size is the doc's to know: serializing
		 * 10,000 entries per stat would dominate `ls -l` */
		if ((rc = n->kind == NK_ROOT_CONFIG ? phx_doc_text_size(fs->doc, &size)
						    : rendered_size(fs, n, &size)) < 0)
			return rc;
		stat_file(fs, st, 0644, size, false);
		return 0;
	case NK_NONE:
		return phx_scratch_stat(fs->scratch, n->path, st) ? 0 : -ENOENT;
	}
	return -ENOENT;
}

int op_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct phx_fs *fs = phx_fs_get();
	struct phx_node n;
	int rc;

	if (fi && fi->fh) {
		struct phx_handle *h = FH(fi);

		if (h->sfile) {
			phx_sfile_stat(h->sfile, st);
			return 0;
		}
		if (h->writable && (h->dirty || h->pending)) {
			memset(st, 0, sizeof(*st));
			stat_file(fs, st, 0644, h->len, false);
			return 0;
		}
		return node_stat(fs, &h->node, st) == 0 ? 0 : (stat_file(fs, st, 0644, 0, false), 0);
	}
	if ((rc = phx_node_resolve(fs, path, &n)) < 0)
		return rc;
	return node_stat(fs, &n, st);
}
