/* Scratch files: any name that is not an attribute may be created in a
 * container directory (sed's sedXXXXXX, rsync's .A.XXXXXX, vim's 4913 and
 * swap files, Ansible's .ansible_tmp...). They live in memory only, are never
 * validated, and vanish on unmount; renaming one onto an attribute commits
 * its content like a write. */
#ifndef PHX_SCRATCH_H
#define PHX_SCRATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

struct phx_scratch;
struct phx_sfile; /* one scratch file; refcounted so open handles survive
		     unlink and rename */

struct phx_scratch *phx_scratch_new(void);
void phx_scratch_free(struct phx_scratch *s);

/* Create PATH; -EEXIST when it is there. Returns a reference in *out. */
int phx_scratch_create(struct phx_scratch *s, const char *path, mode_t mode,
		       uid_t uid, gid_t gid, struct phx_sfile **out);
/* A new reference to PATH's file, or NULL. */
struct phx_sfile *phx_scratch_get(struct phx_scratch *s, const char *path);
void phx_sfile_put(struct phx_sfile *f);

bool phx_scratch_stat(struct phx_scratch *s, const char *path, struct stat *st);
void phx_sfile_stat(struct phx_sfile *f, struct stat *st);
int phx_scratch_unlink(struct phx_scratch *s, const char *path);
/* Move a scratch file to another name (replacing a scratch file there). */
int phx_scratch_rename(struct phx_scratch *s, const char *from, const char *to);
/* Remove every scratch file under a directory (its container was removed). */
void phx_scratch_drop_dir(struct phx_scratch *s, const char *dir);

ssize_t phx_sfile_read(struct phx_sfile *f, char *buf, size_t size, off_t off);
ssize_t phx_sfile_write(struct phx_sfile *f, const char *buf, size_t size, off_t off);
int phx_sfile_truncate(struct phx_sfile *f, off_t size);
/* A copy of the content (malloc'd). */
char *phx_sfile_content(struct phx_sfile *f, size_t *len);
void phx_sfile_setattr(struct phx_sfile *f, const mode_t *mode, const uid_t *uid,
		       const gid_t *gid, const struct timespec tv[2]);

/* Call fn for every scratch file directly inside dir. */
void phx_scratch_list(struct phx_scratch *s, const char *dir,
		      void (*fn)(void *arg, const char *name, const struct stat *st),
		      void *arg);

#endif
