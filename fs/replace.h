/* Replacement of a value by unlink and create, in one place.
 *
 * `install`, `mv` from another filesystem, `git checkout` and vim replace a
 * file by unlinking it and creating it again from the same process. Two
 * things make that work on values:
 *
 * - a value removed a moment ago is remembered with its place, so that
 *   the create from the same process puts it back first: the new value
 *   then replaces it in place (key order kept), and a refused new value
 *   leaves the document exactly as it was before the rm;
 * - a value created (open with O_CREAT) but not written yet has a name:
 *   fstat and a second lookup find it although its key is not in the
 *   document yet ("created").
 *
 * The store is the mount's; the functions that touch the document take the
 * mount's context. */
#ifndef PHX_REPLACE_H
#define PHX_REPLACE_H

#include "fs/node.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#define PHX_REMOVED_WINDOW_S 10

struct phx_replace;

struct phx_replace *phx_replace_new(void);
void phx_replace_free(struct phx_replace *r);

/* Values created and not written yet, by path; counted per open handle. */
int phx_created_add(struct phx_replace *r, const char *path);
void phx_created_drop(struct phx_replace *r, const char *path);
bool phx_created_has(struct phx_replace *r, const char *path);
/* Call fn with the name of every created value directly inside dir. */
void phx_created_list(struct phx_replace *r, const char *dir,
		      void (*fn)(void *arg, const char *name), void *arg);
/* The stat of a created value: size of what an open handle holds so far. */
int phx_created_stat(struct phx_fs *fs, const struct phx_node *n, struct stat *st);

/* Remember that pid removed value (taken over) at path, index-th among its
 * siblings; forget it after PHX_REMOVED_WINDOW_S seconds (monotonic). */
int phx_removed_add(struct phx_replace *r, const char *path, pid_t pid, json_object *value,
		    int index);
/* The value pid removed from path within the window (the caller owns it),
 * or NULL; it is forgotten here. */
json_object *phx_removed_take(struct phx_replace *r, const char *path, pid_t pid, int *index);

/* rm of a value by pid: remove its key and remember it for a re-create. */
int phx_replace_remove(struct phx_fs *fs, const struct phx_node *n, pid_t pid);
/* A create (or a rename onto path) by pid: when pid removed this value a
 * moment ago, put it back in its place and re-resolve n; true when n now
 * names that value. */
bool phx_replace_put_back(struct phx_fs *fs, const char *path, pid_t pid, struct phx_node *n);

#endif
