/* Turning bytes written through the mount into changes of the desired
 * state. Every change is checked first (value, clone chain, un-templating)
 * and then saved atomically; a refused change leaves the file untouched and
 * is recorded in the container's error and log files. */
#ifndef PHX_COMMIT_H
#define PHX_COMMIT_H

#include "fs/node.h"

#include <stddef.h>

/* Check a complete value for node n without changing anything. */
int phx_value_check(struct phx_fs *fs, const struct phx_node *n,
		    const char *data, size_t len, char *err, size_t errlen);
/* Commit a complete value for node n (NK_ATTR, NK_KEY, NK_CT_CONFIG,
 * NK_ROOT_CONFIG, or NK_NONE inside an entry or one of its object
 * directories: a new key, its value JSON). Anything else is -EPERM. What
 * the change asks of the backend reaches the engine through the
 * document's change feed, not from here. */
int phx_value_commit(struct phx_fs *fs, const struct phx_node *n,
		     const char *data, size_t len, char *err, size_t errlen);
/* rm of an attribute or key file: remove the key ("no opinion"). */
int phx_value_remove(struct phx_fs *fs, const struct phx_node *n, char *err, size_t errlen);
/* A copy of a value (NK_ATTR or NK_KEY) and its position among its
 * siblings, taken before rm so that a re-create can put it back; NULL when
 * there is none. */
json_object *phx_value_snapshot(struct phx_fs *fs, const struct phx_node *n, int *index);
/* Put a removed value back at its position (the index-th key), for a node
 * that names it (NK_ATTR, or NK_NONE where the key was). Not a change of
 * the desired state: the document returns to what it was before the rm.
 * -EEXIST when the key is there again. */
int phx_value_reinsert(struct phx_fs *fs, const struct phx_node *n, json_object *value,
		       int index, char *err, size_t errlen);
/* mkdir /<ctid>: add an empty entry. mkdir inside: add an empty object. */
int phx_entry_add(struct phx_fs *fs, const struct phx_node *n, char *err, size_t errlen);
/* rmdir /<ctid>, or of an empty object directory. */
int phx_entry_remove(struct phx_fs *fs, const struct phx_node *n, char *err, size_t errlen);

/* Report a refusal: container error/log, daemon log. */
void phx_refused(struct phx_fs *fs, const struct phx_node *n, int rc, const char *err);

#endif
