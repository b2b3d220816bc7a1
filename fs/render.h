/* What a read of a file returns: values from the doc, generated files from
 * the engine. Rendering never touches the backend. */
#ifndef PHX_RENDER_H
#define PHX_RENDER_H

#include "fs/node.h"

#include <stddef.h>

/* Render the file node n names into a malloc'd buffer. Returns 0, or
 * -ENOENT (no such value), -EISDIR, -EACCES (ctl, wait: not rendered). */
int phx_render(struct phx_fs *fs, const struct phx_node *n, char **out, size_t *len);

/* Every CTID shown at the root: entries and backend guests, sorted, unique. */
size_t phx_all_ctids(struct phx_fs *fs, uint32_t **out);

#endif
