#include "backend/chain.h"

#include "backend/schema.h"

#include <errno.h>
#include <stdlib.h>
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

int phx_chain_deps(json_object *entry, uint32_t *out, size_t max, char *err, size_t errlen)
{
	json_object *v;
	size_t n;

	if (!entry || !json_object_object_get_ex(entry, "dependencies", &v) ||
	    json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_array)) {
		snprintf(err, errlen, "dependencies must be a list of container ids");
		return -EINVAL;
	}
	n = json_object_array_length(v);
	for (size_t i = 0; i < n; i++) {
		uint32_t id;

		if (phx_json_ctid(json_object_array_get_idx(v, i), &id) < 0) {
			snprintf(err, errlen, "dependencies[%zu] is not a container id", i);
			return -EINVAL;
		}
		if (i < max)
			out[i] = id;
	}
	return (int)n;
}

/* One step of the walk: who waits for whom, and why. */
struct order_step {
	uint32_t ctid;
	uint32_t from;     /* the id that waits for ctid (0 at the start) */
	const char *why;   /* "clone source" or "dependency" */
	size_t parent;     /* index of `from`'s step, for the path in err */
};

#define ORDER_MAX 4096 /* steps looked at; more is a file no one can read */

static void order_path(const struct order_step *s, size_t last, uint32_t ctid,
		       char *err, size_t errlen)
{
	size_t chain[64], n = 0, len = 0;

	for (size_t i = last; n < 64; i = s[i].parent) {
		chain[n++] = i;
		if (s[i].from == ctid || i == 0)
			break;
	}
	len += (size_t)snprintf(err, errlen, "build order cycle: %u", ctid);
	for (bool first = true; n-- > 0 && len < errlen; first = false) {
		const struct order_step *x = &s[chain[n]];

		len += (size_t)snprintf(err + len, errlen - len, "%s waits for %u (%s)",
					first ? "" : ", which", x->ctid, x->why);
	}
}

int phx_order_check(json_object *configs, uint32_t ctid, char *err, size_t errlen)
{
	struct order_step *s;
	size_t n = 0, i;
	int rc = 0;

	if (!configs || !entry_of(configs, ctid))
		return 0;
	s = calloc(ORDER_MAX, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s[n++] = (struct order_step){ .ctid = ctid };
	/* breadth first over the steps; an id already taken is not taken
	 * again (a diamond is not a cycle) */
	for (i = 0; i < n && rc == 0; i++) {
		json_object *e = entry_of(configs, s[i].ctid);
		uint32_t next[256], src = 0;
		int nd;

		if (!e)
			continue; /* not in the file: waited for on the backend */
		if (phx_chain_source(e, &src) < 0) {
			snprintf(err, errlen, "%u: clone_from_ctid is not a container id", s[i].ctid);
			rc = -EINVAL;
			break;
		}
		nd = phx_chain_deps(e, next, 256, err, errlen);
		if (nd < 0) {
			rc = nd;
			break;
		}
		if (nd > 256)
			nd = 256;
		for (int k = -1; k < nd && rc == 0; k++) {
			uint32_t to = k < 0 ? src : next[k];
			bool seen = false;

			if (!to)
				continue;
			if (to == ctid) {
				s[n < ORDER_MAX ? n : ORDER_MAX - 1] = (struct order_step){
					.ctid = to, .from = s[i].ctid, .parent = i,
					.why = k < 0 ? "clone source" : "dependency" };
				order_path(s, n < ORDER_MAX ? n : ORDER_MAX - 1, ctid, err, errlen);
				rc = -ELOOP;
				break;
			}
			for (size_t j = 0; j < n && !seen; j++)
				seen = s[j].ctid == to;
			if (seen)
				continue;
			if (n == ORDER_MAX) {
				snprintf(err, errlen, "build order from %u does not end", ctid);
				rc = -ELOOP;
				break;
			}
			s[n++] = (struct order_step){ .ctid = to, .from = s[i].ctid, .parent = i,
						      .why = k < 0 ? "clone source" : "dependency" };
		}
	}
	free(s);
	return rc;
}

int phx_order_check_all(json_object *configs, char *err, size_t errlen)
{
	if (!configs)
		return 0;
	json_object_object_foreach(configs, key, entry) {
		uint32_t ctid;
		int rc;

		(void)entry;
		if (phx_parse_ctid(key, strlen(key), &ctid) < 0)
			continue;
		if ((rc = phx_order_check(configs, ctid, err, errlen)) < 0)
			return rc;
	}
	return 0;
}
