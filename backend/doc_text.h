/* The text of the desired-state document, written with a per-entry cache.
 *
 * A commit changes one entry of thousands, and since the document's tree
 * shares every unchanged entry object with the previous version (doc.c's
 * copy-on-write), the text of an entry can be kept by object identity and
 * reused: saving a 10,000-entry file then costs one entry's serialization
 * and a copy, not 10,000 serializations. The cache holds a reference to
 * each entry it knows, so an address can never be reused behind its back.
 * Seeded with the file's own text at each load, it also keeps entries
 * nobody edited byte for byte as their authors wrote them. */
#ifndef PHX_DOC_TEXT_H
#define PHX_DOC_TEXT_H

#include <json-c/json.h>
#include <stddef.h>

struct phx_doc_text;

struct phx_doc_text *phx_doc_text_new(void);
void phx_doc_text_free(struct phx_doc_text *c);

/* The document's text (malloc'd, with the final newline): phx_json_pretty's
 * layout around the entries and the top-level values, each of which is
 * written as it was the last time it was seen (the file's own text when
 * it was loaded, see phx_doc_text_seed) when it is the same object, and
 * anew otherwise. Forgets the values no longer in root. One caller at a
 * time, and no phx_doc_text_peek at the same time. */
char *phx_doc_text_render(struct phx_doc_text *c, json_object *root, int indent, size_t *len);

/* What phx_doc_text_render would give for root, without changing the
 * cache (readers of config.json: the text must be the file's). */
char *phx_doc_text_peek(struct phx_doc_text *c, json_object *root, int indent, size_t *len);

/* Forget everything and take the text of each entry and top-level value
 * of root from text, the file it was parsed from: an entry nobody edits
 * keeps its bytes (layout, escapes, key spellings) through every save,
 * however it was written (minified, on one line). A text whose values
 * cannot be matched (a duplicate key) seeds nothing: the document is then
 * written in the default layout. */
void phx_doc_text_seed(struct phx_doc_text *c, json_object *root, const char *text, size_t len,
		       int indent);

#endif
