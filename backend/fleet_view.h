/* The whole fleet as a picture: the clone forest drawn like pstree (the
 * root `tree` file) and the clone and dependency graph in Graphviz DOT
 * (`graph.dot`). Pure functions of a snapshot of rows, so the caller takes
 * its locks once to fill the rows and renders with none held. */
#ifndef PHX_FLEET_VIEW_H
#define PHX_FLEET_VIEW_H

#include <stddef.h>
#include <stdint.h>

struct phx_fleet_row {
	uint32_t ctid;
	const char *name;   /* entry's name, or NULL */
	const char *state;  /* state word: running, template, failed, ... */
	uint32_t clone_from; /* 0: none */
	const uint32_t *deps; /* `dependencies`, in the entry's order */
	size_t ndeps;
};

/* One line per container; clones hang off their source:
 *   900 template base ─┬─ 901 template mid ─── 120 running leaf-a
 *                      └─ 103 running ca [after 1002]
 * Rows are taken in CTID order; a source that is not among the rows is
 * drawn as a root of its own ("1002 ?"). Returns 0 or -ENOMEM. */
int phx_fleet_tree(const struct phx_fleet_row *rows, size_t n, char **out, size_t *len);

/* `digraph fleet { ... }`: a node per container coloured by state, a solid
 * edge source -> clone, a dashed edge dependency -> dependent. */
int phx_fleet_dot(const struct phx_fleet_row *rows, size_t n, char **out, size_t *len);

#endif
