#include "backend/json_raw.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct attach {
	json_object *v;
	size_t start, len;
};

/* A walk of the text beside the tree. The text is one json-c has already
 * accepted, so the walk only has to find where each value starts and ends;
 * anything that does not line up (a duplicate key) ends it with nothing
 * attached. */
struct walk {
	const char *s;
	size_t i, len;
	struct attach *v;
	size_t n, cap;
	bool mismatch, nomem;
	size_t controls;           /* raw control bytes seen inside strings */
	bool spans;                /* note members of parents, not raw values */
	json_object *const *parents;
	size_t nparents;
};

static bool is_parent(const struct walk *w, json_object *o)
{
	for (size_t k = 0; k < w->nparents; k++)
		if (w->parents[k] == o)
			return true;
	return false;
}

static void skip_ws(struct walk *w)
{
	while (w->i < w->len && (w->s[w->i] == ' ' || w->s[w->i] == '\t' ||
				 w->s[w->i] == '\n' || w->s[w->i] == '\r'))
		w->i++;
}

static void note(struct walk *w, json_object *v, size_t start, size_t end)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		struct attach *nv = realloc(w->v, cap * sizeof(*nv));

		if (!nv) {
			w->nomem = true;
			return;
		}
		w->v = nv;
		w->cap = cap;
	}
	w->v[w->n++] = (struct attach){ v, start, end - start };
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Skip a string literal; *same is whether json_write.c's quoting of its
 * value gives back exactly these bytes (it escapes " \ \n \r \t \b \f and
 * other controls as \u00xx, and writes every other byte as it is). A raw
 * control byte (json-c's strict mode lets a tab through) is counted: such
 * a literal is not JSON for Python or jq, so it is written escaped rather
 * than kept. */
static void skip_string(struct walk *w, bool *same)
{
	size_t controls = w->controls;

	*same = true;
	w->i++; /* the opening quote */
	while (w->i < w->len && w->s[w->i] != '"') {
		unsigned char c = (unsigned char)w->s[w->i];

		if (c < 0x20)
			w->controls++;
		if (c != '\\') {
			w->i++;
			continue;
		}
		if (w->i + 1 >= w->len)
			break;
		c = (unsigned char)w->s[w->i + 1];
		if (c == 'u') {
			int h = 0;

			for (int k = 2; k < 6 && w->i + (size_t)k < w->len; k++) {
				int d = hexval(w->s[w->i + k]);

				h = h * 16 + (d < 0 ? 0 : d);
				if (w->s[w->i + k] >= 'A' && w->s[w->i + k] <= 'F')
					*same = false; /* we write lower case */
			}
			if (h >= 0x20 || h == '\b' || h == '\f' || h == '\n' || h == '\r' || h == '\t')
				*same = false;
			w->i += 6;
		} else {
			if (!strchr("\"\\nrtbf", c))
				*same = false; /* \/ */
			w->i += 2;
		}
	}
	w->i++; /* the closing quote */
	if (w->controls != controls)
		*same = true; /* written anew, escaped */
}

static void walk_value(struct walk *w, json_object *v);

static void walk_object(struct walk *w, json_object *v)
{
	struct json_object_iterator it, end;

	if (!json_object_is_type(v, json_type_object)) {
		w->mismatch = true;
		return;
	}
	it = json_object_iter_begin(v);
	end = json_object_iter_end(v);
	w->i++;
	skip_ws(w);
	if (w->i < w->len && w->s[w->i] == '}') {
		w->i++;
		return;
	}
	while (!w->mismatch && !w->nomem && w->i < w->len) {
		bool same;

		if (json_object_iter_equal(&it, &end)) {
			/* more members than the object has: a key came twice */
			w->mismatch = true;
			return;
		}
		skip_ws(w);
		skip_string(w, &same);
		skip_ws(w);
		w->i++; /* : */
		skip_ws(w);
		{
			size_t start = w->i, controls = w->controls;
			json_object *m = json_object_iter_peek_value(&it);

			walk_value(w, m);
			/* a member with raw control bytes is written anew */
			if (w->spans && is_parent(w, v) && w->controls == controls)
				note(w, m, start, w->i);
		}
		json_object_iter_next(&it);
		skip_ws(w);
		if (w->i < w->len && w->s[w->i] == '}') {
			w->i++;
			break;
		}
		w->i++; /* , */
	}
	if (!json_object_iter_equal(&it, &end))
		w->mismatch = true;
}

static void walk_array(struct walk *w, json_object *v)
{
	size_t k = 0, n;

	if (!json_object_is_type(v, json_type_array)) {
		w->mismatch = true;
		return;
	}
	n = json_object_array_length(v);
	w->i++;
	skip_ws(w);
	if (w->i < w->len && w->s[w->i] == ']') {
		w->i++;
		w->mismatch |= n != 0;
		return;
	}
	while (!w->mismatch && !w->nomem && w->i < w->len) {
		if (k >= n) {
			w->mismatch = true;
			return;
		}
		walk_value(w, json_object_array_get_idx(v, k++));
		skip_ws(w);
		if (w->i < w->len && w->s[w->i] == ']') {
			w->i++;
			break;
		}
		w->i++; /* , */
	}
	w->mismatch |= k != n;
}

/* The text json_write.c gives an integer. */
static bool int_text_same(json_object *v, const char *s, size_t n)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%" PRId64, json_object_get_int64(v));

	return (size_t)len == n && memcmp(buf, s, n) == 0;
}

static void walk_value(struct walk *w, json_object *v)
{
	size_t start;
	bool same;

	skip_ws(w);
	if (w->i >= w->len) {
		w->mismatch = true;
		return;
	}
	start = w->i;
	switch (w->s[w->i]) {
	case '{':
		walk_object(w, v);
		return;
	case '[':
		walk_array(w, v);
		return;
	case '"':
		skip_string(w, &same);
		if (!json_object_is_type(v, json_type_string))
			w->mismatch = true;
		else if (!same && !w->spans)
			note(w, v, start, w->i);
		return;
	case 't':
	case 'f':
	case 'n':
		while (w->i < w->len && w->s[w->i] >= 'a' && w->s[w->i] <= 'z')
			w->i++;
		return;
	default:
		while (w->i < w->len && strchr("+-0123456789.eE", w->s[w->i]))
			w->i++;
		/* doubles keep their text already (json_object_new_double_s) */
		if (json_object_is_type(v, json_type_int) &&
		    !int_text_same(v, w->s + start, w->i - start)) {
			if (!w->spans)
				note(w, v, start, w->i);
		}
		else if (!json_object_is_type(v, json_type_int) &&
			 !json_object_is_type(v, json_type_double))
			w->mismatch = true;
		return;
	}
}

int phx_json_keep_text(json_object *v, const char *text, size_t len)
{
	struct walk w = { .s = text, .len = len };
	int rc = 0;

	walk_value(&w, v);
	if (w.nomem)
		rc = -ENOMEM;
	else if (w.mismatch)
		w.n = 0;
	for (size_t k = 0; k < w.n; k++) {
		char *t = strndup(text + w.v[k].start, w.v[k].len);

		if (!t) {
			rc = -ENOMEM;
			break;
		}
		json_object_set_serializer(w.v[k].v, json_object_userdata_to_json_string, t,
					   json_object_free_userdata);
	}
	free(w.v);
	return rc;
}

const char *phx_json_raw_text(json_object *v)
{
	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_userdata(v);
}

int phx_json_member_spans(json_object *v, const char *text, size_t len,
			  json_object *const *parents, size_t nparents,
			  struct phx_json_span **spans, size_t *n)
{
	struct walk w = { .s = text, .len = len, .spans = true, .parents = parents,
			  .nparents = nparents };

	*spans = NULL;
	*n = 0;
	walk_value(&w, v);
	if (w.nomem || w.mismatch) {
		free(w.v);
		return w.nomem ? -ENOMEM : -EINVAL;
	}
	/* struct attach and struct phx_json_span are the same triple */
	*spans = calloc(w.n ? w.n : 1, sizeof(**spans));
	if (!*spans) {
		free(w.v);
		return -ENOMEM;
	}
	for (size_t k = 0; k < w.n; k++)
		(*spans)[k] = (struct phx_json_span){ w.v[k].v, w.v[k].start, w.v[k].len };
	*n = w.n;
	free(w.v);
	return 0;
}
