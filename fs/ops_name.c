/* Name operations: unlink, rename (a scratch file onto a name: the
 * destination's kind decides what that means), and mode/owner/time
 * changes, each handed to the node's kind. */
#include "fs/ops_int.h"

#include "fs/handle.h"
#include "fs/replace.h"
#include "fs/scratch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>

int op_unlink(const char *path)
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
	return k->unlink ? k->unlink(fs, &n) : -EPERM;
}

int op_rename(const char *from, const char *to, unsigned int flags)
{
	struct phx_fs *fs = phx_fs_get();
	const struct phx_kind *k;
	struct phx_node src, dst;
	struct phx_sfile *f;
	int rc;

	if (!phx_fs_may_change(fs))
		return -EACCES;
	if (flags & ~RENAME_NOREPLACE)
		return -EINVAL; /* RENAME_EXCHANGE, RENAME_WHITEOUT */
	if ((rc = phx_node_resolve(fs, from, &src)) < 0 ||
	    (rc = phx_node_resolve(fs, to, &dst)) < 0)
		return rc;
	if (phx_kind(&src) != &phx_kind_scratch) {
		/* Values and generated files keep their names. vim falls back to
		 * a copy and an in-place write when this is refused. */
		return phx_kind(&src)->getattr(fs, &src, &(struct stat){ 0 }) < 0 ? -ENOENT
										     : -EPERM;
	}
	f = phx_scratch_get(fs->scratch, from);
	if (!f)
		return -ENOENT;
	if ((flags & RENAME_NOREPLACE) &&
	    phx_kind(&dst)->getattr(fs, &dst, &(struct stat){ 0 }) == 0) {
		phx_sfile_put(f);
		return -EEXIST;
	}
	/* vim, after a refused write with backupcopy=no, removes the value and
	 * renames its backup onto it: like a re-create, this puts the value
	 * back in its place first, so the commit keeps the key order. */
	phx_replace_put_back(fs, to, fuse_get_context()->pid, &dst);
	k = phx_kind(&dst);
	rc = k->rename_onto ? k->rename_onto(fs, &dst, from, f) : -EISDIR;
	phx_sfile_put(f);
	return rc;
}

/* chmod, chown and utimens: tools set modes and times on their way
 * (install -m, rsync, Ansible's copystat, touch) and are content with
 * success; docs/clients.md says what is and is not stored. */
static int set_attrs(const char *path, struct fuse_file_info *fi, const mode_t *mode,
		     const uid_t *uid, const gid_t *gid, const struct timespec *tv)
{
	struct phx_fs *fs = phx_fs_get();
	const struct phx_kind *k;
	struct phx_node n;
	int rc;

	/* as chmod(2) by someone who does not own the file */
	if (!phx_fs_may_change(fs))
		return -EPERM;
	if (fi && fi->fh && FH(fi)->kind->h_setattr)
		return FH(fi)->kind->h_setattr(fs, FH(fi), mode, uid, gid, tv);
	if ((rc = phx_node_resolve(fs, path, &n)) < 0)
		return rc;
	k = phx_kind(&n);
	return k->setattr ? k->setattr(fs, &n, mode, uid, gid, tv) : -EPERM;
}

int op_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	return set_attrs(path, fi, &mode, NULL, NULL, NULL);
}

int op_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	return set_attrs(path, fi, NULL, &uid, &gid, NULL);
}

int op_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	return set_attrs(path, fi, NULL, NULL, NULL, tv);
}
