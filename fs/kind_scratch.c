/* Names that hold nothing of the document: editors' temporary files
 * (sed's sedXXXXXX, rsync's .A.XXXXXX, vim's 4913 and swap files), kept in
 * memory by scratch.c and never validated. Renaming one onto a value
 * commits it (the value's kind). mkdir of such a name inside an entry adds
 * an object key. */
#include "fs/kind.h"

#include "backend/log.h"
#include "fs/commit.h"
#include "fs/handle.h"
#include "fs/scratch.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <string.h>

static int scratch_getattr(struct phx_fs *fs, const struct phx_node *n, struct stat *st)
{
	return phx_scratch_stat(fs->scratch, n->path, st) ? 0 : -ENOENT;
}

static int scratch_open(struct phx_fs *fs, const struct phx_node *n, int flags, bool created,
			struct phx_handle **out)
{
	bool wr = (flags & O_ACCMODE) != O_RDONLY;
	struct phx_handle *h = phx_handle_new(fs, n, wr);

	(void)created;
	if (!h)
		return -ENOMEM;
	h->sfile = phx_scratch_get(fs->scratch, n->path);
	if (!h->sfile) {
		phx_handle_free(fs, h);
		return -ENOENT;
	}
	if (flags & O_TRUNC)
		phx_sfile_truncate(h->sfile, 0);
	*out = h;
	return 0;
}

static int scratch_create(struct phx_fs *fs, const struct phx_node *n, mode_t mode, int flags,
			  struct phx_handle **out)
{
	struct fuse_context *ctx = fuse_get_context();
	struct phx_sfile *f;
	int rc;

	if (n->ctid == 0 && strchr(n->path + 1, '/'))
		return -ENOENT;
	rc = phx_scratch_create(fs->scratch, n->path, mode, ctx->uid, ctx->gid, &f);
	if (rc < 0)
		return rc;
	phx_sfile_put(f);
	return scratch_open(fs, n, flags, true, out);
}

static int scratch_truncate(struct phx_fs *fs, const struct phx_node *n, off_t size)
{
	struct phx_sfile *f = phx_scratch_get(fs->scratch, n->path);
	int rc;

	if (!f)
		return -ENOENT;
	rc = phx_sfile_truncate(f, size);
	phx_sfile_put(f);
	return rc;
}

static int scratch_unlink(struct phx_fs *fs, const struct phx_node *n)
{
	return phx_scratch_unlink(fs->scratch, n->path);
}

static int scratch_rename_onto(struct phx_fs *fs, const struct phx_node *n, const char *from,
			       struct phx_sfile *f)
{
	(void)f;
	if (n->ctid == 0 && strchr(n->path + 1, '/'))
		return -ENOENT;
	return phx_scratch_rename(fs->scratch, from, n->path);
}

/* a scratch file stores what it is given */
static int scratch_setattr(struct phx_fs *fs, const struct phx_node *n, const mode_t *mode,
			   const uid_t *uid, const gid_t *gid, const struct timespec *tv)
{
	struct phx_sfile *f = phx_scratch_get(fs->scratch, n->path);

	if (!f)
		return -ENOENT;
	phx_sfile_setattr(f, mode, uid, gid, tv);
	phx_sfile_put(f);
	return 0;
}

static int scratch_mkdir(struct phx_fs *fs, const struct phx_node *n)
{
	char err[1024] = "";

	if (n->ctid == 0) {
		phx_warn("mkdir %s: only container ids (100 to 999999999) may be made at the root",
			 n->path);
		return -EINVAL;
	}
	if (phx_scratch_stat(fs->scratch, n->path, &(struct stat){ 0 }))
		return -EEXIST;
	return phx_entry_add(fs, n, err, sizeof(err));
}

static int scratch_rmdir(struct phx_fs *fs, const struct phx_node *n)
{
	return phx_scratch_stat(fs->scratch, n->path, &(struct stat){ 0 }) ? -ENOTDIR : -ENOENT;
}

static int scratch_h_getattr(struct phx_fs *fs, struct phx_handle *h, struct stat *st)
{
	(void)fs;
	phx_sfile_stat(h->sfile, st);
	return 0;
}

static ssize_t scratch_h_read(struct phx_fs *fs, struct phx_handle *h, char *buf, size_t size,
			      off_t off)
{
	(void)fs;
	return phx_sfile_read(h->sfile, buf, size, off);
}

static ssize_t scratch_h_write(struct phx_fs *fs, struct phx_handle *h, const char *buf,
			       size_t size, off_t off)
{
	(void)fs;
	return phx_sfile_write(h->sfile, buf, size, off);
}

static int scratch_h_truncate(struct phx_fs *fs, struct phx_handle *h, off_t size)
{
	(void)fs;
	return phx_sfile_truncate(h->sfile, size);
}

static int scratch_h_setattr(struct phx_fs *fs, struct phx_handle *h, const mode_t *mode,
			     const uid_t *uid, const gid_t *gid, const struct timespec *tv)
{
	(void)fs;
	phx_sfile_setattr(h->sfile, mode, uid, gid, tv);
	return 0;
}

const struct phx_kind phx_kind_scratch = {
	.what = "a scratch file",
	.not_applicable = ENOTDIR,
	.getattr = scratch_getattr,
	.open = scratch_open,
	.create = scratch_create,
	.truncate = scratch_truncate,
	.unlink = scratch_unlink,
	.rename_onto = scratch_rename_onto,
	.setattr = scratch_setattr,
	.mkdir = scratch_mkdir,
	.rmdir = scratch_rmdir,
	.h_getattr = scratch_h_getattr,
	.h_read = scratch_h_read,
	.h_write = scratch_h_write,
	.h_truncate = scratch_h_truncate,
	.h_setattr = scratch_h_setattr,
};
