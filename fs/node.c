#include "fs/node.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *const phx_gen_names[] = {
	[GEN_STATUS] = "status", [GEN_ERROR] = "error", [GEN_LOG] = "log",
	[GEN_WAIT] = "wait", [GEN_CTL] = "ctl",
};

static json_object *entry_in(json_object *root, uint32_t ctid)
{
	json_object *configs = phx_doc_configs(root, false), *e = NULL;
	char key[16];

	if (!configs)
		return NULL;
	snprintf(key, sizeof(key), "%u", ctid);
	return json_object_object_get_ex(configs, key, &e) ? e : NULL;
}

const char *phx_node_key(const struct phx_node *n)
{
	if (n->kind == NK_ATTR)
		return n->attr->key;
	if ((n->kind == NK_KEY || n->kind == NK_KEYDIR || n->kind == NK_NONE) && n->nkeys > 0)
		return n->keys[0];
	return NULL;
}

bool phx_node_is_value(const struct phx_node *n)
{
	return n->kind == NK_ATTR || n->kind == NK_CT_CONFIG ||
	       n->kind == NK_ROOT_CONFIG || n->kind == NK_KEY;
}

json_object *phx_node_value(const struct phx_node *n, json_object *root)
{
	json_object *v = entry_in(root, n->ctid);

	if (!v)
		return NULL;
	if (n->kind == NK_ATTR) {
		json_object *r = NULL;

		return json_object_object_get_ex(v, n->attr->key, &r) ? r : NULL;
	}
	for (int i = 0; i < n->nkeys; i++) {
		json_object *next = NULL;

		if (!json_object_is_type(v, json_type_object) ||
		    !json_object_object_get_ex(v, n->keys[i], &next))
			return NULL;
		v = next;
	}
	return v;
}

/* A key of an entry shows as a file or directory unless a name of our own
 * takes its place: the schema's keys appear under their file names only. */
static bool key_is_visible(const char *key)
{
	size_t n = strlen(key);

	if (n == 0 || n > 255 || strchr(key, '/') || strcmp(key, ".") == 0 || strcmp(key, "..") == 0)
		return false;
	return true;
}

static int resolve_in_ct(struct phx_fs *fs, struct phx_node *n, char **comp, int ncomp)
{
	const char *name = comp[0];
	json_object *entry, *v = NULL;
	int rc = 0;

	if (ncomp == 1) {
		for (int g = 0; g <= GEN_CTL; g++) {
			if (strcmp(name, phx_gen_names[g]) == 0) {
				n->kind = NK_GEN;
				n->gen = (enum phx_gen)g;
				return 0;
			}
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
	phx_doc_rdlock(fs->doc);
	entry = entry_in(phx_doc_root(fs->doc), n->ctid);
	v = entry;
	n->kind = NK_NONE;
	for (int i = 0; i < ncomp; i++) {
		json_object *next = NULL;
		bool last = i == ncomp - 1;

		if (i >= PHX_KEYS_MAX) {
			rc = -ENAMETOOLONG;
			break;
		}
		n->keys[i] = comp[i];
		n->nkeys = i + 1;
		if (!v || !json_object_is_type(v, json_type_object) ||
		    (i == 0 && phx_attr_by_key(comp[i])) || !key_is_visible(comp[i]) ||
		    !json_object_object_get_ex(v, comp[i], &next)) {
			if (!last)
				rc = -ENOENT;
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
	char *comp[PHX_KEYS_MAX + 2];
	int ncomp = 0;
	size_t len = strlen(path);

	if (len >= sizeof(n->path))
		return -ENAMETOOLONG;
	memset(n, 0, offsetof(struct phx_node, path));
	memcpy(n->path, path, len + 1);
	memcpy(n->split, path, len + 1);
	for (char *p = n->split; *p;) {
		while (*p == '/')
			*p++ = '\0';
		if (!*p)
			break;
		if (ncomp == PHX_KEYS_MAX + 2)
			return -ENAMETOOLONG;
		comp[ncomp++] = p;
		while (*p && *p != '/')
			p++;
	}
	n->name = ncomp ? comp[ncomp - 1] : "/";
	if (ncomp == 0) {
		n->kind = NK_ROOT;
		return 0;
	}
	if (phx_parse_ctid(comp[0], strlen(comp[0]), &n->ctid) == 0) {
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
		return resolve_in_ct(fs, n, comp + 1, ncomp - 1);
	}
	n->ctid = 0;
	if (ncomp > 1)
		return -ENOENT; /* only container directories below the root */
	if (strcmp(comp[0], "config.json") == 0)
		n->kind = NK_ROOT_CONFIG;
	else if (strcmp(comp[0], "status") == 0)
		n->kind = NK_ROOT_STATUS;
	else
		n->kind = NK_NONE;
	return 0;
}
