/* File operations: open and create resolve the path and ask the node's
 * kind for a handle; reads, writes, commits and truncation go to the
 * handle's kind. Blocking reads (wait, events) block their own thread only. */
#include "fs/ops_int.h"

#include "backend/log.h"
#include "fs/handle.h"
#include "fs/pcache.h"
#include "fs/replace.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

static int opened(struct fuse_file_info *fi, struct phx_handle *h)
{
	/* Every read and write reaches us: generated content changes under
	 * the reader and values must be checked per write (docs/clients.md). */
	fi->direct_io = 1;
	fi->keep_cache = 0;
	fi->fh = (uintptr_t)h;
	return 0;
}

/* A container's status file, opened to read: from the kernel's page cache
 * when it holds the current version (pcache.h). */
static bool is_status(const struct phx_node *n, int flags)
{
	return n->kind == NK_GEN && (flags & O_ACCMODE) == O_RDONLY &&
	       strcmp(n->path + n->name_off, "status") == 0;
}

int op_open(const char *path, struct fuse_file_info *fi)
{
	struct phx_fs *fs = phx_fs_get();
	const struct phx_kind *k;
	struct phx_handle *h = NULL;
	struct phx_node n;
	int rc;

	if ((rc = phx_node_resolve(fs, path, &n)) < 0)
		return rc;
	if ((fi->flags & O_ACCMODE) != O_RDONLY && !phx_fs_may_change(fs))
		return -EACCES;
	k = phx_kind(&n);
	if (!k->open)
		return -k->not_applicable;
	if ((rc = k->open(fs, &n, fi->flags, false, &h)) < 0)
		return rc;
	opened(fi, h);
	/* Nothing to commit at close for a read-only open: the kernel need
	 * not send FLUSH (libfuse's no_rofd_flush, per open). */
	if ((fi->flags & O_ACCMODE) == O_RDONLY && !(fi->flags & O_TRUNC))
		fi->noflush = 1;
	if (is_status(&n, fi->flags) && phx_pcache_open_status(fs->pcache, n.ctid)) {
		h->page_cached = true;
		fi->direct_io = 0;
		fi->keep_cache = 1;
	}
	return 0;
}

int op_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct phx_fs *fs = phx_fs_get();
	const struct phx_kind *k;
	struct phx_handle *h = NULL;
	struct phx_node n;
	int rc;

	if (!phx_fs_may_change(fs))
		return -EACCES;
	if ((rc = phx_node_resolve(fs, path, &n)) < 0)
		return rc;
	/* the second half of a replacement by unlink + create (replace.h):
	 * the value is back in place, and the create opens it emptied */
	if (phx_replace_put_back(fs, path, fuse_get_context()->pid, &n)) {
		if ((rc = phx_kind(&n)->open(fs, &n, fi->flags, true, &h)) < 0)
			return rc;
		return opened(fi, h);
	}
	k = phx_kind(&n);
	if (!k->create)
		return -k->not_applicable;
	if ((rc = k->create(fs, &n, mode, fi->flags, &h)) < 0)
		return rc;
	return opened(fi, h);
}

int op_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct phx_handle *h = FH(fi);

	(void)path;
	if (!h->kind->h_read)
		return -EBADF;
	if (h->page_cached) {
		/* One text for the whole open, taken at its first read: the
		 * kernel may read a page again, and each read must be of the
		 * same text (a status changing meanwhile is never mixed). */
		size_t len;

		pthread_mutex_lock(&h->lock);
		if (!h->have_snap) {
			if (!(h->snap = phx_pcache_cached_text(phx_fs_get()->pcache, h->node.ctid))) {
				pthread_mutex_unlock(&h->lock);
				return -ENOMEM;
			}
			h->snaplen = strlen(h->snap);
			h->have_snap = true;
		}
		len = h->snaplen;
		if (off < 0 || (size_t)off >= len)
			size = 0;
		else if (size > len - (size_t)off)
			size = len - (size_t)off;
		if (size)
			memcpy(buf, h->snap + off, size);
		pthread_mutex_unlock(&h->lock);
		return (int)size;
	}
	return (int)h->kind->h_read(phx_fs_get(), h, buf, size, off);
}

int op_write(const char *path, const char *buf, size_t size, off_t off,
	     struct fuse_file_info *fi)
{
	struct phx_handle *h = FH(fi);

	(void)path;
	if (!h->kind->h_write)
		return -EBADF;
	return (int)h->kind->h_write(phx_fs_get(), h, buf, size, off);
}

static int commit_handle(struct fuse_file_info *fi)
{
	struct phx_handle *h = FH(fi);

	if (!h || !h->kind->h_commit)
		return 0;
	return h->kind->h_commit(phx_fs_get(), h);
}

int op_flush(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	return commit_handle(fi);
}

int op_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)path;
	(void)datasync;
	return commit_handle(fi);
}

int op_release(const char *path, struct fuse_file_info *fi)
{
	int rc = commit_handle(fi);

	if (rc < 0)
		phx_warn("%s: value dropped at close: %s", path, strerror(-rc));
	if (FH(fi)->page_cached)
		phx_pcache_release_status(phx_fs_get()->pcache, FH(fi)->node.ctid);
	phx_handle_free(phx_fs_get(), FH(fi));
	return 0;
}

int op_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct phx_fs *fs = phx_fs_get();
	const struct phx_kind *k;
	struct phx_node n;
	int rc;

	if (!phx_fs_may_change(fs))
		return -EACCES;
	if (fi && fi->fh) {
		struct phx_handle *h = FH(fi);

		return h->kind->h_truncate ? h->kind->h_truncate(fs, h, size) : -EBADF;
	}
	if ((rc = phx_node_resolve(fs, path, &n)) < 0)
		return rc;
	k = phx_kind(&n);
	return k->truncate ? k->truncate(fs, &n, size) : -EISDIR;
}
