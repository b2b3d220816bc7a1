/* The schema of a container entry in phoenix_lxc_configs.json: the one table
 * of attributes, one row per entry key. A row says the key, its file, its
 * type and validator, the Proxmox parameter it becomes, when a change of it
 * reaches an existing container (live, at the next restart, or only at
 * build) and whether writing it asks for a build. The FUSE side (file names,
 * parse on write, format on read), the document (validation of whole
 * entries) and the engine (what a change asks of Proxmox, the parameters of
 * create and config requests) all read this table and nothing else, so an
 * attribute that maps to one Proxmox parameter is one row in schema.c. */
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
	PHX_T_ADDRLIST,   /* IP addresses separated by spaces, commas or ';' */
	PHX_T_DNSLIST,    /* DNS names separated by spaces, commas or ';' */
	PHX_T_NETWORK,    /* network_config: an object of net0's keys */
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
	/* Writing it asks for a build of a container that does not exist yet
	 * (clone_from, template, is_template; is_template also converts an
	 * existing one). */
	PHX_A_BUILDS = 1 << 3,
};

/* When a changed value reaches a container that exists already. */
enum phx_apply {
	PHX_AT_BUILD, /* only when the container is built (create or clone) */
	PHX_LIVE,     /* PUT config applies it to a running container at once */
	PHX_RESTART,  /* PUT config stores it; a running container takes it at
			 its next start (pve-container keeps it pending: it is
			 neither fast-plugged nor hot-plugged) */
};

/* How the row's Proxmox parameter is formed. */
enum phx_pve_form {
	PHX_PVE_VALUE,   /* the value itself: numbers in decimal, booleans 0/1,
			    strings as they are, lists space-separated */
	PHX_PVE_NET0,    /* net0 from network_config and mac_address */
	PHX_PVE_STARTUP, /* startup "order=N,up=N" from boot_order, boot_delay */
	PHX_PVE_ROOTFS,  /* rootfs "POOL:SIZE" from storage_pool, storage_size_gb */
	PHX_PVE_FEATURES, /* features "nesting=1,keyctl=1" from pct_options */
};

struct phx_attr {
	const char *file;  /* NULL: no file of its own (network_config is a
			      directory of its keys) */
	const char *key;
	enum phx_vtype type;
	long long min, max;
	unsigned flags;
	const char *what;  /* for error messages: "an integer number of MiB" */
	/* The Proxmox side. */
	const char *pve;   /* parameter of create and config, NULL: none */
	enum phx_pve_form form;
	enum phx_apply apply;
	const char *pve_default; /* sent at create when the entry lacks the key */
	const char *net_alias;   /* where the origin's scripts keep the same
				    value inside network_config (read when
				    the entry has no key of its own) */
	/* PHX_T_JSON rows: the format the value must have (lxc_keys.h), or
	 * NULL for any JSON value */
	int (*check)(json_object *v, char *err, size_t errlen);
};

/* Every row; the engine keeps a set of rows as a bit per index. */
extern const struct phx_attr phx_attrs[];
extern const size_t phx_nattrs;
#define PHX_ATTRS_MAX 32

/* The row of an attribute file by its file name, or by its key (rows with
 * a file only: these are what the FUSE side shows as files). */
const struct phx_attr *phx_attr_by_file(const char *file);
const struct phx_attr *phx_attr_by_key(const char *key);
/* Any row by its entry key (network_config included). */
const struct phx_attr *phx_schema_row(const char *key);
/* Does a row holding an object (network_config) know key as one of its
 * own keys (name, bridge, ip, ...)? */
bool phx_schema_knows(const struct phx_attr *row, const char *key);
static inline unsigned phx_attr_bit(const struct phx_attr *a)
{
	return 1u << (unsigned)(a - phx_attrs);
}

/* The one answer to "does this entry ask to be a template". */
bool phx_entry_wants_template(json_object *entry);
/* A row's value in an entry: its own key, else its net_alias inside
 * network_config. NULL when neither is there (or it is null). */
json_object *phx_entry_value(json_object *entry, const struct phx_attr *a);

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
/* The same for a value that will sit at nesting level depth of the
 * document (a key of an entry: PHX_ENTRY_DEPTH + 1): the levels above it
 * count against PHX_JSON_MAX_DEPTH, so a value accepted here loads again
 * where it is stored. */
json_object *phx_json_parse_at(const char *text, size_t len, int depth, size_t *where,
			       const char **why);

/* One limit and one validity rule for both directions: what the document
 * stores must load again. The load (phx_json_parse) refuses text nested
 * deeper than PHX_JSON_MAX_DEPTH objects and arrays (json-c's own default,
 * counting the document's root, lxc_configs and the entry) and text that
 * is not UTF-8; the document refuses an edit whose result breaks either
 * rule (doc.c), so that nothing accepted makes the next mount fail. */
#define PHX_JSON_MAX_DEPTH 32
/* The depth of an entry's own object: root 1, lxc_configs 2, entry 3. */
#define PHX_ENTRY_DEPTH 3
/* v, sitting at nesting level depth (an entry: PHX_ENTRY_DEPTH), can be
 * written and read back: keys and strings valid UTF-8 and no object or
 * array deeper than the limit. 0, or -EINVAL with the reason naming
 * where. */
int phx_json_acceptable(json_object *v, int depth, const char *where, char *err, size_t errlen);
/* A key (a name made by mkdir or create) can be written and read back. */
int phx_key_acceptable(const char *name, char *err, size_t errlen);

/* Trim the whitespace around a written value; returns the new length. */
size_t phx_trim(const char **text, size_t len);

/* Fill err from fmt and return -EINVAL: the one formatter of refusals. */
int phx_einval(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
