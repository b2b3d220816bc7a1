#include "fs/node.h"

#include "fs/kind.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static json_object *entry_in(json_object *root, uint32_t ctid)
{
	json_object *configs = phx_doc_configs(root, false), *e = NULL;
	char key[16];

	if (!configs)
		return NULL;
	snprintf(key, sizeof(key), "%u", ctid);
	return json_object_object_get_ex(configs, key, &e) ? e : NULL;
}

const char *phx_node_keyname(const struct phx_node *n, int i, char *buf)
{
	memcpy(buf, n->path + n->key_off[i], n->key_len[i]);
	buf[n->key_len[i]] = '\0';
	return buf;
}

const char *phx_node_key(const struct phx_node *n, char *buf)
{
	if (n->kind == NK_ATTR)
		return n->attr->key;
	if ((n->kind == NK_KEY || n->kind == NK_KEYDIR || n->kind == NK_NONE) && n->nkeys > 0)
		return phx_node_keyname(n, 0, buf);
	return NULL;
}

bool phx_node_is_value(const struct phx_node *n)
{
	return n->kind == NK_ATTR || n->kind == NK_CT_CONFIG ||
	       n->kind == NK_ROOT_CONFIG || n->kind == NK_KEY;
}

bool phx_node_name_reserved(const char *name)
{
	const struct phx_attr *a = phx_attr_by_file(name);

	return strcmp(name, "config.json") == 0 || phx_gen_find(name) >= 0 ||
	       (a && strcmp(a->key, name) != 0);
}

json_object *phx_node_value(const struct phx_node *n, json_object *root)
{
	json_object *v = entry_in(root, n->ctid);
	char key[PHX_NAME_MAX + 1];

	if (!v)
		return NULL;
	if (n->kind == NK_ATTR) {
		json_object *r = NULL;

		return json_object_object_get_ex(v, n->attr->key, &r) ? r : NULL;
	}
	for (int i = 0; i < n->nkeys; i++) {
		json_object *next = NULL;

		if (!json_object_is_type(v, json_type_object) ||
		    !json_object_object_get_ex(v, phx_node_keyname(n, i, key), &next))
			return NULL;
		v = next;
	}
	return v;
}

/* A key of an entry shows as a file or directory unless a name of our own
 * takes its place: the schema's keys appear under their file names only. */
static bool key_is_visible(const char *key)
{
	return strcmp(key, ".") != 0 && strcmp(key, "..") != 0;
}

static int resolve_in_ct(struct phx_fs *fs, struct phx_node *n, int first, int ncomp)
{
	const char *name = phx_node_name(n);
	char key[PHX_NAME_MAX + 1];
	json_object *v = NULL;
	int rc = 0;

	if (ncomp == 1) {
		if ((n->gen = phx_gen_find(name)) >= 0) {
			n->kind = NK_GEN;
			return 0;
		}
		if (strcmp(name, "config.json") == 0) {
			n->kind = NK_CT_CONFIG;
			return 0;
		}
		if ((n->attr = phx_attr_by_file(name))) {
			n->kind = NK_ATTR;
			phx_doc_rdlock(fs->doc);
			v = phx_node_value(n, phx_doc_root(fs->doc));
			n->present = v && !((n->attr->flags & PHX_A_ONLY_TRUE) &&
					    !json_object_get_boolean(v));
			phx_doc_unlock(fs->doc);
			return 0;
		}
	}
	/* Other keys of the entry, at any depth; names the table owns are not
	 * keys here (clone_from_ctid shows only as clone_from). */
	n->nkeys = ncomp;
	for (int i = 0; i < ncomp; i++) {
		n->key_off[i] = n->key_off[first + i];
		n->key_len[i] = n->key_len[first + i];
	}
	phx_doc_rdlock(fs->doc);
	v = entry_in(phx_doc_root(fs->doc), n->ctid);
	n->kind = NK_NONE;
	for (int i = 0; i < ncomp; i++) {
		json_object *next = NULL;
		bool last = i == ncomp - 1;

		phx_node_keyname(n, i, key);
		if (!v || !json_object_is_type(v, json_type_object) ||
		    (i == 0 && (phx_attr_by_key(key) || phx_node_name_reserved(key))) ||
		    !key_is_visible(key) || !json_object_object_get_ex(v, key, &next)) {
			if (!last)
				rc = -ENOENT;
			/* A name the schema knows inside a row's object
			 * directory (network_config/name) is a key to create,
			 * not a scratch file: writing it stores it. */
			else if (i == 1 && v && json_object_is_type(v, json_type_object)) {
				char top[PHX_NAME_MAX + 1];
				const struct phx_attr *row = phx_schema_row(phx_node_keyname(n, 0, top));

				if (row && phx_schema_knows(row, key)) {
					n->attr = row;
					n->new_key = true;
				}
			}
			break;
		}
		if (last)
			n->kind = json_object_is_type(next, json_type_object) ? NK_KEYDIR : NK_KEY;
		else if (!json_object_is_type(next, json_type_object)) {
			rc = -ENOTDIR;
			break;
		}
		v = next;
	}
	phx_doc_unlock(fs->doc);
	return rc;
}

int phx_node_resolve(struct phx_fs *fs, const char *path, struct phx_node *n)
{
	size_t len = strlen(path);
	int ncomp = 0;
	const char *p = path;

	memset(n, 0, sizeof(*n));
	n->path = path;
	if (len >= PATH_MAX)
		return -ENAMETOOLONG;
	while (*p) {
		const char *start;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		start = p;
		while (*p && *p != '/')
			p++;
		if ((size_t)(p - start) > PHX_NAME_MAX || ncomp == PHX_KEYS_MAX)
			return -ENAMETOOLONG;
		n->key_off[ncomp] = (uint16_t)(start - path);
		n->key_len[ncomp] = (uint16_t)(p - start);
		ncomp++;
	}
	if (ncomp == 0) {
		n->kind = NK_ROOT;
		n->name_off = 0;
		return 0;
	}
	n->name_off = n->key_off[ncomp - 1];
	if (phx_parse_ctid(path + n->key_off[0], n->key_len[0], &n->ctid) == 0) {
		phx_doc_rdlock(fs->doc);
		n->present = phx_doc_entry(fs->doc, n->ctid) != NULL;
		phx_doc_unlock(fs->doc);
		n->on_backend = phx_engine_exists(fs->engine, n->ctid);
		if (ncomp == 1) {
			n->kind = NK_CT;
			return 0;
		}
		if (!n->present && !n->on_backend)
			return -ENOENT;
		return resolve_in_ct(fs, n, 1, ncomp - 1);
	}
	n->ctid = 0;
	if (ncomp > 1)
		return -ENOENT; /* only container directories below the root */
	if (strcmp(phx_node_name(n), "config.json") == 0)
		n->kind = NK_ROOT_CONFIG;
	else if ((n->gen = phx_root_gen_find(phx_node_name(n))) >= 0)
		n->kind = NK_ROOT_GEN;
	else
		n->kind = NK_NONE;
	return 0;
}
