#include "backend/doc_text.h"

#include "backend/json_raw.h"
#include "backend/json_write.h"
#include "backend/strbuf.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct slot {
	json_object *obj; /* referenced while cached */
	char *text;
	size_t len;
};

/* Open addressing by object address; rebuilt at every render, so it holds
 * exactly the entries of the last document rendered. */
struct table {
	struct slot *v;
	size_t cap, n;
};

struct phx_doc_text {
	struct table t;
	int indent;
};

static size_t hash(const json_object *o, size_t cap)
{
	uintptr_t x = (uintptr_t)o;

	x ^= x >> 17;
	x *= 0x9E3779B97F4A7C15ull;
	return (size_t)(x >> 7) & (cap - 1);
}

static struct slot *find(struct table *t, const json_object *o)
{
	if (!t->cap)
		return NULL;
	for (size_t i = hash(o, t->cap);; i = (i + 1) & (t->cap - 1)) {
		if (t->v[i].obj == o)
			return &t->v[i];
		if (!t->v[i].obj)
			return NULL;
	}
}

static int insert(struct table *t, json_object *o, char *text, size_t len)
{
	size_t i;

	if ((t->n + 1) * 2 > t->cap)
		return -1; /* sized by the caller */
	for (i = hash(o, t->cap); t->v[i].obj; i = (i + 1) & (t->cap - 1))
		;
	t->v[i] = (struct slot){ json_object_get(o), text, len };
	t->n++;
	return 0;
}

static void table_clear(struct table *t)
{
	for (size_t i = 0; i < t->cap; i++) {
		if (t->v[i].obj) {
			json_object_put(t->v[i].obj);
			free(t->v[i].text);
		}
	}
	free(t->v);
	*t = (struct table){ 0 };
}

struct phx_doc_text *phx_doc_text_new(void)
{
	return calloc(1, sizeof(struct phx_doc_text));
}

void phx_doc_text_free(struct phx_doc_text *c)
{
	if (!c)
		return;
	table_clear(&c->t);
	free(c);
}

static void add(struct strbuf *b, const char *s, size_t n)
{
	strbuf_add(b, s, n);
}

static void newline(struct strbuf *b, int indent, int depth)
{
	add(b, "\n", 1);
	for (int i = 0; i < depth; i++) {
		if (indent == 0)
			add(b, "\t", 1);
		else
			add(b, "                ", (size_t)(indent < 16 ? indent : 16));
	}
}

static void add_key(struct strbuf *b, const char *key)
{
	size_t n;
	char *q = phx_json_quote(key, &n);

	if (!q) {
		b->failed = true;
		return;
	}
	add(b, q, n);
	add(b, ": ", 2);
	free(q);
}

/* v's text at depth: from the cache when the object is the one seen last
 * time (moved to next), or written now (and kept in next). With next NULL
 * (phx_doc_text_peek) the cache is only read. */
static void add_value(struct phx_doc_text *c, struct strbuf *b, json_object *v, int indent,
		      int depth, struct table *next)
{
	struct slot *old = v ? find(&c->t, v) : NULL;
	char *text;
	size_t n;

	if (old && !next) {
		add(b, old->text, old->len);
		return;
	}
	if (old) {
		text = old->text;
		n = old->len;
		old->text = NULL; /* moves to the next table */
	} else if (!(text = phx_json_fragment(v, indent, depth, &n))) {
		b->failed = true;
		return;
	}
	add(b, text, n);
	if (!next || !v || find(next, v) || insert(next, v, text, n) < 0)
		free(text); /* not kept, or the same object twice: keep one */
}

/* The entries, from the cache where the object is the same as last time. */
static void add_configs(struct phx_doc_text *c, struct strbuf *b, json_object *configs,
			int indent, struct table *next)
{
	bool first = true;

	if (json_object_object_length(configs) == 0) {
		add(b, "{}", 2);
		return;
	}
	add(b, "{", 1);
	json_object_object_foreach(configs, key, entry) {
		if (!first)
			add(b, ",", 1);
		first = false;
		newline(b, indent, 2);
		add_key(b, key);
		add_value(c, b, entry, indent, 2, next);
	}
	newline(b, indent, 1);
	add(b, "}", 1);
}

static bool cacheable(json_object *root, json_object **configs)
{
	return json_object_is_type(root, json_type_object) &&
	       json_object_object_get_ex(root, "lxc_configs", configs) &&
	       json_object_is_type(*configs, json_type_object);
}

static size_t table_size(json_object *root, json_object *configs)
{
	size_t cap = 16;

	while (cap < ((size_t)json_object_object_length(configs) +
		      (size_t)json_object_object_length(root)) * 2 + 2)
		cap *= 2;
	return cap;
}

static void add_root(struct phx_doc_text *c, struct strbuf *b, json_object *root,
		     json_object *configs, int indent, struct table *next)
{
	bool first = true;

	add(b, "{", 1);
	json_object_object_foreach(root, key, val) {
		if (!first)
			add(b, ",", 1);
		first = false;
		newline(b, indent, 1);
		add_key(b, key);
		if (val == configs)
			add_configs(c, b, configs, indent, next);
		else
			add_value(c, b, val, indent, 1, next);
	}
	add(b, "\n}\n", 3);
}

char *phx_doc_text_render(struct phx_doc_text *c, json_object *root, int indent, size_t *len)
{
	json_object *configs = NULL;
	struct table next = { 0 };
	struct strbuf b = STRBUF_INIT;
	char *text;

	if (!cacheable(root, &configs))
		return phx_json_pretty(root, indent, len);
	if (indent != c->indent) {
		table_clear(&c->t); /* texts of another layout */
		c->indent = indent;
	}
	next.cap = table_size(root, configs);
	if (!(next.v = calloc(next.cap, sizeof(*next.v))))
		return NULL;
	add_root(c, &b, root, configs, indent, &next);
	/* what was not reused belongs to entries that are gone or changed */
	table_clear(&c->t);
	c->t = next;
	if (strbuf_finish(&b, &text, len) < 0) {
		table_clear(&c->t);
		return NULL;
	}
	return text;
}

char *phx_doc_text_peek(struct phx_doc_text *c, json_object *root, int indent, size_t *len)
{
	json_object *configs = NULL;
	struct strbuf b = STRBUF_INIT;
	char *text;

	if (!cacheable(root, &configs) || indent != c->indent)
		return phx_json_pretty(root, indent, len);
	add_root(c, &b, root, configs, indent, NULL);
	return strbuf_finish(&b, &text, len) == 0 ? text : NULL;
}

void phx_doc_text_seed(struct phx_doc_text *c, json_object *root, const char *text, size_t len,
		       int indent)
{
	json_object *configs = NULL, *parents[2];
	struct phx_json_span *spans = NULL;
	struct table t = { 0 };
	size_t n = 0;

	table_clear(&c->t);
	c->indent = indent;
	if (!cacheable(root, &configs))
		return;
	parents[0] = root;
	parents[1] = configs;
	if (phx_json_member_spans(root, text, len, parents, 2, &spans, &n) < 0)
		return; /* written in our layout instead: still the same values */
	t.cap = table_size(root, configs);
	if (!(t.v = calloc(t.cap, sizeof(*t.v)))) {
		free(spans);
		return;
	}
	for (size_t k = 0; k < n; k++) {
		char *s;

		if (!spans[k].v || spans[k].v == configs || find(&t, spans[k].v))
			continue; /* null, the one we write ourselves, or seen */
		if (!(s = strndup(text + spans[k].start, spans[k].len)) ||
		    insert(&t, spans[k].v, s, spans[k].len) < 0) {
			free(s);
			table_clear(&t);
			break;
		}
	}
	free(spans);
	c->t = t;
}
