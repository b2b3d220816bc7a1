#include "fs/handle.h"

#include "backend/schema_prefix.h"

#include "backend/log.h"
#include "fs/commit.h"
#include "fs/replace.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The whole document may be far larger than one value. */
#define PHX_DOC_MAX (256u * 1024 * 1024)

size_t phx_value_limit(const struct phx_node *n)
{
	return n->kind == NK_ROOT_CONFIG ? PHX_DOC_MAX : PHX_VALUE_MAX;
}

struct phx_handle *phx_handle_new(struct phx_fs *fs, const struct phx_node *n, bool writable)
{
	struct phx_handle *h = calloc(1, sizeof(*h));

	if (!h || !(h->path = strdup(n->path))) {
		free(h);
		return NULL;
	}
	h->node = *n;
	h->node.path = h->path; /* the node is a view of the path it holds */
	h->kind = phx_kind(n);
	h->writable = writable;
	pthread_mutex_init(&h->lock, NULL);
	pthread_mutex_lock(&fs->handles_lock);
	h->next = fs->handles;
	fs->handles = h;
	pthread_mutex_unlock(&fs->handles_lock);
	return h;
}

void phx_handle_free_all(struct phx_fs *fs)
{
	while (fs->handles)
		phx_handle_free(fs, fs->handles);
}

bool phx_handle_unflushed_size(struct phx_fs *fs, const char *path, size_t *len)
{
	bool found = false;

	pthread_mutex_lock(&fs->handles_lock);
	for (struct phx_handle *h = fs->handles; h && !found; h = h->next) {
		if (!h->writable || h->sfile || strcmp(h->node.path, path) != 0)
			continue;
		pthread_mutex_lock(&h->lock);
		if (h->dirty) {
			*len = h->len;
			found = true;
		}
		pthread_mutex_unlock(&h->lock);
	}
	pthread_mutex_unlock(&fs->handles_lock);
	return found;
}

void phx_handle_free(struct phx_fs *fs, struct phx_handle *h)
{
	pthread_mutex_lock(&fs->handles_lock);
	for (struct phx_handle **pp = &fs->handles; *pp; pp = &(*pp)->next) {
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	}
	pthread_mutex_unlock(&fs->handles_lock);
	if (h->sfile)
		phx_sfile_put(h->sfile);
	if (h->pending)
		phx_created_drop(fs->replace, h->path);
	pthread_mutex_destroy(&h->lock);
	free(h->path);
	free(h->buf);
	free(h->snap);
	free(h);
}

static int reserve(struct phx_handle *h, size_t need)
{
	size_t cap;
	char *nb;

	if (need <= h->cap)
		return 0;
	cap = h->cap ? h->cap : 64;
	while (cap < need)
		cap *= 2;
	nb = realloc(h->buf, cap + 1);
	if (!nb)
		return -ENOMEM;
	h->buf = nb;
	h->cap = cap;
	return 0;
}

int phx_handle_load(struct phx_fs *fs, struct phx_handle *h)
{
	char *s;
	size_t len;
	int rc = phx_render(fs, &h->node, &s, &len);

	if (rc == -ENOENT)
		return 0; /* a pending attribute starts empty */
	if (rc < 0)
		return rc;
	free(h->buf);
	h->buf = s;
	h->len = h->cap = len;
	h->fresh = len == 0;
	return 0;
}

/* A single-value file holds a complete value once it ends in a newline; a
 * JSON file once it parses (the writer may still send more, which is
 * checked again at commit). */
static bool complete(const struct phx_handle *h)
{
	char last;

	if (h->len == 0)
		return false;
	last = h->buf[h->len - 1];
	if (h->node.kind == NK_ATTR)
		return last == '\n';
	if (last != '\n' && last != '}' && last != ']')
		return false;
	{
		json_tokener *tok = json_tokener_new();
		json_object *v = json_tokener_parse_ex(tok, h->buf, (int)h->len);
		/* parsed, or failed for good: either way there is a verdict */
		bool done = json_tokener_get_error(tok) != json_tokener_continue;

		json_object_put(v);
		json_tokener_free(tok);
		return done;
	}
}

/* Bytes no value of the attribute's type can begin, whatever comes after
 * (schema_prefix.h): such a value is refused at the write that brings it,
 * so that `printf abc > memory_mb` fails in bash and dash too (a value
 * without a newline is otherwise checked only at close, which shells
 * ignore). */
static bool cannot_become_valid(const struct phx_handle *h)
{
	return h->node.kind == NK_ATTR && phx_attr_prefix_dead(h->node.attr, h->buf, h->len);
}

ssize_t phx_handle_write(struct phx_fs *fs, struct phx_handle *h, const char *data,
			 size_t size, off_t off)
{
	size_t end = (size_t)off + size;
	char err[1024] = "";
	int rc;

	if (end > phx_value_limit(&h->node)) {
		snprintf(err, sizeof(err), "%s: value larger than the %zu-byte limit", phx_node_name(&h->node),
			 phx_value_limit(&h->node));
		phx_refused(fs, &h->node, -EFBIG, err);
		h->dirty = false;
		return -EFBIG;
	}
	if ((rc = reserve(h, end)) < 0)
		return rc;
	if ((size_t)off > h->len)
		memset(h->buf + h->len, 0, (size_t)off - h->len);
	memcpy(h->buf + off, data, size);
	if (end > h->len)
		h->len = end;
	h->buf[h->len] = '\0';
	h->dirty = true;
	if (h->fresh && (complete(h) || cannot_become_valid(h))) {
		rc = phx_value_check(fs, &h->node, h->buf, h->len, err, sizeof(err));
		if (rc < 0) {
			/* Refuse now: bash reports nothing but a failed write. The
			 * value is dropped so that no later flush commits it. */
			phx_refused(fs, &h->node, rc, err);
			h->dirty = false;
			h->len = 0;
			return rc;
		}
		/* A whole value in one write at offset 0, ending in a newline
		 * (echo, printf '...\n', most programs' single write): save it
		 * now, so that a failed save (ENOSPC, EROFS, the file locked
		 * too long) fails this write. bash ignores close(2); a failure
		 * left for FLUSH would be lost to `echo v > file`. Anything
		 * written after it is committed at FLUSH as before. */
		if (off == 0 && size == h->len && h->buf[h->len - 1] == '\n' &&
		    (rc = phx_handle_commit(fs, h)) < 0) {
			h->len = 0;
			return rc;
		}
	}
	return (ssize_t)size;
}

int phx_handle_truncate(struct phx_handle *h, off_t size)
{
	int rc;

	if ((size_t)size > phx_value_limit(&h->node))
		return -EFBIG;
	if ((rc = reserve(h, (size_t)size)) < 0)
		return rc;
	/* truncate -s N through an open handle (ftruncate) changes the value
	 * like a write does; emptying it is "nothing written yet" (vim's
	 * ftruncate(0) before its write, truncate -s0). */
	if (size != 0 && (size_t)size != h->len)
		h->dirty = true;
	if ((size_t)size > h->len)
		memset(h->buf + h->len, 0, (size_t)size - h->len);
	h->len = (size_t)size;
	if (h->buf)
		h->buf[h->len] = '\0';
	if (size == 0)
		h->fresh = true;
	return 0;
}

int phx_handle_commit(struct phx_fs *fs, struct phx_handle *h)
{
	char err[1024] = "";
	int rc;

	if (!h->dirty)
		return 0;
	h->dirty = false; /* one attempt per batch of writes: FLUSH repeats */
	rc = phx_value_commit(fs, &h->node, h->buf ? h->buf : "", h->len, err, sizeof(err));
	if (rc == 0 && h->pending) {
		phx_created_drop(fs->replace, h->path);
		h->pending = false;
	}
	return rc;
}

ssize_t phx_handle_read(struct phx_fs *fs, struct phx_handle *h, char *buf,
			size_t size, off_t off)
{
	const char *src;
	size_t len;

	if (h->writable && (h->dirty || h->fresh || h->pending)) {
		src = h->buf ? h->buf : "";
		len = h->len;
	} else {
		if (off == 0 || !h->have_snap) {
			char *s;
			size_t n;
			int rc = phx_render(fs, &h->node, &s, &n);

			if (rc < 0)
				return rc;
			free(h->snap);
			h->snap = s;
			h->snaplen = n;
			h->have_snap = true;
		}
		src = h->snap;
		len = h->snaplen;
	}
	if ((size_t)off >= len)
		return 0;
	if (size > len - (size_t)off)
		size = len - (size_t)off;
	memcpy(buf, src + off, size);
	return (ssize_t)size;
}
