#include "fs/commit.h"

#include "backend/chain.h"
#include "backend/log.h"
#include "backend/lxc_keys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum change_op { CH_SET, CH_REMOVE, CH_ADD, CH_DROP, CH_REINSERT };

struct change {
	struct phx_fs *fs;
	const struct phx_node *n;
	enum change_op op;
	const char *data;
	size_t len;
	bool dry_run;
	/* Backend facts taken before the document's lock: the edit runs under
	 * that lock and must not call into the engine. */
	const struct phx_engine_facts *facts;
	json_object *value; /* CH_REINSERT: the value and its place */
	int index;
	/* results */
	bool unchanged;
	uint32_t *touched; /* entries a whole-document write changed */
	size_t ntouched;
};


static json_object *entry_of(json_object *configs, uint32_t ctid)
{
	json_object *e = NULL;
	char key[16];

	snprintf(key, sizeof(key), "%u", ctid);
	return configs && json_object_object_get_ex(configs, key, &e) ? e : NULL;
}

/* The engine's template rules, for a whole entry replaced. */
static int check_untemplate(struct change *c, uint32_t ctid, json_object *old_entry,
			    json_object *new_entry, char *err, size_t errlen)
{
	return phx_engine_check_edit(c->facts, ctid, phx_entry_wants_template(old_entry),
				     phx_entry_wants_template(new_entry), err, errlen);
}

/* A key a write through the mount adds to an entry must be reachable as a
 * file of its own: a key named like one of a container directory's own
 * names (status, log, ctl, error, wait, drift, config.json, or clone_from
 * beside the clone_from_ctid its file shows) would be stored and never
 * shown, so it is refused. A key that was there already (another program
 * put it in the file) stays; it shows in config.json only. */
static int check_key_names(json_object *old_entry, json_object *new_entry, char *err,
			   size_t errlen)
{
	if (!json_object_is_type(new_entry, json_type_object))
		return 0;
	json_object_object_foreach(new_entry, key, val) {
		(void)val;
		if (phx_node_name_reserved(key) &&
		    !(old_entry && json_object_object_get_ex(old_entry, key, NULL))) {
			snprintf(err, errlen,
				 "key \"%s\" has the name of a file of the container directory and could not be shown; use another name%s",
				 key, phx_attr_by_file(key) ? " (or the file itself)" : "");
			return -EINVAL;
		}
	}
	return 0;
}

/* The checks that need the entry as the write would leave it: the build
 * order (clone sources and dependencies, chain.h) and the keys Proxmox
 * refuses together (is_template with snapshots, lxc_keys.h). The value is
 * put in place, checked and taken out again, leaving the edit's copy as
 * it was (a refused edit must not spoil the others of a group commit). */
static bool key_orders(const char *key)
{
	return !strcmp(key, "clone_from_ctid") || !strcmp(key, "dependencies");
}

static bool key_conflicts(const char *key)
{
	return !strcmp(key, "is_template") || !strcmp(key, "template_snapshot_name") ||
	       !strcmp(key, "enable_lifecycle_snapshots");
}

static int check_as_written(json_object *configs, uint32_t ctid, const char *key,
			    json_object *v, char *err, size_t errlen)
{
	json_object *entry = entry_of(configs, ctid), *old = NULL;
	bool made = false, had;
	char ckey[16];
	int rc = 0;

	if (!configs || (!key_orders(key) && !key_conflicts(key)))
		return 0;
	snprintf(ckey, sizeof(ckey), "%u", ctid);
	if (!entry) {
		entry = json_object_new_object();
		if (!entry)
			return -ENOMEM;
		json_object_object_add(configs, ckey, entry);
		made = true;
	}
	had = json_object_object_get_ex(entry, key, &old);
	json_object_get(old);
	if (v)
		json_object_object_add(entry, key, json_object_get(v));
	else
		json_object_object_del(entry, key);
	if (key_conflicts(key))
		rc = phx_entry_conflicts(entry, err, errlen);
	if (rc == 0 && key_orders(key))
		rc = phx_order_check(configs, ctid, err, errlen);
	if (had)
		json_object_object_add(entry, key, old); /* in place: order kept */
	else {
		json_object_object_del(entry, key);
		json_object_put(old);
	}
	if (made)
		json_object_object_del(configs, ckey);
	return rc;
}

/* A written JSON value, parsed strictly (phx_json_parse); a JSON null
 * gives 0 with *out NULL. */
static int parse_json(const char *data, size_t len, const char *what, int depth,
		      json_object **out, char *err, size_t errlen)
{
	const char *why = NULL;
	size_t where;

	len = phx_trim(&data, len);
	*out = phx_json_parse_at(data, len, depth, &where, &why);
	if (!*out && why) {
		snprintf(err, errlen, "%s: not valid JSON: %s", what, why);
		return -EINVAL;
	}
	return 0;
}

static int set_attr(struct change *c, json_object *configs, char *err, size_t errlen)
{
	const struct phx_node *n = c->n;
	const struct phx_attr *a = n->attr;
	json_object *entry = entry_of(configs, n->ctid), *old = NULL, *v = NULL;
	int rc;

	if (entry)
		json_object_object_get_ex(entry, a->key, &old);
	rc = phx_attr_parse(a, c->data, c->len, old, &v, err, errlen);
	if (rc < 0)
		return rc;
	if (a->type == PHX_T_CTID) {
		uint32_t src;

		phx_json_ctid(v, &src);
		rc = phx_chain_check(configs, n->ctid, src, phx_facts_has, (void *)c->facts, err, errlen);
	}
	if (rc == 0 && !v && (a->flags & PHX_A_ONLY_TRUE))
		rc = phx_engine_check_edit(c->facts, n->ctid, phx_entry_wants_template(entry), false,
					   err, errlen);
	if (rc == 0)
		rc = check_as_written(configs, n->ctid, a->key, v, err, errlen);
	if (rc < 0 || c->dry_run) {
		json_object_put(v);
		return rc;
	}
	c->unchanged = v ? (old && json_object_equal(old, v)) : !old;
	if (!entry) {
		char key[16];

		snprintf(key, sizeof(key), "%u", n->ctid);
		entry = json_object_new_object();
		json_object_object_add(configs, key, entry);
	}
	if (v)
		json_object_object_add(entry, a->key, v); /* replaces in place: order kept */
	else
		json_object_object_del(entry, a->key);
	return 0;
}

/* The object holding the node's last key, inside configs. */
static json_object *parent_of(const struct phx_node *n, json_object *configs)
{
	json_object *v = entry_of(configs, n->ctid);
	char key[PHX_NAME_MAX + 1];

	for (int i = 0; v && i < n->nkeys - 1; i++) {
		json_object *next = NULL;

		if (!json_object_object_get_ex(v, phx_node_keyname(n, i, key), &next) ||
		    !json_object_is_type(next, json_type_object))
			return NULL;
		v = next;
	}
	return v && json_object_is_type(v, json_type_object) ? v : NULL;
}

/* A key inside a table row's value (network_config/ip): the row's
 * validator checks the whole value as it would be, on a copy, so that a
 * refused value is refused at write(2) (dry run) as at close. */
static int check_in_row(const struct phx_node *n, json_object *configs, json_object *v,
			char *err, size_t errlen)
{
	char key[PHX_NAME_MAX + 1];
	const struct phx_attr *row = phx_schema_row(phx_node_keyname(n, 0, key));
	json_object *top, *copy = NULL, *parent;
	int rc;

	if (!row)
		return 0;
	if (n->nkeys == 1)
		return v ? phx_attr_check(row, v, err, errlen) : 0;
	top = json_object_object_get(entry_of(configs, n->ctid), phx_node_keyname(n, 0, key));
	if (!top || json_object_deep_copy(top, &copy, NULL) != 0)
		return top ? -ENOMEM : 0;
	parent = copy;
	for (int i = 1; parent && i < n->nkeys - 1; i++)
		parent = json_object_object_get(parent, phx_node_keyname(n, i, key));
	if (parent && json_object_is_type(parent, json_type_object))
		json_object_object_add(parent, phx_node_name(n), json_object_get(v));
	rc = phx_attr_check(row, copy, err, errlen);
	json_object_put(copy);
	return rc;
}

static int set_key(struct change *c, json_object *configs, char *err, size_t errlen)
{
	const struct phx_node *n = c->n;
	json_object *parent = parent_of(n, configs), *old = NULL, *v = NULL;
	int rc;

	if (!parent) {
		snprintf(err, errlen, "%s: the key is gone", phx_node_name(n));
		return -ENOENT;
	}
	rc = parse_json(c->data, c->len, phx_node_name(n), PHX_ENTRY_DEPTH + 1, &v, err, errlen);
	if (rc == 0)
		rc = check_in_row(n, configs, v, err, errlen);
	if (rc == 0 && n->nkeys == 1)
		rc = check_as_written(configs, n->ctid, phx_node_name(n), v, err, errlen);
	if (rc < 0 || c->dry_run) {
		json_object_put(v);
		return rc;
	}
	json_object_object_get_ex(parent, phx_node_name(n), &old);
	c->unchanged = old && json_object_equal(old, v);
	json_object_object_add(parent, phx_node_name(n), v);
	return 0;
}

static int set_entry(struct change *c, json_object *root, char *err, size_t errlen)
{
	const struct phx_node *n = c->n;
	json_object *configs = phx_doc_configs(root, false);
	json_object *old = entry_of(configs, n->ctid), *v = NULL;
	char why[384];
	uint32_t src;
	int rc;

	rc = parse_json(c->data, c->len, "config.json", PHX_ENTRY_DEPTH, &v, err, errlen);
	if (rc < 0)
		return rc;
	if ((rc = phx_entry_check(v, why, sizeof(why))) < 0) {
		snprintf(err, errlen, "config.json: %s", why);
		goto out;
	}
	if ((rc = check_key_names(old, v, why, sizeof(why))) < 0) {
		snprintf(err, errlen, "config.json: %s", why);
		goto out;
	}
	if ((rc = phx_chain_source(v, &src)) == 0 && src)
		rc = phx_chain_check(configs, n->ctid, src, phx_facts_has, (void *)c->facts, err, errlen);
	if (rc == 0)
		rc = check_untemplate(c, n->ctid, old, v, err, errlen);
	if (rc == 0 && configs) {
		/* the build order with this entry in place, then the old one back */
		char key[16];

		snprintf(key, sizeof(key), "%u", n->ctid);
		json_object_get(old);
		json_object_object_add(configs, key, json_object_get(v));
		rc = phx_order_check(configs, n->ctid, err, errlen);
		if (old)
			json_object_object_add(configs, key, old);
		else
			json_object_object_del(configs, key);
	}
	if (rc < 0 || c->dry_run)
		goto out;
	c->unchanged = old && json_object_equal(old, v);
	{
		char key[16];

		snprintf(key, sizeof(key), "%u", n->ctid);
		json_object_object_add(phx_doc_configs(root, true), key, v);
	}
	return 0;
out:
	json_object_put(v);
	return rc;
}

static int set_document(struct change *c, json_object *root, char *err, size_t errlen)
{
	json_object *v, *old_configs = phx_doc_configs(root, false), *new_configs;
	char why[512];
	int rc;

	v = phx_doc_parse(c->data, c->len, why, sizeof(why));
	if (!v) {
		snprintf(err, errlen, "config.json: %s", why);
		return -EINVAL;
	}
	if ((rc = phx_doc_validate(v, why, sizeof(why))) < 0) {
		snprintf(err, errlen, "config.json: %s", why);
		goto out;
	}
	new_configs = phx_doc_configs(v, false);
	if ((rc = phx_chain_check_all(new_configs, phx_facts_has, (void *)c->facts, err, errlen)) < 0)
		goto out;
	if (new_configs && (rc = phx_order_check_all(new_configs, err, errlen)) < 0)
		goto out;
	if (new_configs) {
		size_t cap = (size_t)json_object_object_length(new_configs);

		c->touched = calloc(cap ? cap : 1, sizeof(uint32_t));
		if (!c->touched) {
			rc = -ENOMEM;
			goto out;
		}
		json_object_object_foreach(new_configs, key, entry) {
			uint32_t ctid = (uint32_t)strtoul(key, NULL, 10);
			json_object *old = entry_of(old_configs, ctid);

			if ((rc = check_untemplate(c, ctid, old, entry, err, errlen)) < 0)
				goto out;
			if ((rc = check_key_names(old, entry, why, sizeof(why))) < 0) {
				snprintf(err, errlen, "config.json: %s: %s", key, why);
				goto out;
			}
			if (!old || !json_object_equal(old, entry))
				c->touched[c->ntouched++] = ctid;
		}
	}
	if (c->dry_run)
		goto out;
	c->unchanged = json_object_equal(root, v);
	/* The edit owns root; make it the new document key by key. */
	{
		json_object_object_foreach(root, k, val) {
			(void)val;
			json_object_object_del(root, k);
		}
	}
	{
		json_object_object_foreach(v, k, val)
			json_object_object_add(root, k, json_object_get(val));
	}
	rc = 0;
out:
	json_object_put(v);
	return rc;
}

static int add_node(struct change *c, json_object *root, char *err, size_t errlen)
{
	const struct phx_node *n = c->n;
	json_object *configs = phx_doc_configs(root, !c->dry_run), *parent;
	char key[16], name[PHX_NAME_MAX + 1];

	if (n->kind == NK_CT) {
		if (entry_of(configs, n->ctid))
			return -EEXIST;
		if (!c->dry_run) {
			snprintf(key, sizeof(key), "%u", n->ctid);
			json_object_object_add(configs, key, json_object_new_object());
		}
		return 0;
	}
	/* mkdir inside an entry: a new object key (network_config/, ...) */
	if (n->nkeys == 1 && phx_attr_by_key(phx_node_keyname(n, 0, name))) {
		snprintf(err, errlen, "%s: this key holds a value, not an object", phx_node_name(n));
		return -EINVAL;
	}
	parent = parent_of(n, configs);
	if (!parent) {
		if (n->nkeys == 1 && !c->dry_run) {
			/* the container exists only on the backend: give it an entry */
			snprintf(key, sizeof(key), "%u", n->ctid);
			parent = json_object_new_object();
			json_object_object_add(configs, key, parent);
		} else if (n->nkeys != 1) {
			return -ENOENT;
		}
	}
	if (parent && json_object_object_get_ex(parent, phx_node_name(n), NULL))
		return -EEXIST;
	if (!c->dry_run)
		json_object_object_add(parent, phx_node_name(n), json_object_new_object());
	return 0;
}

static int drop_node(struct change *c, json_object *root, char *err, size_t errlen)
{
	const struct phx_node *n = c->n;
	json_object *configs = phx_doc_configs(root, false), *parent, *v;
	char key[16];

	if (n->kind == NK_CT) {
		if (phx_facts_exists(c->facts, n->ctid)) {
			snprintf(err, errlen, "%u exists on the backend; destroy it first (echo destroy > ctl)", n->ctid);
			return -EBUSY;
		}
		if (!entry_of(configs, n->ctid))
			return -ENOENT;
		json_object_object_foreach(configs, k, e) {
			uint32_t src;

			if (phx_chain_source(e, &src) == 0 && src == n->ctid) {
				snprintf(err, errlen, "%u is the clone source of %s; change %s/clone_from first",
					 n->ctid, k, k);
				return -EBUSY;
			}
		}
		if (!c->dry_run) {
			snprintf(key, sizeof(key), "%u", n->ctid);
			json_object_object_del(configs, key);
		}
		return 0;
	}
	parent = parent_of(n, configs);
	if (!parent || !json_object_object_get_ex(parent, phx_node_name(n), &v))
		return -ENOENT;
	if (n->kind == NK_KEYDIR && json_object_object_length(v) > 0)
		return -ENOTEMPTY;
	if (!c->dry_run)
		json_object_object_del(parent, phx_node_name(n));
	return 0;
}

/* The object a value lives in, and its key there. */
static json_object *holder_of(const struct phx_node *n, json_object *configs, const char **key)
{
	if (n->kind == NK_ATTR) {
		*key = n->attr->key;
		return entry_of(configs, n->ctid);
	}
	*key = phx_node_name(n);
	return n->nkeys > 0 ? parent_of(n, configs) : NULL;
}

static int reinsert(struct change *c, json_object *root)
{
	const char *key;
	json_object *parent = holder_of(c->n, phx_doc_configs(root, false), &key);
	char **later;
	int nlater = 0, i = 0, rc = 0;

	if (!parent)
		return -ENOENT;
	if (json_object_object_get_ex(parent, key, NULL))
		return -EEXIST; /* set again meanwhile: nothing to put back */
	later = calloc((size_t)json_object_object_length(parent) + 1, sizeof(*later));
	if (!later)
		return -ENOMEM;
	json_object_object_foreach(parent, k, val) {
		(void)val;
		if (i++ >= c->index && !(later[nlater++] = strdup(k))) {
			rc = -ENOMEM;
			goto out;
		}
	}
	json_object_object_add(parent, key, json_object_get(c->value));
	/* json-c appends a new key: move the keys that followed it behind it */
	for (i = 0; i < nlater; i++) {
		json_object *v = NULL;

		json_object_object_get_ex(parent, later[i], &v);
		json_object_get(v);
		json_object_object_del(parent, later[i]);
		json_object_object_add(parent, later[i], v);
	}
out:
	for (i = 0; i < nlater; i++)
		free(later[i]);
	free(later);
	return rc;
}

static int remove_value(struct change *c, json_object *root, char *err, size_t errlen)
{
	const struct phx_node *n = c->n;
	json_object *configs = phx_doc_configs(root, false), *entry = entry_of(configs, n->ctid);

	if (n->kind == NK_KEY)
		return drop_node(c, root, err, errlen);
	if (!entry || !json_object_object_get_ex(entry, n->attr->key, NULL))
		return -ENOENT;
	if (n->attr->flags & PHX_A_ONLY_TRUE) {
		int rc = phx_engine_check_edit(c->facts, n->ctid, phx_entry_wants_template(entry),
					       false, err, errlen);

		if (rc < 0)
			return rc;
	}
	if (!c->dry_run)
		json_object_object_del(entry, n->attr->key);
	return 0;
}

static int apply(json_object *root, void *arg, char *err, size_t errlen)
{
	struct change *c = arg;
	const struct phx_node *n = c->n;

	switch (c->op) {
	case CH_SET:
		switch (n->kind) {
		case NK_ATTR:        return set_attr(c, phx_doc_configs(root, !c->dry_run), err, errlen);
		case NK_KEY:         return set_key(c, phx_doc_configs(root, false), err, errlen);
		case NK_CT_CONFIG:   return set_entry(c, root, err, errlen);
		case NK_ROOT_CONFIG: return set_document(c, root, err, errlen);
		case NK_NONE:        /* a new key inside an entry or object directory */
			if (n->ctid && n->nkeys > 0)
				return set_key(c, phx_doc_configs(root, false), err, errlen);
			return -EPERM;
		default:             return -EPERM;
		}
	case CH_REMOVE: return remove_value(c, root, err, errlen);
	case CH_ADD:    return add_node(c, root, err, errlen);
	case CH_DROP:   return drop_node(c, root, err, errlen);
	case CH_REINSERT: return reinsert(c, root);
	}
	return -EINVAL;
}

static int check_size(size_t len, char *err, size_t errlen)
{
	if (len > PHX_VALUE_MAX) {
		snprintf(err, errlen, "value of %zu bytes is larger than the 1 MiB limit", len);
		return -EFBIG;
	}
	return 0;
}

/* Whether a change is checked against backend facts: clone sources, the
 * template rule, removing an entry whose container exists. A plain value
 * write needs none, and taking the snapshot costs a pass over every
 * container, on every write(2) that checks a value early. */
static bool needs_facts(const struct change *c)
{
	const struct phx_node *n = c->n;

	if (c->op != CH_SET)
		return c->op == CH_REMOVE || c->op == CH_DROP;
	if (n->kind == NK_ATTR)
		return n->attr->type == PHX_T_CTID || (n->attr->flags & PHX_A_ONLY_TRUE);
	return n->kind == NK_CT_CONFIG || n->kind == NK_ROOT_CONFIG;
}

int phx_value_check(struct phx_fs *fs, const struct phx_node *n,
		    const char *data, size_t len, char *err, size_t errlen)
{
	struct change c = { .fs = fs, .n = n, .op = CH_SET, .data = data, .len = len, .dry_run = true };
	int rc = check_size(len, err, errlen);

	if (rc < 0)
		return rc;
	if (phx_doc_problem(fs->doc, err, errlen))
		return -EIO; /* the file on disk is broken: nothing can be saved */
	if (needs_facts(&c) && !(c.facts = phx_engine_facts(fs->engine)))
		return -ENOMEM;
	phx_doc_rdlock(fs->doc);
	rc = apply(phx_doc_root(fs->doc), &c, err, errlen);
	phx_doc_unlock(fs->doc);
	phx_engine_facts_free((struct phx_engine_facts *)c.facts);
	free(c.touched);
	return rc;
}

/* Run a change as a document edit. What it asks of the backend reaches
 * the engine through the document's change feed, after the edit's locks
 * are released; nothing here calls the engine while they are held. */
static int run(struct phx_fs *fs, struct change *c, char *err, size_t errlen)
{
	struct phx_engine_facts *facts = needs_facts(c) ? phx_engine_facts(fs->engine) : NULL;
	int rc;

	err[0] = '\0';
	if (!facts && needs_facts(c)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->facts = facts;
	/* every change but a whole-document write stays inside one entry */
	if (c->n->kind != NK_ROOT_CONFIG && c->n->ctid)
		rc = phx_doc_edit_entry(fs->doc, c->n->ctid, apply, c, err, errlen);
	else
		rc = phx_doc_edit(fs->doc, apply, c, err, errlen);
	c->facts = NULL;
	phx_engine_facts_free(facts);
	return rc;
}

int phx_value_commit(struct phx_fs *fs, const struct phx_node *n,
		     const char *data, size_t len, char *err, size_t errlen)
{
	struct change c = { .fs = fs, .n = n, .op = CH_SET, .data = data, .len = len };
	int rc = check_size(len, err, errlen);

	if (rc == 0)
		rc = run(fs, &c, err, errlen);
	if (rc < 0) {
		phx_refused(fs, n, rc, err);
		free(c.touched);
		return rc;
	}
	switch (n->kind) {
	case NK_ATTR: {
		/* log the value as the file shows it, minus the newline */
		const char *v = data;
		size_t vl = phx_trim(&v, len);

		phx_engine_note(fs->engine, n->ctid, "%s %s '%.*s'", n->attr->file,
				c.unchanged ? "unchanged:" : "set to", (int)(vl > 200 ? 200 : vl), v);
		if (c.unchanged)
			phx_engine_rewritten(fs->engine, n->ctid, n->attr);
		break;
	}
	case NK_KEY:
	case NK_NONE:
		phx_engine_note(fs->engine, n->ctid, "%s %s", n->path + 1, c.unchanged ? "unchanged" : "changed");
		break;
	case NK_CT_CONFIG:
		phx_engine_note(fs->engine, n->ctid, "config.json %s", c.unchanged ? "unchanged" : "replaced");
		break;
	case NK_ROOT_CONFIG:
		for (size_t i = 0; i < c.ntouched; i++)
			phx_engine_note(fs->engine, c.touched[i], "entry changed by a write of the whole config.json");
		break;
	default:
		break;
	}
	free(c.touched);
	return 0;
}

int phx_value_remove(struct phx_fs *fs, const struct phx_node *n, char *err, size_t errlen)
{
	struct change c = { .fs = fs, .n = n, .op = CH_REMOVE };
	int rc = run(fs, &c, err, errlen);

	if (rc < 0) {
		phx_refused(fs, n, rc, err);
		return rc;
	}
	phx_engine_note(fs->engine, n->ctid, "%s removed (no opinion on it any more)", phx_node_name(n));
	return 0;
}

json_object *phx_value_snapshot(struct phx_fs *fs, const struct phx_node *n, int *index)
{
	const char *key;
	json_object *parent, *copy = NULL;
	int i = 0;

	phx_doc_rdlock(fs->doc);
	parent = holder_of(n, phx_doc_configs(phx_doc_root(fs->doc), false), &key);
	if (parent) {
		json_object_object_foreach(parent, k, v) {
			if (strcmp(k, key) == 0) {
				if (!v || json_object_deep_copy(v, &copy, NULL) < 0)
					copy = NULL;
				*index = i;
				break;
			}
			i++;
		}
	}
	phx_doc_unlock(fs->doc);
	return copy;
}

int phx_value_reinsert(struct phx_fs *fs, const struct phx_node *n, json_object *value,
		       int index, char *err, size_t errlen)
{
	struct change c = { .fs = fs, .n = n, .op = CH_REINSERT, .value = value, .index = index };
	int rc = run(fs, &c, err, errlen);

	if (rc == 0)
		phx_engine_note(fs->engine, n->ctid,
				"%s created again by the program that removed it: the old value stays until the new one is accepted",
				phx_node_name(n));
	return rc;
}

int phx_entry_add(struct phx_fs *fs, const struct phx_node *n, char *err, size_t errlen)
{
	struct change c = { .fs = fs, .n = n, .op = CH_ADD };
	int rc = run(fs, &c, err, errlen);

	if (rc < 0 && rc != -EEXIST)
		phx_refused(fs, n, rc, err);
	else if (rc == 0)
		phx_engine_note(fs->engine, n->ctid, n->kind == NK_CT ? "entry added" : "%s added",
				n->path + 1);
	return rc;
}

int phx_entry_remove(struct phx_fs *fs, const struct phx_node *n, char *err, size_t errlen)
{
	struct change c = { .fs = fs, .n = n, .op = CH_DROP };
	int rc = run(fs, &c, err, errlen);

	if (rc < 0 && rc != -ENOENT && rc != -ENOTEMPTY)
		phx_refused(fs, n, rc, err);
	else if (rc == 0)
		phx_engine_note(fs->engine, n->ctid, n->kind == NK_CT ? "entry removed" : "%s removed",
				n->path + 1);
	return rc;
}

void phx_refused(struct phx_fs *fs, const struct phx_node *n, int rc, const char *err)
{
	char msg[1200];

	if (err[0])
		snprintf(msg, sizeof(msg), "%s (%s)", err, strerror(-rc));
	else
		snprintf(msg, sizeof(msg), "%s: %s", n->path, strerror(-rc));
	if (n->ctid)
		phx_engine_refused(fs->engine, n->ctid, msg);
	phx_warn("%s: refused: %s", n->path, msg);
}
