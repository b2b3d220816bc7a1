/* Path -> what the path names. The tree is computed, not stored: a path is
 * resolved against the document, the engine's backend facts and the scratch
 * store every time, so it can never disagree with them.
 *
 * A node is a small view of the path it was resolved from: it holds that
 * path by pointer and its components as offsets into it, never pointers
 * into itself, so a copy made with `=` is as good as the original for as
 * long as the path lives (a FUSE request's path for the request; a handle
 * keeps its own copy of the path, see handle.h). */
#ifndef PHX_NODE_H
#define PHX_NODE_H

#include "backend/schema.h"
#include "fs/phoenixfs.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

/* What a path names. Each kind has its operations table (fs/kind.h). */
enum phx_nkind {
	NK_ROOT,         /* / */
	NK_ROOT_CONFIG,  /* /config.json: the whole document */
	NK_ROOT_GEN,     /* /status, /events, /metrics, /tree, /graph.dot */
	NK_CT,           /* /<ctid> */
	NK_ATTR,         /* /<ctid>/<attribute file> (the schema table) */
	NK_CT_CONFIG,    /* /<ctid>/config.json: the whole entry */
	NK_GEN,          /* /<ctid>/status|error|log|wait|ctl|drift */
	NK_KEY,          /* another key of the entry, as its JSON text */
	NK_KEYDIR,       /* another key holding an object, as a directory */
	NK_NONE,         /* nothing there: a scratch file or a new name */
	NK_COUNT
};

/* Names are at most NAME_MAX bytes (the mount says f_namemax = 255). */
#define PHX_NAME_MAX 255
#define PHX_KEYS_MAX 32

struct phx_node {
	enum phx_nkind kind;
	uint32_t ctid;
	const struct phx_attr *attr; /* NK_ATTR; NK_NONE: the row of a key
					that can be created by writing it */
	int gen;                     /* NK_GEN, NK_ROOT_GEN: index in its table */
	int nkeys;                   /* NK_KEY/NK_KEYDIR/NK_NONE: keys below the entry */
	uint16_t key_off[PHX_KEYS_MAX], key_len[PHX_KEYS_MAX]; /* into path */
	bool present;                /* NK_ATTR/NK_CT: the key/entry exists */
	bool on_backend;             /* NK_CT: the container exists */
	bool new_key;                /* NK_NONE: a name a write stores as a key
					(a known key of an object directory) */
	uint16_t name_off;           /* the last component, into path */
	const char *path;            /* the path as given; not owned */
};

/* Resolve path. Returns 0 (n->kind tells what it is; NK_NONE is a name that
 * may be created or is a scratch file), -ENOENT when a parent directory does
 * not exist, -ENOTDIR when a parent is a file, -ENAMETOOLONG. n refers to
 * path: it must outlive n. */
int phx_node_resolve(struct phx_fs *fs, const char *path, struct phx_node *n);

/* The last component ("/" for the root); NUL-terminated, as it ends the path. */
static inline const char *phx_node_name(const struct phx_node *n)
{
	return n->path + n->name_off;
}

/* The i-th key below the entry, NUL-terminated in buf (PHX_NAME_MAX + 1). */
const char *phx_node_keyname(const struct phx_node *n, int i, char *buf);

/* The entry key a node's value lives under ("memory_mb", "network_config")
 * copied into buf (PHX_NAME_MAX + 1); NULL when there is none. */
const char *phx_node_key(const struct phx_node *n, char *buf);

/* Whether a node is a value that a write or rename commits to the doc. */
bool phx_node_is_value(const struct phx_node *n);

/* Look up the JSON value of an NK_ATTR/NK_KEY/NK_KEYDIR node in root;
 * NULL when absent. root is a document root. */
json_object *phx_node_value(const struct phx_node *n, json_object *root);

/* Is name one of a container directory's own names (its generated files,
 * config.json, an attribute file whose key is another)? An entry key of
 * that name could not be shown as its own file. */
bool phx_node_name_reserved(const char *name);

#endif
