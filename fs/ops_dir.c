/* Directory operations: resolve the path, then the node's kind lists,
 * makes or removes (kind_dir.c; mkdir of a new name: kind_scratch.c). */
#include "fs/ops_int.h"

#include "fs/scratch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A directory's names, taken once at the first readdir of an open (not at
 * opendir: the kernel may list the root and a container's directory from
 * its own cache, then no readdir comes and nothing need be made): readdir
 * hands them out by offset, with their attributes when the kernel asks
 * for READDIRPLUS, so that `ls -l` of 10,000 containers needs no LOOKUP
 * per name. */
struct dir_list {
	char *path;
	bool listed;
	struct phx_listing names;
};

static void add_scratch(void *arg, const char *name, const struct stat *st)
{
	/* a key of the same name hides a scratch file (resolution finds
	 * the key): list the name once */
	phx_listing_add_new(arg, name, st->st_mode & S_IFMT);
}

static void list_free(struct dir_list *l)
{
	phx_listing_release(&l->names);
	free(l->path);
	free(l);
}

int op_opendir(const char *path, struct fuse_file_info *fi)
{
	struct phx_fs *fs = phx_fs_get();
	const struct phx_kind *k;
	struct dir_list *l;
	struct phx_node n;
	int rc;

	if ((rc = phx_node_resolve(fs, path, &n)) < 0)
		return rc;
	k = phx_kind(&n);
	if (!k->list)
		return -ENOTDIR;
	if (!(l = calloc(1, sizeof(*l))) || !(l->path = strdup(path))) {
		free(l);
		return -ENOMEM;
	}
	fi->fh = (uintptr_t)l;
	/* The root's and a container's listing change only with the
	 * document (the invalidation thread drops the kernel's copy,
	 * pcache.h), the backend's set of containers (its tick) and names
	 * made or removed through the mount in that directory (the kernel
	 * drops its copy itself). */
	if (n.kind == NK_ROOT || n.kind == NK_CT) {
		fi->cache_readdir = 1;
		fi->keep_cache = 1;
	}
	return 0;
}

/* The first readdir of an open: the names as they are now. */
static int list_names(struct phx_fs *fs, struct dir_list *l)
{
	const struct phx_kind *k;
	struct phx_node n;
	int rc;

	if ((rc = phx_node_resolve(fs, l->path, &n)) < 0)
		return rc;
	k = phx_kind(&n);
	if (!k->list)
		return -ENOTDIR;
	phx_listing_add(&l->names, ".", S_IFDIR);
	phx_listing_add(&l->names, "..", S_IFDIR);
	rc = k->list(fs, &n, &l->names);
	if (rc == 0)
		phx_scratch_list(fs->scratch, l->path, add_scratch, &l->names);
	/* a listing cut short would look complete to ls, rsync or find */
	if (rc == 0 && l->names.b.failed)
		rc = -ENOMEM;
	if (rc < 0) {
		phx_listing_release(&l->names);
		l->names = (struct phx_listing){ 0 };
		return rc;
	}
	l->listed = true;
	return 0;
}

int op_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
	       struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct phx_fs *fs = phx_fs_get();
	struct dir_list *l = (struct dir_list *)(uintptr_t)fi->fh;
	bool root = strcmp(l->path, "/") == 0;
	size_t plen = root ? 0 : strlen(l->path);
	char *child = malloc(plen + PHX_NAME_MAX + 2);

	size_t next = (size_t)off;
	const char *name;
	mode_t type;
	int rc;

	(void)path;
	/* the kernel sends one readdir of an open at a time */
	if (!l->listed && (rc = list_names(fs, l)) < 0) {
		free(child);
		return rc;
	}
	if (!child)
		return -ENOMEM;
	memcpy(child, l->path, plen);
	child[plen] = '/';
	/* the offset of an entry is where it ends in the listing: the kernel
	 * asks again from there when its buffer is full */
	while ((name = phx_listing_next(&l->names, &next, &type))) {
		struct stat st = { .st_mode = type };
		enum fuse_fill_dir_flags ff = 0;

		if ((flags & FUSE_READDIR_PLUS) && strcmp(name, ".") && strcmp(name, "..")) {
			struct phx_node n;

			snprintf(child + plen + 1, PHX_NAME_MAX + 1, "%s", name);
			if (phx_node_resolve(fs, child, &n) == 0 &&
			    phx_kind(&n)->getattr(fs, &n, &st) == 0)
				ff = FUSE_FILL_DIR_PLUS;
			else
				st = (struct stat){ .st_mode = type };
		}
		if (filler(buf, name, &st, (off_t)next, ff))
			break;
	}
	free(child);
	return 0;
}

int op_releasedir(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	list_free((struct dir_list *)(uintptr_t)fi->fh);
	return 0;
}

int op_mkdir(const char *path, mode_t mode)
{
	struct phx_fs *fs = phx_fs_get();
	const struct phx_kind *k;
	struct phx_node n;
	int rc;

	(void)mode;
	if (!phx_fs_may_change(fs))
		return -EACCES;
	if ((rc = phx_node_resolve(fs, path, &n)) < 0)
		return rc;
	k = phx_kind(&n);
	return k->mkdir ? k->mkdir(fs, &n) : -EEXIST;
}

int op_rmdir(const char *path)
{
	struct phx_fs *fs = phx_fs_get();
	const struct phx_kind *k;
	struct phx_node n;
	int rc;

	if (!phx_fs_may_change(fs))
		return -EACCES;
	if ((rc = phx_node_resolve(fs, path, &n)) < 0)
		return rc;
	k = phx_kind(&n);
	return k->rmdir ? k->rmdir(fs, &n) : -ENOTDIR;
}
