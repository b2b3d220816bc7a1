/* The original text of values json-c cannot hold.
 *
 * json-c reads 12345678901234567890 as an unsigned integer that prints as
 * INT64_MAX through the int64 accessors, clamps 18446744073709551616 and
 * -9223372036854775809 to the nearest 64-bit integer, and turns the lone
 * surrogate "\ud800" into U+FFFD. The file is shared with scripts that may
 * mean exactly what they wrote, and phoenixfs must not change a value
 * nobody edited: after a parse, every number and string whose text
 * json_write.c would write differently is given its original text (as
 * json-c keeps a double's text: a serializer with the text as userdata,
 * which json_object_deep_copy carries along). The writer prints that text;
 * a value replaced by an edit is a new object and is written anew. */
#ifndef PHX_JSON_RAW_H
#define PHX_JSON_RAW_H

#include <json-c/json.h>
#include <stddef.h>

/* Attach the original text of text (which json-c parsed into v) to the
 * values that need it. A text with a duplicate key (json-c keeps the last)
 * cannot be matched value for value and gets nothing attached. Returns 0,
 * or -ENOMEM: then some values may lack their text, and the caller must
 * not use the tree (a save would change them). */
int phx_json_keep_text(json_object *v, const char *text, size_t len);

/* The original text attached to an integer or string, or NULL. */
const char *phx_json_raw_text(json_object *v);

/* Where in text (which json-c parsed into v) each member value of the given
 * objects of v starts and how long its text is: the file's own text of
 * an entry, for doc_text.c to write back as it was. 0, -ENOMEM, or -EINVAL
 * when the text does not line up with v (a duplicate key). *spans is
 * malloc'd. */
struct phx_json_span {
	json_object *v;
	size_t start, len;
};
int phx_json_member_spans(json_object *v, const char *text, size_t len,
			  json_object *const *parents, size_t nparents,
			  struct phx_json_span **spans, size_t *n);

#endif
