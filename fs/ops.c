/* The FUSE operations: each resolves its path to a node (node.c) and hands
 * the work to the piece that owns it — rendering (render.c), write buffers
 * (handle.c), document changes (commit.c), scratch files (scratch.c), the
 * engine for ctl and wait. Nothing here waits on the backend. */
#include "fs/ops.h"

#include "backend/log.h"
#include "fs/commit.h"
#include "fs/handle.h"
#include "fs/pending.h"
#include "fs/phoenixfs.h"
#include "fs/render.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define FH(fi) ((struct phx_handle *)(uintptr_t)(fi)->fh)

struct phx_fs *phx_fs_get(void)
{
	return fuse_get_context()->private_data;
}

bool phx_fs_backend_has(void *fs, uint32_t ctid)
{
	return phx_engine_exists(((struct phx_fs *)fs)->engine, ctid);
}

/* mtime of document-backed files: when the document last changed. */
static struct timespec doc_time(struct phx_fs *fs)
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

static void stat_dir(struct phx_fs *fs, struct stat *st)
{
	st->st_mode = S_IFDIR | 0755;
	st->st_nlink = 2;
	st->st_uid = fs->uid;
	st->st_gid = fs->gid;
	st->st_size = 0;
	st->st_mtim = st->st_ctim = st->st_atim = doc_time(fs);
}

static void stat_file(struct phx_fs *fs, struct stat *st, mode_t mode, size_t size, bool live)
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

static int rendered_size(struct phx_fs *fs, const struct phx_node *n, size_t *size)
{
	char *s;
	int rc = phx_render(fs, n, &s, size);

	if (rc == 0)
		free(s);
	return rc;
}

/* The root config.json is the whole document serialized: megabytes at
 * 10,000 containers, and ls -l of the root stats it every time. Its size
 * changes only with the document, so keep it per generation. */
static int root_config_size(struct phx_fs *fs, const struct phx_node *n, size_t *size)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static uint64_t seen_gen;
	static size_t seen_size;
	static bool valid;
	uint64_t gen = phx_doc_generation(fs->doc);
	int rc;

	pthread_mutex_lock(&lock);
	if (valid && seen_gen == gen) {
		*size = seen_size;
		pthread_mutex_unlock(&lock);
		return 0;
	}
	pthread_mutex_unlock(&lock);
	/* generations only grow: a size rendered from a document newer than
	 * gen is served only while gen is current, which it no longer is */
	if ((rc = rendered_size(fs, n, size)) < 0)
		return rc;
	pthread_mutex_lock(&lock);
	seen_gen = gen;
	seen_size = *size;
	valid = true;
	pthread_mutex_unlock(&lock);
	return 0;
}

static int node_stat(struct phx_fs *fs, const struct phx_node *n, struct stat *st)
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
		if ((rc = n->kind == NK_ROOT_CONFIG ? root_config_size(fs, n, &size)
						    : rendered_size(fs, n, &size)) < 0)
			return rc;
		stat_file(fs, st, 0644, size, false);
		return 0;
	case NK_NONE:
		return phx_scratch_stat(fs->scratch, n->path, st) ? 0 : -ENOENT;
	}
	return -ENOENT;
}

static int op_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
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

struct fill_ctx {
	void *buf;
	fuse_fill_dir_t filler;
};

static void fill_scratch(void *arg, const char *name, const struct stat *st)
{
	struct fill_ctx *c = arg;

	c->filler(c->buf, name, st, 0, 0);
}

static void fill(struct fill_ctx *c, const char *name, mode_t type)
{
	struct stat st = { .st_mode = type };

	c->filler(c->buf, name, &st, 0, 0);
}

static int list_root(struct phx_fs *fs, struct fill_ctx *c)
{
	uint32_t *ids;
	size_t n = phx_all_ctids(fs, &ids);

	fill(c, "config.json", S_IFREG);
	fill(c, "status", S_IFREG);
	for (size_t i = 0; i < n; i++) {
		char name[16];

		snprintf(name, sizeof(name), "%u", ids[i]);
		fill(c, name, S_IFDIR);
	}
	free(ids);
	return 0;
}

static int list_ct(struct phx_fs *fs, const struct phx_node *n, struct fill_ctx *c)
{
	json_object *entry;

	fill(c, "config.json", S_IFREG);
	for (int g = 0; g <= GEN_CTL; g++)
		fill(c, phx_gen_names[g], S_IFREG);
	phx_doc_rdlock(fs->doc);
	entry = phx_doc_entry(fs->doc, n->ctid);
	for (size_t i = 0; i < phx_nattrs; i++) {
		const struct phx_attr *a = &phx_attrs[i];
		json_object *v = NULL;
		bool shown = entry && json_object_object_get_ex(entry, a->key, &v) &&
			     !((a->flags & PHX_A_ONLY_TRUE) && !json_object_get_boolean(v));

		if (shown || phx_pending_has(fs->pending, n->ctid, a))
			fill(c, a->file, S_IFREG);
	}
	if (entry) {
		json_object_object_foreach(entry, key, val) {
			if (phx_attr_by_key(key) || !key[0] || strchr(key, '/') ||
			    !strcmp(key, ".") || !strcmp(key, "..") ||
			    !strcmp(key, "config.json"))
				continue;
			bool gen = false;

			for (int g = 0; g <= GEN_CTL; g++)
				gen |= strcmp(key, phx_gen_names[g]) == 0;
			if (!gen)
				fill(c, key, json_object_is_type(val, json_type_object) ? S_IFDIR : S_IFREG);
		}
	}
	phx_doc_unlock(fs->doc);
	return 0;
}

static int list_keydir(struct phx_fs *fs, const struct phx_node *n, struct fill_ctx *c)
{
	json_object *v;

	phx_doc_rdlock(fs->doc);
	v = phx_node_value(n, phx_doc_root(fs->doc));
	if (v && json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, key, val) {
			if (key[0] && !strchr(key, '/') && strcmp(key, ".") && strcmp(key, ".."))
				fill(c, key, json_object_is_type(val, json_type_object) ? S_IFDIR : S_IFREG);
		}
	}
	phx_doc_unlock(fs->doc);
	return 0;
}

static int op_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct phx_fs *fs = phx_fs_get();
	struct fill_ctx c = { buf, filler };
	struct phx_node n;
	int rc;

	(void)off;
	(void)fi;
	(void)flags;
	if ((rc = phx_node_resolve(fs, path, &n)) < 0)
		return rc;
	fill(&c, ".", S_IFDIR);
	fill(&c, "..", S_IFDIR);
	switch (n.kind) {
	case NK_ROOT:
		rc = list_root(fs, &c);
		break;
	case NK_CT:
		if (!n.present && !n.on_backend)
			return -ENOENT;
		rc = list_ct(fs, &n, &c);
		break;
	case NK_KEYDIR:
		rc = list_keydir(fs, &n, &c);
		break;
	default:
		return -ENOTDIR;
	}
	phx_scratch_list(fs->scratch, path, fill_scratch, &c);
	return rc;
}

/* Open a resolved node; shared by open and create. */
static int open_node(struct phx_fs *fs, const struct phx_node *n, struct fuse_file_info *fi,
		     bool created)
{
	int acc = fi->flags & O_ACCMODE;
	bool wr = acc != O_RDONLY, rd = acc != O_WRONLY;
	struct phx_handle *h;
	bool pend = false;
	int rc;

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

static int op_open(const char *path, struct fuse_file_info *fi)
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
static bool put_back_removed(struct phx_fs *fs, const char *path, struct phx_node *n)
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

static int op_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct phx_fs *fs = phx_fs_get();
	struct fuse_context *ctx = fuse_get_context();
	struct phx_node n;
	struct phx_sfile *f;
	char err[1024] = "";
	int rc;

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

static bool interrupted(void)
{
	return fuse_interrupted() != 0;
}

static int op_read(const char *path, char *buf, size_t size, off_t off,
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
		int rc = phx_engine_wait(fs->engine, h->node.ctid, interrupted, status,
					 sizeof(status));

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

static int op_write(const char *path, const char *buf, size_t size, off_t off,
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

static int op_flush(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	return commit_handle(fi);
}

static int op_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)path;
	(void)datasync;
	return commit_handle(fi);
}

static int op_release(const char *path, struct fuse_file_info *fi)
{
	struct phx_fs *fs = phx_fs_get();
	struct phx_handle *h = FH(fi);
	int rc = commit_handle(fi);

	if (rc < 0)
		phx_warn("%s: value dropped at close: %s", path, strerror(-rc));
	phx_handle_free(fs, h);
	return 0;
}

static int op_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct phx_fs *fs = phx_fs_get();
	struct phx_node n;
	int rc;

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

/* rm of a value; what was removed is kept a moment for put_back_removed. */
static int remove_value(struct phx_fs *fs, const struct phx_node *n, char *err, size_t errlen)
{
	int index = 0;
	json_object *old = phx_value_snapshot(fs, n, &index);
	int rc = phx_value_remove(fs, n, err, errlen);

	if (rc == 0 && old)
		phx_pending_removed(fs->pending, n->path, fuse_get_context()->pid, old, index);
	else
		json_object_put(old);
	return rc;
}

static int op_unlink(const char *path)
{
	struct phx_fs *fs = phx_fs_get();
	struct phx_node n;
	char err[1024] = "";
	int rc;

	if ((rc = phx_node_resolve(fs, path, &n)) < 0)
		return rc;
	switch (n.kind) {
	case NK_ATTR:
		if (!n.present)
			return phx_pending_has(fs->pending, n.ctid, n.attr) ? 0 : -ENOENT;
		return remove_value(fs, &n, err, sizeof(err));
	case NK_KEY:
		return remove_value(fs, &n, err, sizeof(err));
	case NK_NONE:
		return phx_scratch_unlink(fs->scratch, path);
	case NK_ROOT:
	case NK_CT:
	case NK_KEYDIR:
		return -EISDIR;
	default:
		snprintf(err, sizeof(err), "%s is generated by phoenixfs and cannot be removed", n.name);
		phx_refused(fs, &n, -EPERM, err);
		return -EPERM;
	}
}

static int op_mkdir(const char *path, mode_t mode)
{
	struct phx_fs *fs = phx_fs_get();
	struct phx_node n;
	char err[1024] = "";
	int rc;

	(void)mode;
	if ((rc = phx_node_resolve(fs, path, &n)) < 0)
		return rc;
	switch (n.kind) {
	case NK_CT:
		if (n.present)
			return -EEXIST;
		return phx_entry_add(fs, &n, err, sizeof(err));
	case NK_NONE:
		if (n.ctid == 0) {
			phx_warn("mkdir %s: only container ids (100 to 999999999) may be made at the root", path);
			return -EINVAL;
		}
		if (phx_scratch_stat(fs->scratch, path, &(struct stat){ 0 }))
			return -EEXIST;
		return phx_entry_add(fs, &n, err, sizeof(err));
	default:
		return -EEXIST;
	}
}

static int op_rmdir(const char *path)
{
	struct phx_fs *fs = phx_fs_get();
	struct phx_node n;
	char err[1024] = "";
	int rc;

	if ((rc = phx_node_resolve(fs, path, &n)) < 0)
		return rc;
	switch (n.kind) {
	case NK_CT:
		if (!n.present)
			return n.on_backend ? -EBUSY : -ENOENT;
		rc = phx_entry_remove(fs, &n, err, sizeof(err));
		if (rc == 0)
			phx_scratch_drop_dir(fs->scratch, path);
		return rc;
	case NK_KEYDIR:
		rc = phx_entry_remove(fs, &n, err, sizeof(err));
		if (rc == 0)
			phx_scratch_drop_dir(fs->scratch, path);
		return rc;
	case NK_ROOT:
		return -EBUSY;
	case NK_NONE:
		return phx_scratch_stat(fs->scratch, path, &(struct stat){ 0 }) ? -ENOTDIR : -ENOENT;
	default:
		return -ENOTDIR;
	}
}

static int op_rename(const char *from, const char *to, unsigned int flags)
{
	struct phx_fs *fs = phx_fs_get();
	struct phx_node src, dst;
	struct phx_sfile *f;
	char err[1024] = "";
	char *data;
	size_t len;
	int rc;

	if (flags & ~RENAME_NOREPLACE)
		return -EINVAL; /* RENAME_EXCHANGE, RENAME_WHITEOUT */
	if ((rc = phx_node_resolve(fs, from, &src)) < 0 ||
	    (rc = phx_node_resolve(fs, to, &dst)) < 0)
		return rc;
	if (src.kind != NK_NONE) {
		/* Values and generated files keep their names. vim falls back to
		 * a copy and an in-place write when this is refused. */
		return node_stat(fs, &src, &(struct stat){ 0 }) < 0 ? -ENOENT : -EPERM;
	}
	f = phx_scratch_get(fs->scratch, from);
	if (!f)
		return -ENOENT;
	if ((flags & RENAME_NOREPLACE) && node_stat(fs, &dst, &(struct stat){ 0 }) == 0) {
		phx_sfile_put(f);
		return -EEXIST;
	}
	/* vim, after a refused write with backupcopy=no, removes the value and
	 * renames its backup onto it: like a re-create, this puts the value
	 * back in its place first, so the commit below keeps the key order. */
	if ((dst.kind == NK_ATTR && !dst.present) || (dst.kind == NK_NONE && dst.ctid))
		put_back_removed(fs, to, &dst);
	switch (dst.kind) {
	case NK_NONE:
		phx_sfile_put(f);
		if (dst.ctid == 0 && strchr(to + 1, '/'))
			return -ENOENT;
		return phx_scratch_rename(fs->scratch, from, to);
	case NK_ATTR:
	case NK_KEY:
	case NK_CT_CONFIG:
	case NK_ROOT_CONFIG:
		/* temp-file-and-rename writers: the rename is the commit, and its
		 * errno is the one they report (CLIENTS.md §1.4) */
		data = phx_sfile_content(f, &len);
		phx_sfile_put(f);
		if (!data)
			return -ENOMEM;
		if (len > phx_value_limit(&dst)) {
			snprintf(err, sizeof(err), "%s: value larger than the %zu-byte limit", dst.name,
				 phx_value_limit(&dst));
			phx_refused(fs, &dst, -EFBIG, err);
			free(data);
			return -EFBIG;
		}
		rc = phx_value_commit(fs, &dst, data, len, err, sizeof(err));
		free(data);
		if (rc == 0)
			phx_scratch_unlink(fs->scratch, from);
		return rc;
	case NK_GEN:
	case NK_ROOT_STATUS:
		phx_sfile_put(f);
		snprintf(err, sizeof(err), "%s is generated by phoenixfs and cannot be replaced", dst.name);
		phx_refused(fs, &dst, -EPERM, err);
		return -EPERM;
	default:
		phx_sfile_put(f);
		return -EISDIR;
	}
}

/* chmod, chown and utimens: a scratch file stores what it is given; a value
 * or generated file keeps what phoenixfs serves. Tools set modes and times
 * on their way (install -m, rsync, Ansible's copystat, touch) and are
 * content with success; docs/clients.md says what is and is not stored. */
static int set_attrs(const char *path, struct fuse_file_info *fi, const mode_t *mode,
		     const uid_t *uid, const gid_t *gid, const struct timespec *tv)
{
	struct phx_fs *fs = phx_fs_get();
	struct phx_sfile *f = NULL;
	struct phx_node n;
	int rc;

	if (fi && fi->fh && FH(fi)->sfile) {
		phx_sfile_setattr(FH(fi)->sfile, mode, uid, gid, tv);
		return 0;
	}
	if ((rc = phx_node_resolve(fs, path, &n)) < 0)
		return rc;
	if (n.kind == NK_NONE && (f = phx_scratch_get(fs->scratch, path))) {
		phx_sfile_setattr(f, mode, uid, gid, tv);
		phx_sfile_put(f);
		return 0;
	}
	if ((rc = node_stat(fs, &n, &(struct stat){ 0 })) < 0)
		return rc;
	/* Ownership is the mount's; a change to it cannot be kept. */
	if ((uid && *uid != (uid_t)-1 && *uid != fs->uid) ||
	    (gid && *gid != (gid_t)-1 && *gid != fs->gid))
		return -EPERM;
	return 0;
}

static int op_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	return set_attrs(path, fi, &mode, NULL, NULL, NULL);
}

static int op_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	return set_attrs(path, fi, NULL, &uid, &gid, NULL);
}

static int op_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	return set_attrs(path, fi, NULL, NULL, NULL, tv);
}

static int op_statfs(const char *path, struct statvfs *sv)
{
	struct phx_fs *fs = phx_fs_get();
	char *copy = strdup(phx_doc_path(fs->doc));
	int rc;

	(void)path;
	if (!copy)
		return -ENOMEM;
	/* The space that matters is where the document is saved. */
	rc = statvfs(dirname(copy), sv) == 0 ? 0 : -errno;
	free(copy);
	sv->f_namemax = 255;
	return rc;
}

static void *op_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	(void)conn;
	cfg->use_ino = 0;
	cfg->hard_remove = 1;   /* unlinked scratch files live on in their handles */
	cfg->intr = 1;          /* Ctrl-C reaches a blocked read of wait */
	cfg->entry_timeout = 1.0;
	cfg->attr_timeout = 1.0;
	cfg->negative_timeout = 0; /* containers appear by outside edits too */
	cfg->direct_io = 1;
	return fuse_get_context()->private_data;
}

const struct fuse_operations phx_ops = {
	.init = op_init,
	.getattr = op_getattr,
	.readdir = op_readdir,
	.open = op_open,
	.create = op_create,
	.read = op_read,
	.write = op_write,
	.flush = op_flush,
	.fsync = op_fsync,
	.release = op_release,
	.truncate = op_truncate,
	.unlink = op_unlink,
	.mkdir = op_mkdir,
	.rmdir = op_rmdir,
	.rename = op_rename,
	.chmod = op_chmod,
	.chown = op_chown,
	.utimens = op_utimens,
	.statfs = op_statfs,
};
