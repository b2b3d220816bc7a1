/* The journal: accepted requests that are not done yet, kept on disk so that
 * a kill -9 loses none of them. The whole set is rewritten atomically (temp
 * file, fsync, rename) whenever it changes; it is small, since only
 * unfinished work is in it.
 *
 *   {"version": 1, "pending": [{"ctid": 103, "wants": ["config"], "keys": ["memory_mb"]}],
 *    "held_stopped": [104]}
 *
 * held_stopped: containers `ctl stop` stopped, which the drift must not
 * report (nor reconcile=apply start) after a remount.
 *
 * Attributes still to be set are named by their entry keys, so a journal
 * stays meaningful when rows are added to the schema table. (An older
 * "cfg_keys" bit set is read as "every attribute": setting them again is
 * harmless.)
 */
#include "backend/engine/engine_int.h"

#include "backend/atomic_file.h"
#include "backend/engine/params.h"
#include "backend/schema.h"
#include "backend/log.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const want_names[] = {
	"build", "convert", "config", "start", "stop", "restart", "destroy", "snapshot", "hooks",
};
#define NWANTS (sizeof(want_names) / sizeof(want_names[0]))

static json_object *snapshot(struct phx_engine *e)
{
	json_object *root = json_object_new_object(), *pending = json_object_new_array();
	json_object *held = json_object_new_array();

	json_object_object_add(root, "version", json_object_new_int(1));
	for (size_t i = 0; i < e->nbuckets; i++)
		for (struct ct_rec *r = e->buckets[i]; r; r = r->hnext) {
			unsigned w = r->wants | r->doing;
			json_object *o, *names;

			if (r->hold_stopped)
				json_object_array_add(held, json_object_new_int64(r->ctid));
			if (!w)
				continue;
			o = json_object_new_object();
			names = json_object_new_array();
			for (size_t k = 0; k < NWANTS; k++)
				if (w & (1u << k))
					json_object_array_add(names, json_object_new_string(want_names[k]));
			json_object_object_add(o, "ctid", json_object_new_int64(r->ctid));
			json_object_object_add(o, "wants", names);
			names = json_object_new_array();
			for (size_t k = 0; k < phx_nattrs; k++)
				if ((r->cfg_keys | r->doing_keys) & phx_attr_bit(&phx_attrs[k]))
					json_object_array_add(names, json_object_new_string(phx_attrs[k].key));
			json_object_object_add(o, "keys", names);
			if ((w & W_HOOKS) && r->hooks_pending[0])
				json_object_object_add(o, "features",
						       json_object_new_string(r->hooks_pending));
			json_object_array_add(pending, o);
		}
	json_object_object_add(root, "pending", pending);
	json_object_object_add(root, "held_stopped", held);
	return root;
}

int journal_sync(struct phx_engine *e)
{
	json_object *root;
	uint64_t seq;
	const char *text;
	char err[256];
	int rc = 0;

	if (!e->journal_path)
		return 0;
	pthread_mutex_lock(&e->journal_lock);
	pthread_mutex_lock(&e->lock);
	seq = e->journal_seq;
	root = seq > e->journal_written ? snapshot(e) : NULL;
	pthread_mutex_unlock(&e->lock);
	if (root) {
		text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
		rc = atomic_write_file(e->journal_path, text, strlen(text), 0600,
				       err, sizeof(err));
		if (rc < 0)
			phx_err("engine: cannot write the journal %s: %s", e->journal_path, err);
		else
			e->journal_written = seq;
		json_object_put(root);
	}
	pthread_mutex_unlock(&e->journal_lock);
	return rc;
}

static unsigned parse_wants(json_object *names)
{
	unsigned w = 0;

	if (!json_object_is_type(names, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(names); i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(names, i));

		for (size_t k = 0; s && k < NWANTS; k++)
			if (strcmp(s, want_names[k]) == 0)
				w |= 1u << k;
	}
	return w;
}

int journal_load(struct phx_engine *e, char *err, size_t errlen)
{
	json_object *root, *pending, *v;
	size_t n;

	if (!e->journal_path)
		return 0;
	root = json_object_from_file(e->journal_path);
	if (!root) {
		FILE *f = fopen(e->journal_path, "r");

		if (!f)
			return 0; /* no journal yet: nothing unfinished */
		fclose(f);
		/* Written only by atomic rename, so this is someone else's
		 * damage: refuse rather than silently forget requests. */
		snprintf(err, errlen, "the engine journal %s is not valid JSON; "
			 "move it away to start without the requests it holds",
			 e->journal_path);
		return -EINVAL;
	}
	if (!json_object_object_get_ex(root, "pending", &pending) ||
	    !json_object_is_type(pending, json_type_array)) {
		json_object_put(root);
		snprintf(err, errlen, "the engine journal %s has no \"pending\" list",
			 e->journal_path);
		return -EINVAL;
	}
	n = json_object_array_length(pending);
	pthread_mutex_lock(&e->lock);
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(pending, i);
		int64_t ctid;
		unsigned wants, keys = 0;
		struct ct_rec *r;

		if (!json_object_object_get_ex(o, "ctid", &v))
			continue;
		ctid = json_object_get_int64(v);
		if (ctid < 100 || ctid > 999999999)
			continue;
		wants = json_object_object_get_ex(o, "wants", &v) ? parse_wants(v) : 0;
		if (json_object_object_get_ex(o, "keys", &v) && json_object_is_type(v, json_type_array)) {
			for (size_t k = 0; k < json_object_array_length(v); k++) {
				const struct phx_attr *a = phx_schema_row(
					json_object_get_string(json_object_array_get_idx(v, k)));

				if (a)
					keys |= phx_attr_bit(a);
			}
		} else if (json_object_object_get_ex(o, "cfg_keys", &v) && json_object_get_int(v)) {
			keys = params_config_rows();
		}
		if (!wants)
			continue;
		r = rec_get(e, (uint32_t)ctid);
		if (!r)
			continue;
		r->wants |= wants;
		r->cfg_keys |= keys;
		if (json_object_object_get_ex(o, "features", &v) &&
		    json_object_is_type(v, json_type_string))
			snprintf(r->hooks_pending, sizeof(r->hooks_pending), "%s",
				 json_object_get_string(v));
		if (wants & W_BUILD)
			r->resume_build = true;
		rec_note(e, r, "resuming the work accepted before the last stop");
	}
	/* Containers `ctl stop` asked to stay stopped: not drift, not started
	 * by reconcile=apply. */
	if (json_object_object_get_ex(root, "held_stopped", &v) && json_object_is_type(v, json_type_array))
		for (size_t k = 0; k < json_object_array_length(v); k++) {
			int64_t ctid = json_object_get_int64(json_object_array_get_idx(v, k));
			struct ct_rec *r;

			if (ctid >= 100 && ctid <= 999999999 && (r = rec_get(e, (uint32_t)ctid)))
				r->hold_stopped = true;
		}
	/* Written back as soon as anything changes; until then the file on
	 * disk already says the same. */
	e->journal_written = e->journal_seq;
	pthread_mutex_unlock(&e->lock);
	json_object_put(root);
	return 0;
}

/* The checks of journal_load without loading, for the mount to run before
 * it mounts (the engine starts only after fuse_daemonize, when a refusal
 * would make the mount appear and vanish): a journal that is there and
 * unreadable refuses the mount. */
int phx_engine_journal_check(const char *path, char *err, size_t errlen)
{
	json_object *root, *pending;
	bool ok;
	FILE *f;

	if (!path || !(f = fopen(path, "r")))
		return 0; /* none yet: nothing unfinished */
	fclose(f);
	root = json_object_from_file(path);
	if (!root) {
		snprintf(err, errlen, "the engine journal %s is not valid JSON; "
			 "move it away to start without the requests it holds", path);
		return -EINVAL;
	}
	ok = json_object_object_get_ex(root, "pending", &pending) &&
	     json_object_is_type(pending, json_type_array);
	json_object_put(root);
	if (!ok) {
		snprintf(err, errlen, "the engine journal %s has no \"pending\" list", path);
		return -EINVAL;
	}
	return 0;
}
