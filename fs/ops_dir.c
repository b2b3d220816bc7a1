/* Directories: listing the root, a container and an object key; mkdir adds
 * an entry or an object key, rmdir removes them. */
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

int op_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
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

int op_mkdir(const char *path, mode_t mode)
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

int op_rmdir(const char *path)
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
