/* Inode numbers that belong to a path, not to libfuse's node table. */
#ifndef PHX_FS_INO_H
#define PHX_FS_INO_H

#include <stddef.h>
#include <sys/types.h>

/* The inode number stat and readdir show for path ("/" is 1). */
ino_t phx_ino_of_path(const char *path);

/* The same for the name in directory dir ("." and ".." included). */
ino_t phx_ino_of_child(const char *dir, const char *name);

#endif
