/* The text of the desired-state document, written with a per-entry cache.
 *
 * A commit changes one entry of thousands, and since the document's tree
 * shares every unchanged entry object with the previous version (doc.c's
 * copy-on-write), the text of an entry can be kept by object identity and
 * reused: saving a 10,000-entry file then costs one entry's serialization
 * and a copy, not 10,000 serializations. The cache holds a reference to
 * each entry it knows, so an address can never be reused behind its back. */
#ifndef PHX_DOC_TEXT_H
#define PHX_DOC_TEXT_H

#include <json-c/json.h>
#include <stddef.h>

struct phx_doc_text;

struct phx_doc_text *phx_doc_text_new(void);
void phx_doc_text_free(struct phx_doc_text *c);

/* Exactly phx_json_pretty(root, indent) (malloc'd, with the final
 * newline), reusing the text of lxc_configs entries seen at the last call
 * and forgetting those no longer in root. One caller at a time. */
char *phx_doc_text_render(struct phx_doc_text *c, json_object *root, int indent, size_t *len);

#endif
