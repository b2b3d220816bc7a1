/* Directory operations: resolve the path, then the node's kind lists,
 * makes or removes (kind_dir.c; mkdir of a new name: kind_scratch.c). */
#include "fs/ops_int.h"

#include "fs/ino.h"
#include "fs/scratch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A directory's names, taken once at opendir: readdir hands them out by
 * offset, with their attributes when the kernel asks for READDIRPLUS, so
 * that `ls -l` of 10,000 containers needs no LOOKUP per name. */
struct dir_list {
	char *path;
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
	phx_listing_add(&l->names, ".", S_IFDIR);
	phx_listing_add(&l->names, "..", S_IFDIR);
	rc = k->list(fs, &n, &l->names);
	if (rc == 0)
		phx_scratch_list(fs->scratch, path, add_scratch, &l->names);
	/* a listing cut short would look complete to ls, rsync or find */
	if (rc == 0 && l->names.b.failed)
		rc = -ENOMEM;
	if (rc < 0) {
		list_free(l);
		return rc;
	}
	fi->fh = (uintptr_t)l;
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

	(void)path;
	if (!child)
		return -ENOMEM;
	memcpy(child, l->path, plen);
	child[plen] = '/';
	/* the offset of an entry is where it ends in the listing: the kernel
	 * asks again from there when its buffer is full */
	while ((name = phx_listing_next(&l->names, &next, &type))) {
		struct stat st = { .st_mode = type };
		enum fuse_fill_dir_flags ff = 0;

		uint32_t ctid;

		if (!(flags & FUSE_READDIR_PLUS) || !strcmp(name, ".") || !strcmp(name, "..")) {
			/* names only */
		} else if (root && type == S_IFDIR &&
			   phx_parse_ctid(name, strlen(name), &ctid) == 0) {
			/* a container listed a moment ago: its directory's
			 * attributes need no resolving (10,000 per `ls -l`) */
			phx_stat_ct_dir(fs, ctid, &st);
			ff = FUSE_FILL_DIR_PLUS;
		} else if (root && phx_root_gen_find(name) >= 0) {
			/* The size of tree or graph.dot is a drawing of the
			 * whole fleet: not at every listing. The kernel keeps
			 * their attributes until they change (pcache.h) and
			 * asks when it has none. */
		} else {
			struct phx_node n;

			snprintf(child + plen + 1, PHX_NAME_MAX + 1, "%s", name);
			if (phx_node_resolve(fs, child, &n) == 0 &&
			    phx_kind(&n)->getattr(fs, &n, &st) == 0)
				ff = FUSE_FILL_DIR_PLUS;
			else
				st = (struct stat){ .st_mode = type };
		}
		st.st_ino = phx_ino_of_child(l->path, name);
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
