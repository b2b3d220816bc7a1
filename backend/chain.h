/* Clone chains in the desired state: who clones from whom. A write that
 * would make a cycle, or name a source that is neither an entry nor a
 * container on the backend, is refused before anything changes. */
#ifndef PHX_CHAIN_H
#define PHX_CHAIN_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef bool (*phx_exists_fn)(void *arg, uint32_t ctid);

/* The clone source of an entry: 0 when it has none. -EINVAL when the
 * value is not a CTID. */
int phx_chain_source(json_object *entry, uint32_t *src);

/* Check the chain starting at src as if ctid cloned from src, in the
 * lxc_configs object `configs` (may be NULL). Returns 0, -ELOOP (cycle,
 * self, or a chain longer than any real one), -ENOENT (a link names no
 * entry and no backend container), or -EINVAL; err tells which link. */
int phx_chain_check(json_object *configs, uint32_t ctid, uint32_t src,
		    phx_exists_fn exists, void *arg, char *err, size_t errlen);

/* Check every entry's chain (a whole-document write). */
int phx_chain_check_all(json_object *configs, phx_exists_fn exists, void *arg,
			char *err, size_t errlen);

/* The `dependencies` of an entry: container ids that must be running
 * before it starts (numbers or numeric strings, as the origin writes
 * them). Up to max are stored; returns how many there are, or -EINVAL
 * naming the bad element in err. */
int phx_chain_deps(json_object *entry, uint32_t *out, size_t max, char *err, size_t errlen);

/* The build order through ctid: ctid waits for its clone source and for
 * its dependencies, and each of those for theirs. Returns -ELOOP when that
 * leads back to ctid ("101 waits for 103 (dependency), which waits for
 * 101 (clone source)"), -EINVAL for a malformed link, else 0. Ids with no
 * entry end the walk: a guest that is not in the file (a VM) is waited
 * for on the backend. Only cycles through ctid are looked for: the file
 * had none before the change being checked. */
int phx_order_check(json_object *configs, uint32_t ctid, char *err, size_t errlen);

/* phx_order_check for every entry (a whole-document write, a load). */
int phx_order_check_all(json_object *configs, char *err, size_t errlen);

#endif
