/* The FUSE operations, which ops.c puts in one table. Each resolves its
 * path to a node and calls the node's kind (kind.h). */
#ifndef PHX_OPS_INT_H
#define PHX_OPS_INT_H

#include "fs/node.h"
#include "fs/ops.h"
#include "fs/kind.h"
#include "fs/phoenixfs.h"

#include <stdbool.h>
#include <sys/stat.h>

#define FH(fi) ((struct phx_handle *)(uintptr_t)(fi)->fh)

/* stat.c */
int op_getattr(const char *path, struct stat *st, struct fuse_file_info *fi);

/* ops_dir.c: listing, mkdir, rmdir */
int op_opendir(const char *path, struct fuse_file_info *fi);
int op_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
	       struct fuse_file_info *fi, enum fuse_readdir_flags flags);
int op_releasedir(const char *path, struct fuse_file_info *fi);
int op_mkdir(const char *path, mode_t mode);
int op_rmdir(const char *path);

/* ops_file.c: open files, their reads, writes and commits */
int op_open(const char *path, struct fuse_file_info *fi);
int op_create(const char *path, mode_t mode, struct fuse_file_info *fi);
int op_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi);
int op_write(const char *path, const char *buf, size_t size, off_t off,
	     struct fuse_file_info *fi);
int op_flush(const char *path, struct fuse_file_info *fi);
int op_fsync(const char *path, int datasync, struct fuse_file_info *fi);
int op_release(const char *path, struct fuse_file_info *fi);
int op_truncate(const char *path, off_t size, struct fuse_file_info *fi);

/* ops_name.c: unlink, rename, mode/owner/time */
int op_unlink(const char *path);
int op_rename(const char *from, const char *to, unsigned int flags);
int op_chmod(const char *path, mode_t mode, struct fuse_file_info *fi);
int op_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi);
int op_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi);

#endif
