/* Directories: the root (every container and the root's files), a
 * container directory (its files and the entry's other keys) and an object
 * directory (a key holding an object, network_config/). mkdir of a
 * container adds an entry, rmdir removes it. */
#include "fs/kind.h"

#include "backend/log.h"
#include "fs/commit.h"
#include "fs/mtimes.h"
#include "fs/replace.h"
#include "fs/scratch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

ssize_t phx_all_ctids(struct phx_fs *fs, uint32_t **out)
{
	uint32_t *backend = NULL, *all;
	size_t nb = phx_engine_backend_ctids(fs->engine, &backend), nd = 0, n = 0, u = 0;
	json_object *configs;

	phx_doc_rdlock(fs->doc);
	configs = phx_doc_configs(phx_doc_root(fs->doc), false);
	if (configs)
		nd = (size_t)json_object_object_length(configs);
	all = malloc((nb + nd + 1) * sizeof(*all));
	if (all) {
		if (configs) {
			json_object_object_foreach(configs, key, val) {
				uint32_t c;

				(void)val;
				if (phx_parse_ctid(key, strlen(key), &c) == 0)
					all[n++] = c;
			}
		}
		if (nb)
			memcpy(all + n, backend, nb * sizeof(*all));
		n += nb;
	}
	phx_doc_unlock(fs->doc);
	free(backend);
	*out = all;
	if (!all)
		return -ENOMEM;
	qsort(all, n, sizeof(*all), cmp_u32);
	for (size_t i = 0; i < n; i++)
		if (u == 0 || all[u - 1] != all[i])
			all[u++] = all[i];
	return (ssize_t)u;
}

/* --- getattr --- */

static int dir_getattr(struct phx_fs *fs, const struct phx_node *n, struct stat *st)
{
	(void)n;
	phx_stat_dir(fs, st);
	return 0;
}

/* A container's directory and its object directories: when anything of
 * the entry last changed, not the whole document (a change of another
 * container would move it, and the kernel keeps its attributes until the
 * entry changes). */
void phx_stat_ct_dir(struct phx_fs *fs, uint32_t ctid, struct stat *st)
{
	phx_stat_dir(fs, st);
	if (fs->mtimes) {
		st->st_mtim = phx_mtimes_get(fs->mtimes, ctid, NULL);
		st->st_ctim = st->st_atim = st->st_mtim;
	}
}

static int ct_getattr(struct phx_fs *fs, const struct phx_node *n, struct stat *st)
{
	if (!n->present && !n->on_backend)
		return -ENOENT;
	phx_stat_ct_dir(fs, n->ctid, st);
	return 0;
}

static int keydir_getattr(struct phx_fs *fs, const struct phx_node *n, struct stat *st)
{
	phx_stat_ct_dir(fs, n->ctid, st);
	return 0;
}

/* --- listings --- */

static int list_root(struct phx_fs *fs, const struct phx_node *n, struct phx_listing *l)
{
	uint32_t *ids;
	ssize_t count = phx_all_ctids(fs, &ids);

	(void)n;
	if (count < 0)
		return (int)count;
	phx_listing_add(l, "config.json", S_IFREG);
	phx_root_gen_list(l);
	for (ssize_t i = 0; i < count; i++) {
		char name[16];

		snprintf(name, sizeof(name), "%u", ids[i]);
		phx_listing_add(l, name, S_IFDIR);
	}
	free(ids);
	return 0;
}

static int list_ct(struct phx_fs *fs, const struct phx_node *n, struct phx_listing *l)
{
	json_object *entry;
	char path[32];

	if (!n->present && !n->on_backend)
		return -ENOENT;
	phx_listing_add(l, "config.json", S_IFREG);
	phx_gen_list(l);
	phx_doc_rdlock(fs->doc);
	entry = phx_doc_entry(fs->doc, n->ctid);
	for (size_t i = 0; i < phx_nattrs; i++) {
		const struct phx_attr *a = &phx_attrs[i];
		json_object *v = NULL;
		bool shown = a->file && entry && json_object_object_get_ex(entry, a->key, &v) &&
			     !((a->flags & PHX_A_ONLY_TRUE) && !json_object_get_boolean(v));

		if (!shown && a->file) {
			snprintf(path, sizeof(path), "/%u/%s", n->ctid, a->file);
			shown = phx_created_has(fs->replace, path);
		}
		if (shown)
			phx_listing_add(l, a->file, S_IFREG);
	}
	if (entry) {
		/* Keys the table owns show under their file names, and a key
		 * named like one of the directory's own names (status,
		 * config.json, clone_from) is not shown as a file: writes
		 * through the mount refuse such keys (commit.c). */
		json_object_object_foreach(entry, key, val) {
			if (phx_attr_by_key(key) || phx_node_name_reserved(key) || !key[0] ||
			    strchr(key, '/') || !strcmp(key, ".") || !strcmp(key, ".."))
				continue;
			phx_listing_add_new(l, key, json_object_is_type(val, json_type_object)
							    ? S_IFDIR : S_IFREG);
		}
	}
	phx_doc_unlock(fs->doc);
	return 0;
}

static void add_created(void *arg, const char *name)
{
	phx_listing_add_new(arg, name, S_IFREG);
}

static int list_keydir(struct phx_fs *fs, const struct phx_node *n, struct phx_listing *l)
{
	json_object *v;

	phx_doc_rdlock(fs->doc);
	v = phx_node_value(n, phx_doc_root(fs->doc));
	if (v && json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, key, val) {
			if (key[0] && !strchr(key, '/') && strcmp(key, ".") && strcmp(key, ".."))
				phx_listing_add_new(l, key, json_object_is_type(val, json_type_object)
								    ? S_IFDIR : S_IFREG);
		}
	}
	phx_doc_unlock(fs->doc);
	/* known keys created and not written yet (network_config/name) */
	phx_created_list(fs->replace, n->path, add_created, l);
	return 0;
}

/* --- creating and removing --- */

static int dir_create(struct phx_fs *fs, const struct phx_node *n, mode_t mode, int flags,
		      struct phx_handle **out)
{
	(void)fs;
	(void)n;
	(void)mode;
	(void)out;
	return flags & O_EXCL ? -EEXIST : -EISDIR;
}

static int ct_create(struct phx_fs *fs, const struct phx_node *n, mode_t mode, int flags,
		     struct phx_handle **out)
{
	(void)fs;
	(void)mode;
	(void)flags;
	(void)out;
	/* containers are made with mkdir */
	return !n->present && !n->on_backend ? -EPERM : -EISDIR;
}

static int ct_rename_onto(struct phx_fs *fs, const struct phx_node *n, const char *from,
			  struct phx_sfile *f)
{
	(void)fs;
	(void)from;
	(void)f;
	/* containers are made with mkdir only (files.md), as in create */
	return n->present || n->on_backend ? -EISDIR : -EPERM;
}

static int ct_mkdir(struct phx_fs *fs, const struct phx_node *n)
{
	char err[1024] = "";

	if (n->present)
		return -EEXIST;
	return phx_entry_add(fs, n, err, sizeof(err));
}

static int ct_rmdir(struct phx_fs *fs, const struct phx_node *n)
{
	char err[1024] = "";
	int rc;

	if (!n->present)
		return n->on_backend ? -EBUSY : -ENOENT;
	/* An entry removed under a build would leave the container it makes
	 * on the backend with no entry: finish or fail it first. */
	if (phx_engine_busy(fs->engine, n->ctid)) {
		char status[256];

		phx_engine_settled(fs->engine, n->ctid, status, sizeof(status), NULL);
		snprintf(err, sizeof(err), "rmdir %u: work in flight (%s); wait for it to end",
			 n->ctid, status);
		phx_refused(fs, n, -EBUSY, err);
		return -EBUSY;
	}
	rc = phx_entry_remove(fs, n, err, sizeof(err));
	if (rc == 0)
		phx_scratch_drop_dir(fs->scratch, n->path);
	return rc;
}

static int keydir_rmdir(struct phx_fs *fs, const struct phx_node *n)
{
	char err[1024] = "";
	int rc = phx_entry_remove(fs, n, err, sizeof(err));

	if (rc == 0)
		phx_scratch_drop_dir(fs->scratch, n->path);
	return rc;
}

static int root_rmdir(struct phx_fs *fs, const struct phx_node *n)
{
	(void)fs;
	(void)n;
	return -EBUSY;
}

static int dir_unlink(struct phx_fs *fs, const struct phx_node *n)
{
	(void)fs;
	(void)n;
	return -EISDIR;
}

static int dir_setattr(struct phx_fs *fs, const struct phx_node *n, const mode_t *mode,
		       const uid_t *uid, const gid_t *gid, const struct timespec *tv)
{
	(void)mode;
	(void)tv;
	return phx_setattr_kept(fs, n, uid, gid);
}

const struct phx_kind phx_kind_root = {
	.what = "the root",
	.not_applicable = EISDIR,
	.getattr = dir_getattr,
	.create = dir_create,
	.unlink = dir_unlink,
	.setattr = dir_setattr,
	.list = list_root,
	.rmdir = root_rmdir,
};

const struct phx_kind phx_kind_ct = {
	.what = "a container directory",
	.not_applicable = EISDIR,
	.getattr = ct_getattr,
	.create = ct_create,
	.unlink = dir_unlink,
	.rename_onto = ct_rename_onto,
	.setattr = dir_setattr,
	.list = list_ct,
	.mkdir = ct_mkdir,
	.rmdir = ct_rmdir,
};

const struct phx_kind phx_kind_keydir = {
	.what = "an object directory",
	.not_applicable = EISDIR,
	.getattr = keydir_getattr,
	.create = dir_create,
	.unlink = dir_unlink,
	.setattr = dir_setattr,
	.list = list_keydir,
	.rmdir = keydir_rmdir,
};
