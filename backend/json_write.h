/* JSON text the way people keep phoenix_lxc_configs.json: indented (width
 * taken from the file as found, 4 spaces by default), keys in their order,
 * empty containers as {} and [], numbers as they were read. Keeping the
 * layout keeps diffs of the file small for whoever tracks it in git. */
#ifndef PHX_JSON_WRITE_H
#define PHX_JSON_WRITE_H

#include <json-c/json.h>
#include <stddef.h>

/* indent: spaces per level, or 0 for one tab per level. Returns a malloc'd
 * NUL-terminated text with a final newline; *len excludes the NUL. */
char *phx_json_pretty(json_object *v, int indent, size_t *len);

/* v as it is written at nesting level depth (its first line unindented, no
 * final newline): pieces of a larger text that phx_json_pretty would
 * write byte for byte the same. */
char *phx_json_fragment(json_object *v, int indent, int depth, size_t *len);
/* A JSON string literal (quotes and escapes) for s. */
char *phx_json_quote(const char *s, size_t *len);

/* The text of a scalar (number, boolean, null) without touching the object:
 * json-c's own to_json_string caches its output inside the object, which
 * readers sharing the tree under a read lock must not do. Doubles keep the
 * text they were read with. buf holds at least 64 bytes. */
const char *phx_json_scalar(json_object *v, char *buf, size_t len);

/* The indentation used by a JSON text: spaces of the first indented line,
 * 0 for a tab, fallback when nothing is indented. */
int phx_json_detect_indent(const char *text, size_t len, int fallback);

#endif
