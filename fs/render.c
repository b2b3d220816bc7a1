#include "fs/render.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

size_t phx_all_ctids(struct phx_fs *fs, uint32_t **out)
{
	uint32_t *backend = NULL, *all;
	size_t nb = phx_engine_backend_ctids(fs->engine, &backend), nd = 0, n = 0;
	json_object *configs;

	phx_doc_rdlock(fs->doc);
	configs = phx_doc_configs(phx_doc_root(fs->doc), false);
	if (configs)
		nd = (size_t)json_object_object_length(configs);
	all = malloc((nb + nd + 1) * sizeof(*all));
	if (all) {
		if (configs) {
			json_object_object_foreach(configs, key, val) {
				uint32_t c;

				(void)val;
				if (phx_parse_ctid(key, strlen(key), &c) == 0)
					all[n++] = c;
			}
		}
		if (nb)
			memcpy(all + n, backend, nb * sizeof(*all));
		n += nb;
	}
	phx_doc_unlock(fs->doc);
	free(backend);
	if (!all) {
		*out = NULL;
		return 0;
	}
	qsort(all, n, sizeof(*all), cmp_u32);
	size_t u = 0;

	for (size_t i = 0; i < n; i++)
		if (u == 0 || all[u - 1] != all[i])
			all[u++] = all[i];
	*out = all;
	return u;
}

/* A growing text buffer for the root status file. */
struct sbuf {
	char *s;
	size_t len, cap;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		char *ns;

		while (cap < b->len + n + 1)
			cap *= 2;
		ns = realloc(b->s, cap);
		if (!ns)
			return;
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static int render_root_status(struct phx_fs *fs, char **out, size_t *len)
{
	uint32_t *ids;
	size_t n = phx_all_ctids(fs, &ids);
	struct sbuf b = { 0 };

	sb_add(&b, "", 0);
	for (size_t i = 0; i < n; i++) {
		char status[512], line[768], name[130] = "-";
		json_object *entry, *v;
		size_t w;

		phx_engine_status(fs->engine, ids[i], status, sizeof(status));
		status[strcspn(status, ":")] = '\0'; /* the state word only */
		phx_doc_rdlock(fs->doc);
		entry = phx_doc_entry(fs->doc, ids[i]);
		if (entry && json_object_object_get_ex(entry, "name", &v) &&
		    json_object_is_type(v, json_type_string) && json_object_get_string_len(v) > 0)
			snprintf(name, sizeof(name), "%s", json_object_get_string(v));
		phx_doc_unlock(fs->doc);
		w = (size_t)snprintf(line, sizeof(line), "%u %s %s\n", ids[i], status, name);
		sb_add(&b, line, w < sizeof(line) ? w : sizeof(line) - 1);
	}
	free(ids);
	if (!b.s)
		return -ENOMEM;
	*out = b.s;
	*len = b.len;
	return 0;
}

static char *dup_line(const char *s, size_t *len)
{
	size_t n = strlen(s);
	char *r = malloc(n + 2);

	if (!r)
		return NULL;
	memcpy(r, s, n);
	if (n > 0 && s[n - 1] != '\n')
		r[n++] = '\n';
	r[n] = '\0';
	*len = n;
	return r;
}

static int render_gen(struct phx_fs *fs, const struct phx_node *n, char **out, size_t *len)
{
	char status[1024];
	char *s;

	switch (n->gen) {
	case GEN_STATUS:
		phx_engine_status(fs->engine, n->ctid, status, sizeof(status));
		s = dup_line(status, len);
		break;
	case GEN_ERROR: {
		char *e = phx_engine_error(fs->engine, n->ctid);

		s = e ? dup_line(e, len) : NULL;
		free(e);
		break;
	}
	case GEN_LOG:
		s = phx_engine_log(fs->engine, n->ctid);
		if (s)
			*len = strlen(s);
		break;
	default:
		return -EACCES;
	}
	if (!s)
		return -ENOMEM;
	*out = s;
	return 0;
}

int phx_render(struct phx_fs *fs, const struct phx_node *n, char **out, size_t *len)
{
	json_object *v;
	char *s = NULL;

	switch (n->kind) {
	case NK_ROOT_STATUS:
		return render_root_status(fs, out, len);
	case NK_GEN:
		return render_gen(fs, n, out, len);
	case NK_ROOT_CONFIG:
		phx_doc_rdlock(fs->doc);
		s = phx_doc_text(fs->doc, len);
		phx_doc_unlock(fs->doc);
		break;
	case NK_CT_CONFIG:
		phx_doc_rdlock(fs->doc);
		v = phx_doc_entry(fs->doc, n->ctid);
		if (v) {
			s = phx_json_format(v);
		} else {
			json_object *empty = json_object_new_object();

			s = phx_json_format(empty);
			json_object_put(empty);
		}
		phx_doc_unlock(fs->doc);
		if (s)
			*len = strlen(s);
		break;
	case NK_ATTR:
	case NK_KEY:
		phx_doc_rdlock(fs->doc);
		v = phx_node_value(n, phx_doc_root(fs->doc));
		if (v && n->kind == NK_ATTR && (n->attr->flags & PHX_A_ONLY_TRUE) &&
		    !json_object_get_boolean(v))
			v = NULL;
		if (v)
			s = n->kind == NK_ATTR ? phx_attr_format(n->attr, v) : phx_json_format(v);
		phx_doc_unlock(fs->doc);
		if (!v)
			return -ENOENT;
		if (s)
			*len = strlen(s);
		break;
	case NK_ROOT:
	case NK_CT:
	case NK_KEYDIR:
		return -EISDIR;
	default:
		return -ENOENT;
	}
	if (!s)
		return -ENOMEM;
	*out = s;
	return 0;
}
