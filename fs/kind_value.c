/* Values: what a read shows from the document and a write commits to it.
 * Attribute files (the schema's rows), the entry's other keys as JSON, a
 * container's config.json (the whole entry), the root's config.json (the
 * whole document), and a known key not in the document yet
 * (network_config/name), which a write creates. The bytes go into the
 * handle's buffer (handle.c) and commit.c turns them into a checked change. */
#include "fs/kind.h"

#include "backend/log.h"
#include "fs/commit.h"
#include "fs/handle.h"
#include "fs/mtimes.h"
#include "fs/replace.h"
#include "fs/scratch.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A name that holds no value yet: an absent attribute, a known key. */
static bool absent(const struct phx_node *n)
{
	return (n->kind == NK_ATTR && !n->present) || n->kind == NK_NONE;
}

/* The mtime of a value: when it last changed (an object directory's key:
 * when that top key did; an entry's config.json: when anything of the
 * entry did; the whole document: when the document did). */
static void value_time(struct phx_fs *fs, const struct phx_node *n, struct stat *st)
{
	char key[PHX_NAME_MAX + 1];

	if (!fs->mtimes || n->kind == NK_ROOT_CONFIG)
		return; /* phx_stat_file gave the document's time */
	st->st_mtim = phx_mtimes_get(fs->mtimes, n->ctid,
				     n->kind == NK_CT_CONFIG ? NULL : phx_node_key(n, key));
	st->st_ctim = st->st_atim = st->st_mtim;
}

static int value_getattr(struct phx_fs *fs, const struct phx_node *n, struct stat *st)
{
	size_t size = 0;
	int rc;

	if (absent(n))
		return phx_created_stat(fs, n, st);
	if (phx_handle_unflushed_size(fs, n->path, &size)) {
		phx_stat_file(fs, st, 0644, size, false);
		return 0;
	}
	/* the whole document's size is the doc's to know: serializing
	 * 10,000 entries per stat would dominate `ls -l` */
	if ((rc = n->kind == NK_ROOT_CONFIG ? phx_doc_text_size(fs->doc, &size)
					    : phx_rendered_size(fs, n, &size)) < 0)
		return rc;
	phx_stat_file(fs, st, 0644, size, false);
	value_time(fs, n, st);
	return 0;
}

static int done(char *s, char **out, size_t *len)
{
	if (!s)
		return -ENOMEM;
	*out = s;
	*len = strlen(s);
	return 0;
}

/* the whole document, laid out as the file on disk */
static int render_document(struct phx_fs *fs, const struct phx_node *n, char **out,
			   size_t *len)
{
	char *s;

	(void)n;
	phx_doc_rdlock(fs->doc);
	s = phx_doc_text(fs->doc, len);
	phx_doc_unlock(fs->doc);
	if (!s)
		return -ENOMEM;
	*out = s;
	return 0;
}

/* an entry: {} for a container that has none */
static int render_entry(struct phx_fs *fs, const struct phx_node *n, char **out, size_t *len)
{
	json_object *v;
	char *s = NULL;

	phx_doc_rdlock(fs->doc);
	v = phx_doc_entry(fs->doc, n->ctid);
	if (v) {
		s = phx_json_format(v);
	} else {
		json_object *empty = json_object_new_object();

		s = empty ? phx_json_format(empty) : NULL;
		json_object_put(empty);
	}
	phx_doc_unlock(fs->doc);
	return done(s, out, len);
}

/* an attribute as its row formats it, another key as its JSON text */
static int render_value(struct phx_fs *fs, const struct phx_node *n, char **out, size_t *len)
{
	bool attr = n->kind == NK_ATTR;
	json_object *v;
	char *s;

	phx_doc_rdlock(fs->doc);
	v = phx_node_value(n, phx_doc_root(fs->doc));
	if (v && attr && (n->attr->flags & PHX_A_ONLY_TRUE) && !json_object_get_boolean(v))
		v = NULL;
	if (!v) {
		phx_doc_unlock(fs->doc);
		return -ENOENT;
	}
	s = attr ? phx_attr_format(n->attr, v) : phx_json_format(v);
	phx_doc_unlock(fs->doc);
	return done(s, out, len);
}

static int value_open(struct phx_fs *fs, const struct phx_node *n, int flags, bool created,
		      struct phx_handle **out)
{
	int acc = flags & O_ACCMODE;
	bool wr = acc != O_RDONLY, pend = false;
	struct phx_handle *h;
	int rc;

	/* append has no meaning for a one-value file: refuse it rather than
	 * commit "old\nnew" */
	if (wr && (flags & O_APPEND))
		return -EINVAL;
	if (absent(n) && !created && !phx_created_has(fs->replace, n->path)) {
		/* The kernel may still hold a name that a refused create left
		 * behind; a write through it is a create again. */
		if (!wr)
			return -ENOENT;
		if ((rc = phx_created_add(fs->replace, n->path)) < 0)
			return rc;
		pend = true;
	}
	h = phx_handle_new(fs, n, wr);
	if (!h) {
		if (pend)
			phx_created_drop(fs->replace, n->path);
		return -ENOMEM;
	}
	if (pend) {
		h->pending = true;
		created = true;
	}
	if (wr) {
		if ((flags & O_TRUNC) || created)
			h->fresh = true;
		else if ((rc = phx_handle_load(fs, h)) < 0) {
			phx_handle_free(fs, h);
			return rc;
		}
	}
	*out = h;
	return 0;
}

static int value_create(struct phx_fs *fs, const struct phx_node *n, mode_t mode, int flags,
			struct phx_handle **out)
{
	char err[1024] = "";
	int rc;

	(void)mode;
	if (!absent(n))
		return flags & O_EXCL ? -EEXIST : value_open(fs, n, flags, true, out);
	if (n->kind == NK_ATTR && (n->attr->flags & PHX_A_TOUCH_SETS)) {
		/* touch is_template: creating the file is the request */
		struct phx_node set = *n;

		if ((rc = phx_value_commit(fs, n, "true\n", 5, err, sizeof(err))) < 0)
			return rc;
		set.present = true;
		return value_open(fs, &set, flags, true, out);
	}
	if ((rc = phx_created_add(fs->replace, n->path)) < 0)
		return rc;
	rc = value_open(fs, n, flags, true, out);
	if (rc < 0)
		phx_created_drop(fs->replace, n->path);
	else
		(*out)->pending = true;
	return rc;
}

static int value_truncate(struct phx_fs *fs, const struct phx_node *n, off_t size)
{
	struct phx_handle *h;
	struct stat st;
	int rc;

	/* truncate(1) by name: only emptying is meaningful, and an empty value
	 * is "nothing written yet", so it changes nothing. Any other size
	 * rewrites the value cut at that size, like any file. */
	if (size == 0)
		return value_getattr(fs, n, &st);
	if (!(h = phx_handle_new(fs, n, true)))
		return -ENOMEM;
	pthread_mutex_lock(&h->lock);
	rc = phx_handle_load(fs, h);
	if (rc == 0 && (size_t)size != h->len) {
		rc = phx_handle_truncate(h, size);
		h->dirty = true;
		if (rc == 0)
			rc = phx_handle_commit(fs, h);
	}
	pthread_mutex_unlock(&h->lock);
	phx_handle_free(fs, h);
	return rc;
}

static int value_unlink(struct phx_fs *fs, const struct phx_node *n)
{
	if (absent(n))
		return phx_created_has(fs->replace, n->path) ? 0 : -ENOENT;
	if (n->kind == NK_CT_CONFIG || n->kind == NK_ROOT_CONFIG)
		return phx_refuse_generated(fs, n, "removed");
	return phx_replace_remove(fs, n, fuse_get_context()->pid);
}

/* temp-file-and-rename writers: the rename is the commit, and its errno is
 * the one they report (docs/clients.md) */
static int value_rename_onto(struct phx_fs *fs, const struct phx_node *n, const char *from,
			     struct phx_sfile *f)
{
	char err[1024] = "";
	size_t len;
	char *data = phx_sfile_content(f, &len);
	int rc;

	if (!data)
		return -ENOMEM;
	if (len > phx_value_limit(n)) {
		snprintf(err, sizeof(err), "%s: value larger than the %zu-byte limit",
			 phx_node_name(n), phx_value_limit(n));
		phx_refused(fs, n, -EFBIG, err);
		free(data);
		return -EFBIG;
	}
	rc = phx_value_commit(fs, n, data, len, err, sizeof(err));
	free(data);
	if (rc == 0)
		phx_scratch_unlink(fs->scratch, from);
	return rc;
}

static int value_setattr(struct phx_fs *fs, const struct phx_node *n, const mode_t *mode,
			 const uid_t *uid, const gid_t *gid, const struct timespec *tv)
{
	(void)mode;
	(void)tv;
	return phx_setattr_kept(fs, n, uid, gid);
}

/* mkdir where a known key is not yet: an object there (the row's check
 * refuses what its value cannot hold) */
static int new_key_mkdir(struct phx_fs *fs, const struct phx_node *n)
{
	char err[1024] = "";

	return phx_entry_add(fs, n, err, sizeof(err));
}

/* --- through a handle: the buffer is the handle's, under its lock --- */

static int value_h_getattr(struct phx_fs *fs, struct phx_handle *h, struct stat *st)
{
	bool buffered;
	size_t len;

	pthread_mutex_lock(&h->lock);
	buffered = h->writable && (h->dirty || h->pending);
	len = h->len;
	pthread_mutex_unlock(&h->lock);
	if (buffered) {
		phx_stat_file(fs, st, 0644, len, false);
		return 0;
	}
	if (value_getattr(fs, &h->node, st) < 0)
		phx_stat_file(fs, st, 0644, 0, false); /* removed while open */
	return 0;
}

static ssize_t value_h_read(struct phx_fs *fs, struct phx_handle *h, char *buf, size_t size,
			    off_t off)
{
	ssize_t n;

	pthread_mutex_lock(&h->lock);
	n = phx_handle_read(fs, h, buf, size, off);
	pthread_mutex_unlock(&h->lock);
	return n;
}

static ssize_t value_h_write(struct phx_fs *fs, struct phx_handle *h, const char *buf,
			     size_t size, off_t off)
{
	ssize_t n;

	pthread_mutex_lock(&h->lock);
	n = phx_handle_write(fs, h, buf, size, off);
	pthread_mutex_unlock(&h->lock);
	return n;
}

static int value_h_commit(struct phx_fs *fs, struct phx_handle *h)
{
	int rc;

	pthread_mutex_lock(&h->lock);
	rc = phx_handle_commit(fs, h);
	pthread_mutex_unlock(&h->lock);
	return rc;
}

static int value_h_truncate(struct phx_fs *fs, struct phx_handle *h, off_t size)
{
	int rc;

	(void)fs;
	pthread_mutex_lock(&h->lock);
	rc = phx_handle_truncate(h, size);
	pthread_mutex_unlock(&h->lock);
	return rc;
}

#define VALUE_OPS                               \
	.not_applicable = ENOTDIR,              \
	.getattr = value_getattr,               \
	.open = value_open,                     \
	.create = value_create,                 \
	.truncate = value_truncate,             \
	.unlink = value_unlink,                 \
	.rename_onto = value_rename_onto,       \
	.setattr = value_setattr,               \
	.h_getattr = value_h_getattr,           \
	.h_read = value_h_read,                 \
	.h_write = value_h_write,               \
	.h_commit = value_h_commit,             \
	.h_truncate = value_h_truncate

const struct phx_kind phx_kind_attr = {
	.what = "an attribute file", VALUE_OPS, .render = render_value,
};
const struct phx_kind phx_kind_key = {
	.what = "a key's value", VALUE_OPS, .render = render_value,
};
const struct phx_kind phx_kind_ct_config = {
	.what = "an entry's config.json", VALUE_OPS, .render = render_entry,
};
const struct phx_kind phx_kind_root_config = {
	.what = "the whole config.json", VALUE_OPS, .render = render_document,
};
const struct phx_kind phx_kind_new_key = {
	.what = "a known key not written yet", VALUE_OPS, .render = render_value,
	.mkdir = new_key_mkdir,
};
