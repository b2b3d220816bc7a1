#include "backend/chain.h"

#include "backend/schema.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* No real template hierarchy is this deep; a longer walk means a cycle that
 * does not pass through the container being written. */
#define CHAIN_MAX 1024

static json_object *entry_of(json_object *configs, uint32_t ctid)
{
	json_object *e = NULL;
	char key[16];

	if (!configs)
		return NULL;
	snprintf(key, sizeof(key), "%u", ctid);
	return json_object_object_get_ex(configs, key, &e) ? e : NULL;
}

int phx_chain_source(json_object *entry, uint32_t *src)
{
	json_object *v;

	*src = 0;
	if (!entry || !json_object_object_get_ex(entry, "clone_from_ctid", &v) ||
	    json_object_is_type(v, json_type_null))
		return 0;
	return phx_json_ctid(v, src);
}

int phx_chain_check(json_object *configs, uint32_t ctid, uint32_t src,
		    phx_exists_fn exists, void *arg, char *err, size_t errlen)
{
	uint32_t cur = src, prev = ctid;

	for (int hops = 0; cur != 0; hops++) {
		json_object *entry;

		if (cur == ctid) {
			if (prev == ctid)
				snprintf(err, errlen, "%u cannot clone from itself", ctid);
			else
				snprintf(err, errlen, "clone cycle: %u clones from %u, which leads back to %u",
					 ctid, src, ctid);
			return -ELOOP;
		}
		if (hops >= CHAIN_MAX) {
			snprintf(err, errlen, "clone chain from %u does not end (a cycle among its sources)", src);
			return -ELOOP;
		}
		entry = entry_of(configs, cur);
		if (!entry) {
			if (exists && exists(arg, cur))
				return 0; /* an existing container ends the chain */
			if (cur == src)
				snprintf(err, errlen, "clone source %u has no entry and no container", cur);
			else
				snprintf(err, errlen, "clone source %u (needed by %u) has no entry and no container",
					 cur, prev);
			return -ENOENT;
		}
		prev = cur;
		if (phx_chain_source(entry, &cur) < 0) {
			snprintf(err, errlen, "%u: clone_from_ctid is not a container id", prev);
			return -EINVAL;
		}
	}
	return 0;
}

int phx_chain_check_all(json_object *configs, phx_exists_fn exists, void *arg,
			char *err, size_t errlen)
{
	if (!configs)
		return 0;
	json_object_object_foreach(configs, key, entry) {
		uint32_t ctid, src;
		int rc;

		if (phx_parse_ctid(key, strlen(key), &ctid) < 0)
			continue; /* validated elsewhere */
		if (phx_chain_source(entry, &src) < 0) {
			snprintf(err, errlen, "%s: clone_from_ctid is not a container id", key);
			return -EINVAL;
		}
		if (src && (rc = phx_chain_check(configs, ctid, src, exists, arg, err, errlen)) < 0)
			return rc;
	}
	return 0;
}
