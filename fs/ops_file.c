/* Open files: opening a node (or creating one), reads rendered from the doc
 * and the engine, writes into the handle's buffer, commits at flush, fsync
 * and release, truncation. wait blocks here, on its own thread only. */
#include "fs/ops_int.h"

#include "backend/log.h"
#include "fs/commit.h"
#include "fs/handle.h"
#include "fs/pending.h"
#include "fs/render.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int open_node(struct phx_fs *fs, const struct phx_node *n, struct fuse_file_info *fi,
		     bool created)
{
	int acc = fi->flags & O_ACCMODE;
	bool wr = acc != O_RDONLY, rd = acc != O_WRONLY;
	struct phx_handle *h;
	bool pend = false;
	int rc;

	if (wr && !phx_fs_may_change(fs))
		return -EACCES;
	switch (n->kind) {
	case NK_ROOT:
	case NK_CT:
	case NK_KEYDIR:
		return -EISDIR;
	case NK_ROOT_STATUS:
		if (wr)
			return -EACCES;
		break;
	case NK_GEN:
		if (n->gen == GEN_CTL ? rd : wr)
			return -EACCES;
		break;
	case NK_ATTR:
	case NK_KEY:
	case NK_CT_CONFIG:
	case NK_ROOT_CONFIG:
		/* append has no meaning for a one-value file: refuse it rather
		 * than commit "old\nnew" */
		if (wr && (fi->flags & O_APPEND))
			return -EINVAL;
		if (n->kind == NK_ATTR && !n->present && !created &&
		    !phx_pending_has(fs->pending, n->ctid, n->attr)) {
			/* The kernel may still hold a name that a refused create
			 * left behind; a write through it is a create again. */
			if (!wr)
				return -ENOENT;
			if ((rc = phx_pending_add(fs->pending, n->ctid, n->attr)) < 0)
				return rc;
			pend = true;
		}
		break;
	case NK_NONE:
		break;
	}
	h = phx_handle_new(n, wr);
	if (!h) {
		if (pend)
			phx_pending_drop(fs->pending, n->ctid, n->attr);
		return -ENOMEM;
	}
	if (pend) {
		h->pending = true;
		created = true;
	}
	if (n->kind == NK_NONE) {
		h->sfile = phx_scratch_get(fs->scratch, n->path);
		if (!h->sfile) {
			phx_handle_free(fs, h);
			return -ENOENT;
		}
		if (fi->flags & O_TRUNC)
			phx_sfile_truncate(h->sfile, 0);
	} else if (wr && n->kind != NK_GEN) {
		if (fi->flags & O_TRUNC || created)
			h->fresh = true;
		else if ((rc = phx_handle_load(fs, h)) < 0) {
			phx_handle_free(fs, h);
			return rc;
		}
	}
	/* Every read and write reaches us: generated content changes under
	 * the reader and values must be checked per write (CLIENTS.md §3). */
	fi->direct_io = 1;
	fi->keep_cache = 0;
	fi->fh = (uintptr_t)h;
	return 0;
}

int op_open(const char *path, struct fuse_file_info *fi)
{
	struct phx_fs *fs = phx_fs_get();
	struct phx_node n;
	int rc;

	if ((rc = phx_node_resolve(fs, path, &n)) < 0)
		return rc;
	return open_node(fs, &n, fi, false);
}

/* A create by the process that removed this value a moment ago is the second
 * half of a replacement (install, mv from another filesystem, git checkout,
 * vim): put the old value back in its place, then the create opens it like
 * an O_TRUNC open. The new value replaces it in place when accepted; a
 * refused one leaves the document as it was before the rm. */
bool put_back_removed(struct phx_fs *fs, const char *path, struct phx_node *n)
{
	char err[1024] = "";
	json_object *old;
	int index = 0, rc;

	old = phx_pending_take_removed(fs->pending, path, fuse_get_context()->pid, &index);
	if (!old)
		return false;
	rc = phx_value_reinsert(fs, n, old, index, err, sizeof(err));
	json_object_put(old);
	if (rc < 0)
		return false;
	return phx_node_resolve(fs, path, n) == 0 && phx_node_is_value(n) &&
	       (n->kind != NK_ATTR || n->present);
}

int op_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct phx_fs *fs = phx_fs_get();
	struct fuse_context *ctx = fuse_get_context();
	struct phx_node n;
	struct phx_sfile *f;
	char err[1024] = "";
	int rc;

	if (!phx_fs_may_change(fs))
		return -EACCES;
	if ((rc = phx_node_resolve(fs, path, &n)) < 0)
		return rc;
	if (((n.kind == NK_ATTR && !n.present) || (n.kind == NK_NONE && n.ctid)) &&
	    put_back_removed(fs, path, &n))
		return open_node(fs, &n, fi, true);
	switch (n.kind) {
	case NK_ATTR:
		if (n.present) {
			if (fi->flags & O_EXCL)
				return -EEXIST;
			return open_node(fs, &n, fi, true);
		}
		if (n.attr->flags & PHX_A_TOUCH_SETS) {
			/* touch is_template: creating the file is the request */
			rc = phx_value_commit(fs, &n, "true\n", 5, err, sizeof(err));
			if (rc < 0)
				return rc;
			n.present = true;
			return open_node(fs, &n, fi, true);
		}
		if ((rc = phx_pending_add(fs->pending, n.ctid, n.attr)) < 0)
			return rc;
		rc = open_node(fs, &n, fi, true);
		if (rc < 0)
			phx_pending_drop(fs->pending, n.ctid, n.attr);
		else
			FH(fi)->pending = true;
		return rc;
	case NK_NONE:
		if (n.ctid == 0 && strchr(path + 1, '/'))
			return -ENOENT;
		rc = phx_scratch_create(fs->scratch, path, mode, ctx->uid, ctx->gid, &f);
		if (rc < 0)
			return rc;
		phx_sfile_put(f);
		return open_node(fs, &n, fi, true);
	case NK_CT:
		if (!n.present && !n.on_backend)
			return -EPERM; /* containers are made with mkdir */
		return -EISDIR;
	default:
		if ((fi->flags & O_EXCL))
			return -EEXIST;
		return open_node(fs, &n, fi, true);
	}
}

/* A blocked reader of wait ends when its request is interrupted (Ctrl-C)
 * and when the mount is shutting down (SIGTERM, SIGINT, SIGHUP): libfuse's
 * loop joins every worker before it returns, so one reader still waiting
 * for a long build would keep the mount up, answering nothing, until the
 * build settled. */
static bool interrupted(void)
{
	struct fuse_context *ctx = fuse_get_context();

	return fuse_interrupted() != 0 ||
	       (ctx && ctx->fuse && fuse_session_exited(fuse_get_session(ctx->fuse)));
}

int op_read(const char *path, char *buf, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	struct phx_fs *fs = phx_fs_get();
	struct phx_handle *h = FH(fi);
	ssize_t n;

	(void)path;
	if (h->sfile)
		return (int)phx_sfile_read(h->sfile, buf, size, off);
	if (h->node.kind == NK_GEN && h->node.gen == GEN_WAIT && off == 0) {
		/* Blocks only this request's thread; the loop starts more
		 * threads for everyone else (max_threads is raised in main). */
		char status[1024];
		bool failed = false;
		int rc;

		if (__atomic_add_fetch(&fs->waiters, 1, __ATOMIC_RELAXED) <= fs->max_waiters) {
			rc = phx_engine_wait(fs->engine, h->node.ctid, interrupted, status,
					     sizeof(status));
			__atomic_sub_fetch(&fs->waiters, 1, __ATOMIC_RELAXED);
		} else {
			/* Every thread but the few kept free is blocked in wait
			 * already: one more would leave the mount unable to
			 * answer anything. A settled container still answers. */
			__atomic_sub_fetch(&fs->waiters, 1, __ATOMIC_RELAXED);
			if (!phx_engine_settled(fs->engine, h->node.ctid, status, sizeof(status),
						&failed)) {
				phx_warn("%u/wait: %u readers of wait block already (max_threads): "
					 "refused with EAGAIN", h->node.ctid, fs->max_waiters);
				return -EAGAIN;
			}
			rc = failed ? -EIO : 0;
		}
		if (rc == -EINTR)
			return -EINTR;
		pthread_mutex_lock(&h->lock);
		free(h->snap);
		h->snaplen = strlen(status) + 1;
		h->snap = malloc(h->snaplen + 1);
		if (h->snap)
			snprintf(h->snap, h->snaplen + 1, "%s\n", status);
		h->have_snap = h->snap != NULL;
		pthread_mutex_unlock(&h->lock);
		if (rc < 0)
			return rc; /* settled failed: EIO, so cat exits non-zero */
	}
	pthread_mutex_lock(&h->lock);
	if (h->node.kind == NK_GEN && h->node.gen == GEN_WAIT) {
		n = 0;
		if (h->have_snap && (size_t)off < h->snaplen) {
			n = (ssize_t)(h->snaplen - (size_t)off < size ? h->snaplen - (size_t)off : size);
			memcpy(buf, h->snap + off, (size_t)n);
		}
	} else {
		n = phx_handle_read(fs, h, buf, size, off);
	}
	pthread_mutex_unlock(&h->lock);
	return (int)n;
}

static int ctl_write(struct phx_fs *fs, struct phx_handle *h, const char *buf, size_t size)
{
	char cmd[64], err[1024] = "";
	const char *s = buf;
	size_t len = phx_trim(&s, size);
	int rc;

	if (len == 0 || len >= sizeof(cmd)) {
		snprintf(err, sizeof(err), "ctl: '%.*s' is not a command (create, start, stop, restart, retry, destroy, refresh)",
			 (int)(len > 40 ? 40 : len), s);
		phx_refused(fs, &h->node, -EINVAL, err);
		return -EINVAL;
	}
	memcpy(cmd, s, len);
	cmd[len] = '\0';
	/* the engine records its own refusals in error and log */
	rc = phx_engine_ctl(fs->engine, h->node.ctid, cmd, err, sizeof(err));
	return rc < 0 ? rc : (int)size;
}

int op_write(const char *path, const char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct phx_fs *fs = phx_fs_get();
	struct phx_handle *h = FH(fi);
	ssize_t n;

	(void)path;
	if (h->sfile)
		return (int)phx_sfile_write(h->sfile, buf, size, off);
	if (h->node.kind == NK_GEN)
		return ctl_write(fs, h, buf, size);
	pthread_mutex_lock(&h->lock);
	n = phx_handle_write(fs, h, buf, size, off);
	pthread_mutex_unlock(&h->lock);
	return (int)n;
}

static int commit_handle(struct fuse_file_info *fi)
{
	struct phx_fs *fs = phx_fs_get();
	struct phx_handle *h = FH(fi);
	int rc;

	if (!h || h->sfile || h->node.kind == NK_GEN)
		return 0;
	pthread_mutex_lock(&h->lock);
	rc = phx_handle_commit(fs, h);
	pthread_mutex_unlock(&h->lock);
	return rc;
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
	struct phx_fs *fs = phx_fs_get();
	struct phx_handle *h = FH(fi);
	int rc = commit_handle(fi);

	if (rc < 0)
		phx_warn("%s: value dropped at close: %s", path, strerror(-rc));
	phx_handle_free(fs, h);
	return 0;
}

int op_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct phx_fs *fs = phx_fs_get();
	struct phx_node n;
	int rc;

	if (!phx_fs_may_change(fs))
		return -EACCES;
	if (fi && fi->fh) {
		struct phx_handle *h = FH(fi);

		if (h->sfile)
			return phx_sfile_truncate(h->sfile, size);
		if (h->node.kind == NK_GEN)
			return h->node.gen == GEN_CTL ? 0 : -EACCES;
		pthread_mutex_lock(&h->lock);
		rc = phx_handle_truncate(h, size);
		pthread_mutex_unlock(&h->lock);
		return rc;
	}
	if ((rc = phx_node_resolve(fs, path, &n)) < 0)
		return rc;
	switch (n.kind) {
	case NK_NONE: {
		struct phx_sfile *f = phx_scratch_get(fs->scratch, path);

		if (!f)
			return -ENOENT;
		rc = phx_sfile_truncate(f, size);
		phx_sfile_put(f);
		return rc;
	}
	case NK_GEN:
		return n.gen == GEN_CTL ? 0 : -EACCES;
	case NK_ROOT_STATUS:
		return -EACCES;
	case NK_ATTR:
	case NK_KEY:
	case NK_CT_CONFIG:
	case NK_ROOT_CONFIG: {
		/* truncate(1) by name: only emptying is meaningful, and an empty
		 * value is "nothing written yet", so it changes nothing. Any other
		 * size rewrites the value cut at that size, like any file. */
		struct phx_handle *h;

		if (size == 0)
			return node_stat(fs, &n, &(struct stat){ 0 });
		h = phx_handle_new(&n, true);
		if (!h)
			return -ENOMEM;
		rc = phx_handle_load(fs, h);
		if (rc == 0 && (size_t)size != h->len) {
			rc = phx_handle_truncate(h, size);
			h->dirty = true;
			if (rc == 0)
				rc = phx_handle_commit(fs, h);
		}
		phx_handle_free(fs, h);
		return rc;
	}
	default:
		return -EISDIR;
	}
}
