/* Path -> what the path names. The tree is computed, not stored: a path is
 * resolved against the document, the engine's backend facts and the scratch
 * store every time, so it can never disagree with them. */
#ifndef PHX_NODE_H
#define PHX_NODE_H

#include "backend/schema.h"
#include "fs/phoenixfs.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

enum phx_nkind {
	NK_ROOT,         /* / */
	NK_ROOT_CONFIG,  /* /config.json: the whole document */
	NK_ROOT_STATUS,  /* /status */
	NK_CT,           /* /<ctid> */
	NK_ATTR,         /* /<ctid>/<attribute file> (the schema table) */
	NK_CT_CONFIG,    /* /<ctid>/config.json: the whole entry */
	NK_GEN,          /* /<ctid>/status|error|log|wait|ctl */
	NK_KEY,          /* another key of the entry, as its JSON text */
	NK_KEYDIR,       /* another key holding an object, as a directory */
	NK_NONE,         /* nothing there: a scratch file or a new name */
};

enum phx_gen { GEN_STATUS, GEN_ERROR, GEN_LOG, GEN_WAIT, GEN_CTL };

#define PHX_KEYS_MAX 32

struct phx_node {
	enum phx_nkind kind;
	uint32_t ctid;
	const struct phx_attr *attr; /* NK_ATTR */
	enum phx_gen gen;            /* NK_GEN */
	int nkeys;                   /* NK_KEY/NK_KEYDIR: keys below the entry */
	const char *keys[PHX_KEYS_MAX];
	bool present;                /* NK_ATTR/NK_CT: the key/entry exists */
	bool on_backend;             /* NK_CT: the container exists */
	const char *name;            /* last component */
	char path[PATH_MAX];         /* the path as given */
	char split[PATH_MAX];        /* its components, NUL-separated */
};

/* Resolve path. Returns 0 (n->kind tells what it is; NK_NONE is a name that
 * may be created or is a scratch file), -ENOENT when a parent directory does
 * not exist, -ENOTDIR when a parent is a file, -ENAMETOOLONG. */
int phx_node_resolve(struct phx_fs *fs, const char *path, struct phx_node *n);

/* The entry key a node's value lives under ("memory_mb", "network_config"). */
const char *phx_node_key(const struct phx_node *n);

/* Whether a node is a value that a write or rename commits to the doc. */
bool phx_node_is_value(const struct phx_node *n);

/* Look up the JSON value of an NK_ATTR/NK_KEY/NK_KEYDIR node in root;
 * NULL when absent. root is a document root. */
json_object *phx_node_value(const struct phx_node *n, json_object *root);

extern const char *const phx_gen_names[];

#endif
