/* Attribute files that were created (open with O_CREAT) but have not had a
 * value committed yet. `install`, `mv` from another filesystem and `git
 * checkout` unlink an attribute and create it again; between the create and
 * the first commit the name must exist (fstat, a second lookup) although
 * its key is not in the document yet. */
#ifndef PHX_PENDING_H
#define PHX_PENDING_H

#include "backend/schema.h"

#include <stdbool.h>
#include <stdint.h>

struct phx_pending;

struct phx_pending *phx_pending_new(void);
void phx_pending_free(struct phx_pending *p);
int phx_pending_add(struct phx_pending *p, uint32_t ctid, const struct phx_attr *a);
void phx_pending_drop(struct phx_pending *p, uint32_t ctid, const struct phx_attr *a);
bool phx_pending_has(struct phx_pending *p, uint32_t ctid, const struct phx_attr *a);

#endif
