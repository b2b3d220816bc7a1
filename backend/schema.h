/* The schema of a container entry in phoenix_lxc_configs.json: one row per
 * attribute file, sysfs style. Adding a file is adding a row in schema.c.
 * Both the FUSE side (file names, parse on write, format on read) and the
 * document (validation of whole entries) read this one table. */
#ifndef PHX_SCHEMA_H
#define PHX_SCHEMA_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PHX_CTID_MIN 100u
#define PHX_CTID_MAX 999999999u
#define PHX_VALUE_MAX (1024 * 1024) /* larger writes are EFBIG */

enum phx_vtype {
	PHX_T_CTID,       /* decimal 100..999999999 */
	PHX_T_INT,        /* decimal integer within [min, max] */
	PHX_T_BOOL,       /* true / false */
	PHX_T_HOSTNAME,   /* DNS name: labels of [A-Za-z0-9-], no edge hyphens */
	PHX_T_NODE,       /* Proxmox node name: one DNS label */
	PHX_T_STORAGE,    /* Proxmox storage id */
	PHX_T_OSTEMPLATE, /* STORAGE:vztmpl/FILE volid, or an absolute path */
	PHX_T_MAC,        /* unicast XX:XX:XX:XX:XX:XX */
	PHX_T_SNAPNAME,   /* Proxmox snapshot name */
	PHX_T_STRING,     /* free single-line text */
	PHX_T_JSON,       /* any JSON value (keys the table does not know) */
	PHX_T_OBJECT,     /* a JSON object (a whole entry) */
};

enum phx_attr_flags {
	/* Store as a JSON string when the key is new ("clone_from_ctid": "900" is
	 * how the existing scripts write it). An existing value keeps its type. */
	PHX_A_STRING_NEW = 1 << 0,
	/* Exists only while true: writing false removes the key (is_template). */
	PHX_A_ONLY_TRUE = 1 << 1,
	/* Creating the file without writing to it sets the value (touch). */
	PHX_A_TOUCH_SETS = 1 << 2,
};

struct phx_attr {
	const char *file;
	const char *key;
	enum phx_vtype type;
	long long min, max;
	unsigned flags;
	const char *what; /* for error messages: "an integer number of MiB" */
};

extern const struct phx_attr phx_attrs[];
extern const size_t phx_nattrs;

const struct phx_attr *phx_attr_by_file(const char *file);
const struct phx_attr *phx_attr_by_key(const char *key);

/* Parse bytes written to an attribute file (surrounding whitespace and the
 * trailing newline are not part of the value). `old` is the current JSON
 * value or NULL; its JSON type is kept. On success *out is a new reference
 * (NULL means "remove the key", for PHX_A_ONLY_TRUE). Returns 0 or -EINVAL
 * with a sentence in err. */
int phx_attr_parse(const struct phx_attr *a, const char *text, size_t len,
		   json_object *old, json_object **out, char *err, size_t errlen);

/* Check a value already in JSON form (a config.json write, a loaded file). */
int phx_attr_check(const struct phx_attr *a, json_object *v, char *err, size_t errlen);

/* Render a value as the file shows it: the value and one newline. Returns a
 * malloc'd string. */
char *phx_attr_format(const struct phx_attr *a, json_object *v);

/* Render any JSON value as its text plus newline (keys the table lacks). */
char *phx_json_format(json_object *v);

/* Parse a CTID from text ("900"); returns 0 or -EINVAL. */
int phx_parse_ctid(const char *s, size_t len, uint32_t *out);
/* A CTID from a JSON value: number or numeric string. */
int phx_json_ctid(json_object *v, uint32_t *out);
/* Integer from a JSON value that may be a number or a numeric string. */
bool phx_json_int(json_object *v, long long *out);

/* Validate a whole entry (an object of keys). Known keys must hold valid
 * values; other keys are free. Returns 0 or -EINVAL with the key named. */
int phx_entry_check(json_object *entry, char *err, size_t errlen);

/* Parse exactly one JSON value from text (whitespace around it allowed) the
 * way the other readers of the file (jq, Python) do: RFC 8259 numbers only
 * (no "1.", NaN, Infinity), valid UTF-8, no trailing commas or comments, and
 * a number may end the text. Returns a new reference, or NULL with a short
 * reason in *why and the byte offset of the problem in *where. */
json_object *phx_json_parse(const char *text, size_t len, size_t *where, const char **why);

/* Trim the whitespace around a written value; returns the new length. */
size_t phx_trim(const char **text, size_t len);

#endif
