/* Attribute files that were created (open with O_CREAT) but have not had a
 * value committed yet. `install`, `mv` from another filesystem and `git
 * checkout` unlink an attribute and create it again; between the create and
 * the first commit the name must exist (fstat, a second lookup) although
 * its key is not in the document yet. */
#ifndef PHX_PENDING_H
#define PHX_PENDING_H

#include "backend/schema.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct phx_pending;

struct phx_pending *phx_pending_new(void);
void phx_pending_free(struct phx_pending *p);
int phx_pending_add(struct phx_pending *p, uint32_t ctid, const struct phx_attr *a);
void phx_pending_drop(struct phx_pending *p, uint32_t ctid, const struct phx_attr *a);
bool phx_pending_has(struct phx_pending *p, uint32_t ctid, const struct phx_attr *a);

/* Values removed a moment ago. install, mv from another filesystem, git
 * checkout and vim replace a file by unlinking it and creating it again
 * from the same process. Remembering the removed value and its place lets
 * that create put it back, so the new value replaces it in place (key order
 * kept) and a refused new value leaves the document exactly as it was. */
#define PHX_REMOVED_WINDOW_S 10
/* Remember that pid removed the value at path, index-th among its siblings.
 * Takes ownership of value. */
int phx_pending_removed(struct phx_pending *p, const char *path, pid_t pid,
			json_object *value, int index);
/* The value pid removed from path within the window, or NULL. The caller
 * owns the result; it is forgotten here. */
json_object *phx_pending_take_removed(struct phx_pending *p, const char *path, pid_t pid,
				      int *index);

#endif
