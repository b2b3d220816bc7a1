/* The FUSE operations table. Each operation resolves its path to a node
 * (node.c) and hands the work to the piece that owns it: attributes
 * (stat.c), directories (ops_dir.c), open files (ops_file.c), names
 * (ops_name.c); under them rendering (render.c), write buffers (handle.c),
 * document changes (commit.c), scratch files (scratch.c), and the engine
 * for ctl and wait. Nothing here waits on the backend. */
#include "fs/ops_int.h"

#include "fs/pcache.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

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
	cfg->use_ino = 1;       /* numbers from the path (ino.c), not node ids */
	cfg->hard_remove = 1;   /* unlinked scratch files live on in their handles */
	cfg->intr = 1;          /* Ctrl-C reaches a blocked read of wait */
	/* Names and attributes stay in the kernel until the change feed,
	 * the engine or the invalidation thread's tick says they changed
	 * (pcache.h): the timeouts only bound what a missed notice could
	 * leave stale. */
	cfg->entry_timeout = PHX_KERNEL_CACHE_S;
	cfg->attr_timeout = PHX_KERNEL_CACHE_S;
	/* Containers, keys and scratch names appear by outside edits, the
	 * backend and other writers' creates: a name the kernel was told is
	 * absent would need a notice for every name ever asked for. */
	cfg->negative_timeout = 0;
	/* Not mount-wide: libfuse would force it onto every open. Each open
	 * says (ops_file.c): direct_io but for status files the kernel holds
	 * the current text of (pcache.h). */
	cfg->direct_io = 0;
	return fuse_get_context()->private_data;
}

const struct fuse_operations phx_ops = {
	.init = op_init,
	.getattr = op_getattr,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.releasedir = op_releasedir,
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
