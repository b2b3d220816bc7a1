#include "backend/json_write.h"

#include "backend/json_raw.h"
#include "backend/strbuf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct out {
	struct strbuf b;
	int indent;
};

static void put(struct out *o, const char *s, size_t n)
{
	strbuf_add(&o->b, s, n);
}

static void puts_(struct out *o, const char *s)
{
	strbuf_adds(&o->b, s);
}

static void newline(struct out *o, int depth)
{
	put(o, "\n", 1);
	for (int i = 0; i < depth; i++) {
		if (o->indent == 0)
			put(o, "\t", 1);
		else
			put(o, "                ", (size_t)(o->indent < 16 ? o->indent : 16));
	}
}

static void put_string(struct out *o, const char *s, size_t n)
{
	put(o, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];

		switch (c) {
		case '"':  puts_(o, "\\\""); break;
		case '\\': puts_(o, "\\\\"); break;
		case '\n': puts_(o, "\\n"); break;
		case '\r': puts_(o, "\\r"); break;
		case '\t': puts_(o, "\\t"); break;
		case '\b': puts_(o, "\\b"); break;
		case '\f': puts_(o, "\\f"); break;
		default:
			if (c < 0x20) {
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				puts_(o, esc);
			} else {
				put(o, (const char *)&s[i], 1);
			}
		}
	}
	put(o, "\"", 1);
}

static void put_value(struct out *o, json_object *v, int depth)
{
	switch (json_object_get_type(v)) {
	case json_type_object: {
		int first = 1;

		if (json_object_object_length(v) == 0) {
			puts_(o, "{}");
			return;
		}
		put(o, "{", 1);
		json_object_object_foreach(v, key, val) {
			if (!first)
				put(o, ",", 1);
			first = 0;
			newline(o, depth + 1);
			put_string(o, key, strlen(key));
			put(o, ": ", 2);
			put_value(o, val, depth + 1);
		}
		newline(o, depth);
		put(o, "}", 1);
		return;
	}
	case json_type_array: {
		size_t n = json_object_array_length(v);

		if (n == 0) {
			puts_(o, "[]");
			return;
		}
		put(o, "[", 1);
		for (size_t i = 0; i < n; i++) {
			if (i)
				put(o, ",", 1);
			newline(o, depth + 1);
			put_value(o, json_object_array_get_idx(v, i), depth + 1);
		}
		newline(o, depth);
		put(o, "]", 1);
		return;
	}
	case json_type_string:
		if (phx_json_raw_text(v)) /* as it was read: see json_raw.h */
			puts_(o, phx_json_raw_text(v));
		else
			put_string(o, json_object_get_string(v), (size_t)json_object_get_string_len(v));
		return;
	case json_type_null:
		puts_(o, "null");
		return;
	default: {
		char buf[64];

		puts_(o, phx_json_scalar(v, buf, sizeof(buf)));
		return;
	}
	}
}

const char *phx_json_scalar(json_object *v, char *buf, size_t len)
{
	switch (json_object_get_type(v)) {
	case json_type_boolean:
		return json_object_get_boolean(v) ? "true" : "false";
	case json_type_int:
		/* beyond int64, or written otherwise (-0): as it was read */
		if (phx_json_raw_text(v))
			return phx_json_raw_text(v);
		snprintf(buf, len, "%" PRId64, json_object_get_int64(v));
		return buf;
	case json_type_double: {
		/* the tokener keeps a double's text as the object's userdata */
		const char *text = json_object_get_userdata(v);

		if (text)
			return text;
		snprintf(buf, len, "%.17g", json_object_get_double(v));
		if (!strpbrk(buf, ".eEn")) /* stay a double: 2 -> 2.0 */
			strncat(buf, ".0", len - strlen(buf) - 1);
		return buf;
	}
	default:
		return "null";
	}
}

static char *finish(struct out *o, size_t *len)
{
	char *text;

	return strbuf_finish(&o->b, &text, len) == 0 ? text : NULL;
}

char *phx_json_pretty(json_object *v, int indent, size_t *len)
{
	struct out o = { .b = STRBUF_INIT, .indent = indent };

	put_value(&o, v, 0);
	put(&o, "\n", 1);
	return finish(&o, len);
}

char *phx_json_fragment(json_object *v, int indent, int depth, size_t *len)
{
	struct out o = { .b = STRBUF_INIT, .indent = indent };

	put_value(&o, v, depth);
	return finish(&o, len);
}

char *phx_json_quote(const char *s, size_t *len)
{
	struct out o = { .b = STRBUF_INIT, .indent = 0 };

	put_string(&o, s, strlen(s));
	return finish(&o, len);
}

int phx_json_detect_indent(const char *text, size_t len, int fallback)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (text[i] != '\n')
			continue;
		if (text[i + 1] == '\t')
			return 0;
		size_t n = 0;

		while (i + 1 + n < len && text[i + 1 + n] == ' ')
			n++;
		if (n > 0 && n <= 16)
			return (int)n;
	}
	return fallback;
}
