/* Drift: where a container on Proxmox differs from its entry because
 * someone else changed it (memory set in the GUI, a container stopped or
 * deleted by hand), as the one cluster listing per refresh shows it
 * (phx_drift, backend/drift.c). Recomputed after every listing; what
 * appeared or went is posted to the events and the container's log; with
 * reconcile=apply, or once with `echo apply > ctl`, the entry's values are
 * put back through the same requests an edit makes.
 *
 * Our own changes are never drift: while a job runs or is asked for, the
 * container's drift is not recomputed, and after a job the attributes it
 * changed are left out until a listing agrees with the entry (or the
 * listing's lag, ~10 s, has passed: docs/proxmox-api.md §2).
 *
 * What is never done to put drift back (docs/engine.md): stopping a
 * container (someone started it for a reason), migrating it, resizing its
 * disk, or anything that destroys. A deleted container is rebuilt from its
 * entry only when no guest of any type holds its id. */
#include "backend/engine/engine_int.h"

#include "backend/drift.h"
#include "backend/schema.h"
#include "backend/strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DRIFT_LAG_S 15.0 /* pvestatd publishes every ~10 s (docs/proxmox-api.md §2) */
/* reconcile=apply rebuilds a deleted container only once this many
 * listings in a row had no guest of its id: one listing can miss a guest
 * while its node's pmxcfs catches up. */
#define REBUILD_AFTER_LISTINGS 2

/* The attributes phx_drift compares, by the name its lines start with
 * (`exists` is the status of a container that is gone). */
static const char *const drift_attrs[] = {
	"name", "memory_mb", "storage_size_gb", "cores", "node", "is_template", "status",
};
#define NDRIFT (sizeof(drift_attrs) / sizeof(drift_attrs[0]))
_Static_assert(NDRIFT <= sizeof(((struct ct_rec *)0)->ours_at) / sizeof(double),
	       "ours_at holds a time per drift attribute");

void reconcile_mark_ours(struct ct_rec *r, unsigned wants, unsigned cfg_keys, double now)
{
	for (size_t k = 0; k < NDRIFT; k++) {
		const struct phx_attr *a = phx_schema_row(drift_attrs[k]);
		bool ours = (wants & (W_BUILD | W_CONVERT)) != 0;

		if ((wants & W_CONFIG) && a && (cfg_keys & phx_attr_bit(a)))
			ours = true;
		if ((wants & (W_START | W_STOP | W_RESTART | W_DESTROY)) &&
		    strcmp(drift_attrs[k], "status") == 0)
			ours = true;
		if (ours)
			r->ours_at[k] = now;
	}
}

/* Whether the drift text has a line for attribute k. */
static bool has_line(const char *text, size_t k)
{
	const char *name = drift_attrs[k];
	size_t n = strlen(name);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, name, n) == 0 && p[n] == ' ')
			return true;
		if (strcmp(name, "status") == 0 && strncmp(p, "exists ", 7) == 0)
			return true;
	}
	return false;
}

static const char *entry_node(json_object *entry)
{
	json_object *v;

	if (!json_object_object_get_ex(entry, "node", &v) || !json_object_is_type(v, json_type_string) ||
	    !json_object_get_string_len(v))
		return NULL;
	return json_object_get_string(v);
}

/* The drift of r against entry now (e->lock and the doc's read lock held).
 * With settle, attributes of ours that a listing now agrees with (or
 * whose lag has passed) stop being left out. */
static int compute(struct ct_rec *r, json_object *entry, double now, bool settle,
		   struct strbuf *out)
{
	struct phx_drift_want want = { .exists = r->seen, .running = !r->hold_stopped,
				       .node = entry_node(entry) };
	const struct phx_guest *g = r->row_valid ? &r->row : NULL;
	const char *skip[NDRIFT + 1];
	struct strbuf all = STRBUF_INIT;
	size_t ns = 0;
	bool ours = false;
	int n;

	for (size_t k = 0; k < NDRIFT; k++)
		ours |= r->ours_at[k] != 0;
	if (!ours) { /* the common case: one comparison */
		n = phx_drift(entry, g, &want, NULL, out);
		return out->failed ? -ENOMEM : n;
	}
	phx_drift(entry, g, &want, NULL, &all);
	for (size_t k = 0; k < NDRIFT; k++) {
		if (r->ours_at[k] == 0)
			continue;
		if (!all.failed && !has_line(all.s, k)) {
			if (settle)
				r->ours_at[k] = 0; /* the listing caught up */
		} else if (now < r->ours_at[k] + DRIFT_LAG_S) {
			skip[ns++] = drift_attrs[k];
		} else if (settle) {
			r->ours_at[k] = 0;
		}
	}
	skip[ns] = NULL;
	strbuf_release(&all);
	n = phx_drift(entry, g, &want, skip, out);
	return out->failed ? -ENOMEM : n;
}

/* Whether a line of text (without its newline) is among the lines of set. */
static bool line_in(const char *set, const char *line, size_t len)
{
	for (const char *p = set; p && *p;) {
		const char *end = strchr(p, '\n');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n == len && strncmp(p, line, len) == 0)
			return true;
		p = end ? end + 1 : NULL;
	}
	return false;
}

static bool key_in(const char *set, const char *line, size_t len)
{
	size_t k = strcspn(line, " ");

	(void)len;
	for (const char *p = set; p && *p;) {
		if (strncmp(p, line, k) == 0 && p[k] == ' ')
			return true;
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return false;
}

/* Post and log what appeared in now and what went from before. */
static void announce(struct phx_engine *e, struct ct_rec *r, const char *before, const char *now)
{
	for (const char *p = now; p && *p;) {
		const char *end = strchr(p, '\n');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (!line_in(before, p, n)) {
			eng_event(e, r->ctid, "drift", "found %.*s", (int)n, p);
			rec_note(e, r, "drift: %.*s (changed outside phoenixfs)", (int)n, p);
		}
		p = end ? end + 1 : NULL;
	}
	for (const char *p = before; p && *p;) {
		const char *end = strchr(p, '\n');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		size_t k = strcspn(p, " ");

		if (!key_in(now, p, n)) {
			eng_event(e, r->ctid, "drift", "gone %.*s", (int)k, p);
			rec_note(e, r, "drift gone: %.*s", (int)k, p);
		}
		p = end ? end + 1 : NULL;
	}
}

/* Recompute r's drift after a listing asked at `asked` (both locks held).
 * Returns true when reconcile=apply should put it back now. */
static bool refresh_drift(struct phx_engine *e, struct ct_rec *r, json_object *entry,
			  double asked, double now)
{
	struct strbuf b = STRBUF_INIT;
	char *text = NULL;
	size_t len;

	/* Work of ours asked for, under way, or ended after this listing was
	 * asked for: what the listing says is not news about someone else. */
	if (!rec_settled(r) || r->running || r->op_ended_at > asked)
		return false;
	if (entry && compute(r, entry, now, true, &b) < 0) {
		strbuf_release(&b);
		return false; /* out of memory: keep what was shown */
	}
	if (strbuf_finish(&b, &text, &len) < 0)
		return false;
	if (len == 0) {
		free(text);
		text = NULL;
	}
	if ((text ? text : "")[0] || (r->drift ? r->drift : "")[0]) {
		if (!r->drift || !text || strcmp(r->drift, text) != 0) {
			announce(e, r, r->drift, text);
			rec_touch(e, r);
		}
	}
	free(r->drift);
	r->drift = text;
	if (!text) {
		free(r->applied);
		r->applied = NULL;
	}
	if (e->reconcile != PHX_RECONCILE_APPLY || !text || r->failed)
		return false;
	if (r->applied && strcmp(r->applied, text) == 0)
		return false; /* put back once and back again: left to people */
	if (strncmp(text, "exists ", 7) == 0 && r->missing < REBUILD_AFTER_LISTINGS)
		return false; /* gone from one listing: wait for the next to agree */
	return true;
}

/* What putting drift back asks for; notes what is left as it is. */
struct putback {
	unsigned wants, cfg_keys;
	char done[256], left[512];
};

static void add_word(char *buf, size_t len, const char *fmt, const char *word)
{
	size_t n = strlen(buf);

	snprintf(buf + n, len - n, fmt, n ? ", " : "", word);
}

/* How each drift line is put back: the first row whose key matches and
 * whose `if` text is in the line (NULL: any) decides. */
enum how { BY_CONFIG, BY_START, BY_CONVERT, BY_REBUILD, NEVER };
static const struct {
	const char *key, *if_has;
	enum how how;
	const char *said; /* what the log says: done as, or why not */
} putback_rules[] = {
	{ "name", NULL, BY_CONFIG, "name" },
	{ "memory_mb", NULL, BY_CONFIG, "memory_mb" },
	{ "cores", NULL, BY_CONFIG, "cores" },
	{ "status", " file=running ", BY_START, "status (start)" },
	{ "status", NULL, NEVER, "status (phoenixfs never stops a container someone started)" },
	{ "is_template", " file=true ", BY_CONVERT, "is_template (convert)" },
	{ "is_template", NULL, NEVER, "is_template (a template cannot be turned back)" },
	{ "exists", NULL, BY_REBUILD, "exists (rebuild from the entry)" },
	{ "storage_size_gb", NULL, NEVER,
	  "storage_size_gb (a disk is resized by hand only: shrinking loses data)" },
	{ "node", NULL, NEVER, "node (a write of node migrates; drift does not)" },
};

static void plan_line(const char *line, size_t len, bool may_rebuild, bool id_free,
		      struct putback *p)
{
	size_t k = strcspn(line, " ");
	char text[256];

	snprintf(text, sizeof(text), "%.*s", (int)(len < sizeof(text) ? len : sizeof(text) - 1), line);
	for (size_t i = 0; i < sizeof(putback_rules) / sizeof(putback_rules[0]); i++) {
		const char *key = putback_rules[i].key;
		const struct phx_attr *a = phx_schema_row(key);

		if (strlen(key) != k || strncmp(line, key, k) != 0 ||
		    (putback_rules[i].if_has && !strstr(text, putback_rules[i].if_has)))
			continue;
		switch (putback_rules[i].how) {
		case BY_CONFIG:
			if (!a)
				break;
			p->wants |= W_CONFIG;
			p->cfg_keys |= phx_attr_bit(a);
			add_word(p->done, sizeof(p->done), "%s%s", putback_rules[i].said);
			return;
		case BY_START:
			p->wants |= W_START;
			add_word(p->done, sizeof(p->done), "%s%s", putback_rules[i].said);
			return;
		case BY_CONVERT:
			p->wants |= W_BUILD; /* the build converts an existing container */
			add_word(p->done, sizeof(p->done), "%s%s", putback_rules[i].said);
			return;
		case BY_REBUILD:
			if (may_rebuild && id_free) {
				p->wants |= W_BUILD;
				add_word(p->done, sizeof(p->done), "%s%s", putback_rules[i].said);
			} else {
				add_word(p->left, sizeof(p->left), "%s%s", !may_rebuild ?
					 "exists (the entry names nothing to build from)" :
					 "exists (its id is taken or was listed a moment ago)");
			}
			return;
		case NEVER:
			add_word(p->left, sizeof(p->left), "%s%s", putback_rules[i].said);
			return;
		}
	}
	snprintf(text, sizeof(text), "%.*s", (int)(k < sizeof(text) ? k : sizeof(text) - 1), line);
	add_word(p->left, sizeof(p->left), "%s%s", text);
}

static void plan_putback(const char *drift, bool may_rebuild, bool id_free, struct putback *p)
{
	memset(p, 0, sizeof(*p));
	for (const char *line = drift; line && *line;) {
		const char *end = strchr(line, '\n');

		plan_line(line, end ? (size_t)(end - line) : strlen(line), may_rebuild, id_free, p);
		line = end ? end + 1 : NULL;
	}
}

/* Put back `drift` of ctid (no lock held). */
static int put_back(struct phx_engine *e, uint32_t ctid, const char *drift, bool by_ctl,
		    unsigned missing)
{
	struct putback p;
	bool buildable = strstr(drift, "exists ") && eng_entry_buildable(e, ctid);
	const char *why = by_ctl ? "apply asked for" : "reconcile=apply";
	int rc = 0;

	plan_putback(drift, buildable, missing >= (by_ctl ? 1u : REBUILD_AFTER_LISTINGS), &p);
	if (p.done[0]) {
		phx_engine_note(e, ctid, "%s: putting back %s", why, p.done);
		pthread_mutex_lock(&e->lock);
		eng_event(e, ctid, "reconcile", "putting back %s (%s)", p.done, why);
		pthread_mutex_unlock(&e->lock);
	}
	if (p.left[0])
		phx_engine_note(e, ctid, "%s: left as it is: %s", why, p.left);
	if (p.wants & W_BUILD)
		rc = eng_request(e, ctid, W_BUILD, 0, NULL);
	if (p.wants & W_CONFIG) {
		int rc2 = eng_request(e, ctid, W_CONFIG, p.cfg_keys, NULL);

		rc = rc ? rc : rc2;
	}
	if (p.wants & W_START) {
		int rc2 = eng_request(e, ctid, W_START, 0, NULL);

		rc = rc ? rc : rc2;
	}
	return rc;
}

struct todo {
	uint32_t ctid;
	char *drift;
	unsigned missing;
};

void reconcile_after_listing(struct phx_engine *e, double asked)
{
	struct todo *todo = NULL;
	size_t n = 0, cap = 0;
	double now = now_mono();

	if (e->doc)
		phx_doc_rdlock(e->doc);
	pthread_mutex_lock(&e->lock);
	for (size_t b = 0; b < e->nbuckets; b++)
		for (struct ct_rec *r = e->buckets[b]; r; r = r->hnext) {
			json_object *entry = e->doc ? phx_doc_entry(e->doc, r->ctid) : NULL;

			if (!refresh_drift(e, r, entry, asked, now))
				continue;
			if (n == cap) {
				size_t c = cap ? cap * 2 : 16;
				struct todo *t = realloc(todo, c * sizeof(*t));

				if (!t)
					continue; /* the next listing tries again */
				todo = t;
				cap = c;
			}
			todo[n].drift = strdup(r->drift);
			if (!todo[n].drift)
				continue;
			todo[n].ctid = r->ctid;
			todo[n].missing = r->missing;
			free(r->applied);
			r->applied = strdup(r->drift);
			n++;
		}
	pthread_mutex_unlock(&e->lock);
	if (e->doc)
		phx_doc_unlock(e->doc);
	for (size_t i = 0; i < n; i++) {
		put_back(e, todo[i].ctid, todo[i].drift, false, todo[i].missing);
		free(todo[i].drift);
	}
	free(todo);
}

/* The drift shown now: the last listing's, against the entry as it is now
 * (an edit that makes the entry agree with Proxmox ends it at once). While
 * work of ours is asked for or under way, what the last listing showed. */
char *phx_engine_drift(struct phx_engine *e, uint32_t ctid)
{
	struct strbuf b = STRBUF_INIT;
	struct ct_rec *r;
	char *text = NULL;
	size_t len;

	if (e->doc)
		phx_doc_rdlock(e->doc);
	pthread_mutex_lock(&e->lock);
	r = rec_find(e, ctid);
	if (r && !rec_settled(r)) {
		strbuf_adds(&b, r->drift ? r->drift : "");
	} else if (r && e->doc && e->refresh_count > 0) {
		json_object *entry = phx_doc_entry(e->doc, ctid);

		if (entry)
			compute(r, entry, now_mono(), false, &b);
	}
	pthread_mutex_unlock(&e->lock);
	if (e->doc)
		phx_doc_unlock(e->doc);
	if (strbuf_finish(&b, &text, &len) < 0)
		return NULL;
	return text;
}

int reconcile_apply_ctl(struct phx_engine *e, uint32_t ctid, char *err, size_t errlen)
{
	char *drift;
	unsigned missing = 0;
	bool busy = false, failed = false;
	struct ct_rec *r;
	int rc;

	pthread_mutex_lock(&e->lock);
	r = rec_find(e, ctid);
	if (r) {
		busy = !rec_settled(r);
		failed = r->failed;
		missing = r->missing;
	}
	pthread_mutex_unlock(&e->lock);
	if (busy) {
		snprintf(err, errlen, "%u has work under way; apply once it is done", ctid);
		phx_engine_refused(e, ctid, err);
		return -EBUSY;
	}
	if (failed) {
		snprintf(err, errlen, "%u failed; fix the entry or echo retry > ctl first", ctid);
		phx_engine_refused(e, ctid, err);
		return -EBUSY;
	}
	drift = phx_engine_drift(e, ctid);
	if (!drift) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (!*drift) {
		phx_engine_note(e, ctid, "apply asked for: no drift to put back");
		free(drift);
		return 0;
	}
	rc = put_back(e, ctid, drift, true, missing);
	free(drift);
	if (rc < 0)
		snprintf(err, errlen, "the request could not be recorded: %s", strerror(-rc));
	return rc;
}
