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

/* A directory's names, taken once at opendir: readdir hands them out by
 * offset, with their attributes when the kernel asks for READDIRPLUS, so
 * that `ls -l` of 10,000 containers needs no LOOKUP per name. */
struct dir_list {
	char *path;
	struct dir_ent {
		char *name;
		mode_t type;
	} *v;
	size_t n, cap;
};

static void add(struct dir_list *l, const char *name, mode_t type)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct dir_ent *nv = realloc(l->v, cap * sizeof(*nv));

		if (!nv)
			return;
		l->v = nv;
		l->cap = cap;
	}
	if ((l->v[l->n].name = strdup(name)))
		l->v[l->n++].type = type;
}

static void add_scratch(void *arg, const char *name, const struct stat *st)
{
	add(arg, name, st->st_mode & S_IFMT);
}

static void list_free(struct dir_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
	free(l->path);
	free(l);
}

static void list_root(struct phx_fs *fs, struct dir_list *l)
{
	uint32_t *ids;
	size_t n = phx_all_ctids(fs, &ids);

	add(l, "config.json", S_IFREG);
	add(l, "status", S_IFREG);
	for (size_t i = 0; i < n; i++) {
		char name[16];

		snprintf(name, sizeof(name), "%u", ids[i]);
		add(l, name, S_IFDIR);
	}
	free(ids);
}

static void list_ct(struct phx_fs *fs, const struct phx_node *n, struct dir_list *l)
{
	json_object *entry;

	add(l, "config.json", S_IFREG);
	for (int g = 0; g <= GEN_CTL; g++)
		add(l, phx_gen_names[g], S_IFREG);
	phx_doc_rdlock(fs->doc);
	entry = phx_doc_entry(fs->doc, n->ctid);
	for (size_t i = 0; i < phx_nattrs; i++) {
		const struct phx_attr *a = &phx_attrs[i];
		json_object *v = NULL;
		bool shown = a->file && entry && json_object_object_get_ex(entry, a->key, &v) &&
			     !((a->flags & PHX_A_ONLY_TRUE) && !json_object_get_boolean(v));

		if (shown || phx_pending_has(fs->pending, n->ctid, a))
			add(l, a->file, S_IFREG);
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
				add(l, key, json_object_is_type(val, json_type_object) ? S_IFDIR : S_IFREG);
		}
	}
	phx_doc_unlock(fs->doc);
}

static void list_keydir(struct phx_fs *fs, const struct phx_node *n, struct dir_list *l)
{
	json_object *v;

	phx_doc_rdlock(fs->doc);
	v = phx_node_value(n, phx_doc_root(fs->doc));
	if (v && json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, key, val) {
			if (key[0] && !strchr(key, '/') && strcmp(key, ".") && strcmp(key, ".."))
				add(l, key, json_object_is_type(val, json_type_object) ? S_IFDIR : S_IFREG);
		}
	}
	phx_doc_unlock(fs->doc);
}

int op_opendir(const char *path, struct fuse_file_info *fi)
{
	struct phx_fs *fs = phx_fs_get();
	struct dir_list *l;
	struct phx_node n;
	int rc;

	if ((rc = phx_node_resolve(fs, path, &n)) < 0)
		return rc;
	if (n.kind == NK_CT && !n.present && !n.on_backend)
		return -ENOENT;
	if (n.kind != NK_ROOT && n.kind != NK_CT && n.kind != NK_KEYDIR)
		return -ENOTDIR;
	if (!(l = calloc(1, sizeof(*l))) || !(l->path = strdup(path))) {
		free(l);
		return -ENOMEM;
	}
	add(l, ".", S_IFDIR);
	add(l, "..", S_IFDIR);
	if (n.kind == NK_ROOT)
		list_root(fs, l);
	else if (n.kind == NK_CT)
		list_ct(fs, &n, l);
	else
		list_keydir(fs, &n, l);
	phx_scratch_list(fs->scratch, path, add_scratch, l);
	fi->fh = (uintptr_t)l;
	return 0;
}

int op_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
	       struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct phx_fs *fs = phx_fs_get();
	struct dir_list *l = (struct dir_list *)(uintptr_t)fi->fh;
	bool root = strcmp(l->path, "/") == 0;

	(void)path;
	for (size_t i = (size_t)off; i < l->n; i++) {
		struct stat st = { .st_mode = l->v[i].type };
		enum fuse_fill_dir_flags ff = 0;

		if ((flags & FUSE_READDIR_PLUS) && i >= 2) {
			char child[PATH_MAX];
			struct phx_node n;

			snprintf(child, sizeof(child), "%s/%s", root ? "" : l->path, l->v[i].name);
			if (phx_node_resolve(fs, child, &n) == 0 && node_stat(fs, &n, &st) == 0)
				ff = FUSE_FILL_DIR_PLUS;
			else
				st = (struct stat){ .st_mode = l->v[i].type };
		}
		if (filler(buf, l->v[i].name, &st, (off_t)(i + 1), ff))
			break; /* the kernel's buffer is full: it asks again from here */
	}
	return 0;
}

int op_releasedir(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	list_free((struct dir_list *)(uintptr_t)fi->fh);
	return 0;
}

/* Open a resolved node; shared by open and create. */

int op_mkdir(const char *path, mode_t mode)
{
	struct phx_fs *fs = phx_fs_get();
	struct phx_node n;
	char err[1024] = "";
	int rc;

	(void)mode;
	if (!phx_fs_may_change(fs))
		return -EACCES;
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

	if (!phx_fs_may_change(fs))
		return -EACCES;
	if ((rc = phx_node_resolve(fs, path, &n)) < 0)
		return rc;
	switch (n.kind) {
	case NK_CT:
		if (!n.present)
			return n.on_backend ? -EBUSY : -ENOENT;
		/* An entry removed under a build would leave the container it
		 * makes on the backend with no entry: finish or fail it first. */
		if (phx_engine_busy(fs->engine, n.ctid)) {
			char status[256];

			phx_engine_settled(fs->engine, n.ctid, status, sizeof(status), NULL);
			snprintf(err, sizeof(err), "rmdir %u: work in flight (%s); wait for it to end",
				 n.ctid, status);
			phx_refused(fs, &n, -EBUSY, err);
			return -EBUSY;
		}
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
