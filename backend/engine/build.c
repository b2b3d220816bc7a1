/* A job: everything asked of one container, carried out in order by one
 * worker. Building is create-or-clone, then configure, then convert (a
 * template) or start (anything else). A container that already exists is
 * adopted, never created twice. */
#include "backend/engine/migrate.h"
#include "backend/engine/placement.h"
#include "backend/engine/clone_mode.h"
#include "backend/engine/lifecycle.h"
#include "backend/engine/params.h"
#include "backend/engine/provision.h"

#include "backend/chain.h"
#include "backend/lxc_keys.h"
#include "backend/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUILD_FRESH 0
#define BUILD_GONE 2 /* what we adopted turned out not to exist */

static int choose_node(struct step *s)
{
	const char *n = entry_str(s->entry, "node");
	char **nodes = NULL;
	size_t count = 0;
	struct phx_err err;
	unsigned tries = 0;
	int rc;

	if (!n || !*n)
		n = s->e->default_node;
	if (n && *n) {
		snprintf(s->node, sizeof(s->node), "%s", n);
		return STEP_OK;
	}
	if (s->e->drv->ops->node_loads)
		return step_place(s);
	for (;;) {
		memset(&err, 0, sizeof(err));
		if (s->e->drv->ops->list_nodes(s->e->drv->ctx, &nodes, &count, &err) == 0)
			break;
		if (!step_again(s, &err, &tries, "listing the nodes", NULL, 0))
			return step_stopping(s) ? STEP_STOPPED :
				step_fail(s, "cannot choose a node for %u: %s", s->ctid, err.msg);
	}
	if (count == 1) {
		snprintf(s->node, sizeof(s->node), "%s", nodes[0]);
		rc = STEP_OK;
	} else if (count == 0) {
		rc = step_fail(s, "cannot choose a node for %u: the cluster lists no nodes", s->ctid);
	} else {
		char names[512];
		size_t used = 0;

		names[0] = '\0';
		for (size_t i = 0; i < count && used < sizeof(names); i++)
			used += snprintf(names + used, sizeof(names) - used, "%s%s",
					 i ? ", " : "", nodes[i]);
		rc = step_fail(s, "cannot choose a node for %u: the cluster has %zu nodes (%s); "
			       "set its node, or mount with pve_node=", s->ctid, count, names);
	}
	for (size_t i = 0; i < count; i++)
		free(nodes[i]);
	free(nodes);
	return rc;
}

/* A create or clone we issued came back "already exists": the driver retried
 * a request whose answer was lost, so the first one went through. Find its
 * task and follow it as our own. */
static int follow_lost(struct step *s, const char *node, uint32_t vmid, const char *type,
		       char upid[PHX_UPID_MAX])
{
	struct phx_task_status ts = { 0 };
	struct phx_err err = { 0 };

	upid[0] = '\0';
	if (s->e->drv->ops->last_task(s->e->drv->ctx, node, vmid, type, upid, &ts, &err) < 0)
		upid[0] = '\0';
	if (upid[0])
		step_note(s, "already exists after our own request (its answer was lost): "
			  "following task %s", upid);
	return upid[0] ? 0 : -1;
}

static int do_create(struct step *s)
{
	struct kvbuf kv = { .n = 0 };
	char upid[PHX_UPID_MAX] = "", why[600];
	const char *tmpl = entry_str(s->entry, "template");
	struct phx_err err;
	unsigned tries = 0;
	int rc;

	if (!tmpl || !*tmpl)
		return step_fail(s, "nothing to build %u from: it has neither template "
				 "nor clone_from", s->ctid);
	rc = choose_node(s);
	if (rc)
		return rc;
	params_create(s->entry, &kv);
	if (kv.failed) {
		kv_free(&kv);
		return step_fail(s, "out of memory forming the create request of %u", s->ctid);
	}
	rc = step_ostemplate(s, &kv);
	if (rc) {
		kv_free(&kv);
		return rc;
	}
	step_show(s, ST_CREATING, "from %s", tmpl);
	step_note(s, "creating %u on %s from %s", s->ctid, s->node, tmpl);
	for (;;) {
		memset(&err, 0, sizeof(err));
		rc = s->e->drv->ops->create(s->e->drv->ctx, s->node, s->ctid, kv.v, kv.n, upid, &err);
		if (rc == 0)
			break;
		/* We saw no such CT before asking, so "already exists" means
		 * the driver retried a create whose answer was lost; its
		 * vzcreate task says so. */
		if (err.kind == PHX_E_EXISTS &&
		    follow_lost(s, s->node, s->ctid, "vzcreate", upid) == 0) {
			rc = 0;
			break;
		}
		if (!step_again(s, &err, &tries, "create", s->node, s->ctid))
			break;
	}
	kv_free(&kv);
	if (rc < 0)
		return step_stopping(s) ? STEP_STOPPED :
			step_fail(s, "create of %u failed: %s", s->ctid, err.msg);
	{
		char detail[320];

		snprintf(detail, sizeof(detail), "from %s", tmpl);
		rc = step_wait_task(s, upid, ST_CREATING, detail, why, sizeof(why));
	}
	if (rc == STEP_STOPPED)
		return rc;
	if (rc < 0)
		return step_fail(s, "create of %u failed: %s", s->ctid, why);
	step_facts(s, true, 0, "stopped");
	step_note(s, "created");
	return STEP_OK;
}

/* Our clone from src ended, and with it the `disk` lock Proxmox held on
 * src for it. The next clone from src may start now, while this job goes
 * on configuring and starting its container: that keeps clones from one
 * source back to back, as the API allows. A listing taken during the clone
 * still shows the lock, and the next one may be up to `refresh` away:
 * forget it now, and ignore listings asked before this moment for src, so
 * that the source does not read "locked (disk)" after its clone. */
static void source_released(struct step *s, uint32_t src)
{
	struct ct_rec *sr;

	pthread_mutex_lock(&s->e->lock);
	sr = rec_find(s->e, src);
	if (sr && sr->clone_busy && sr->clone_holder == s->ctid) {
		sr->clone_busy = false;
		rec_link(s->e, sr, &sr->clone_holder, 0);
		pthread_cond_broadcast(&s->e->work);
	}
	if (sr && strcmp(sr->lock, "disk") == 0) {
		sr->lock[0] = '\0';
		sr->op_ended_at = now_mono();
		rec_touch(s->e, sr);
	}
	pthread_mutex_unlock(&s->e->lock);
}

/* The template_snapshot_name of src's entry ("" when none, or when src
 * asks to be a template: a template's clones are linked). */
static void source_snapname(struct phx_engine *e, uint32_t src, char *buf, size_t len)
{
	json_object *entry, *v;

	buf[0] = '\0';
	phx_doc_rdlock(e->doc);
	entry = phx_doc_entry(e->doc, src);
	if (entry && !phx_entry_wants_template(entry) &&
	    json_object_object_get_ex(entry, "template_snapshot_name", &v) &&
	    json_object_is_type(v, json_type_string))
		snprintf(buf, len, "%s", json_object_get_string(v));
	phx_doc_unlock(e->doc);
}

static bool source_running(struct phx_engine *e, uint32_t src)
{
	struct ct_rec *sr;
	bool b;

	pthread_mutex_lock(&e->lock);
	sr = rec_find(e, src);
	b = sr && strcmp(sr->status, "running") == 0;
	pthread_mutex_unlock(&e->lock);
	return b;
}

static void forget_snapshot(struct phx_engine *e, uint32_t ctid)
{
	struct ct_rec *r;

	pthread_mutex_lock(&e->lock);
	r = rec_find(e, ctid);
	if (r)
		r->has_snap[0] = '\0';
	pthread_mutex_unlock(&e->lock);
}

static void know_snapshot(struct phx_engine *e, uint32_t ctid, const char *name)
{
	struct ct_rec *r;

	pthread_mutex_lock(&e->lock);
	r = rec_find(e, ctid);
	if (r) {
		snprintf(r->has_snap, sizeof(r->has_snap), "%s", name);
		rec_touch(e, r);
	}
	pthread_mutex_unlock(&e->lock);
}

static int do_clone(struct step *s, uint32_t src)
{
	struct kvbuf kv = { .n = 0 };
	char upid[PHX_UPID_MAX] = "", why[600], srcnode[PHX_NODE_MAX], srcsnap[48];
	const char *snap = NULL, *want_node;
	struct clone_choice mode;
	struct phx_err err;
	json_object *cfg = NULL;
	long long tpl = 0;
	unsigned tries = 0;
	struct ct_rec *sr;
	int rc;

	pthread_mutex_lock(&s->e->lock);
	sr = rec_find(s->e, src);
	rc = sr && sr->exists;
	snprintf(srcnode, sizeof(srcnode), "%s", sr ? sr->node : "");
	pthread_mutex_unlock(&s->e->lock);
	if (!rc)
		return 1; /* the source went away meanwhile: plan again */

	/* Linked or full follows what the source is now, from its own config. */
	if (step_get_config(s, srcnode, src, &cfg, &err) < 0) {
		if (err.kind == PHX_E_NOTFOUND)
			return 1;
		return step_stopping(s) ? STEP_STOPPED :
			step_fail(s, "clone of %u from %u failed: reading %u: %s",
				  s->ctid, src, src, err.msg);
	}
	cfg_int(cfg, "template", &tpl);
	step_clone_mode(s, cfg, srcnode, &mode);
	json_object_put(cfg);
	cfg = NULL;

	snprintf(s->node, sizeof(s->node), "%s", srcnode);
	kv_add(&kv, "full", mode.mode == CLONE_LINKED ? "0" : "1");
	if (mode.storage[0])
		kv_add(&kv, "storage", "%s", mode.storage);
	if (tpl != 1) {
		/* lxc-manager.sh clones from the snapshot the SOURCE names */
		source_snapname(s->e, src, srcsnap, sizeof(srcsnap));
		snap = srcsnap[0] ? srcsnap : NULL;
		if (snap) {
			int has = step_has_snapshot(s, srcnode, src, snap);

			if (has == SNAP_LIST_STOPPED || has < 0) {
				kv_free(&kv);
				return has < 0 && has != SNAP_LIST_STOPPED ? STEP_FAILED : STEP_STOPPED;
			}
			if (!has) {
				/* gone since it was known: plan again, which asks
				 * the source for it */
				kv_free(&kv);
				forget_snapshot(s->e, src);
				step_note(s, "snapshot %s of %u is not there (any more): "
					  "waiting for it", snap, src);
				return 1;
			}
			kv_add(&kv, "snapname", "%s", snap);
		} else if (source_running(s->e, src)) {
			kv_free(&kv);
			return step_fail(s, "clone of %u from %u: %u is running and is neither a "
					 "template nor names a template_snapshot_name; Proxmox "
					 "clones a running container only from a snapshot: give "
					 "%u a template_snapshot_name (or is_template), then echo "
					 "retry > ctl", s->ctid, src, src, src);
		}
	}
	want_node = entry_str(s->entry, "node");
	if (want_node && *want_node && strcmp(want_node, srcnode) != 0)
		kv_add(&kv, "target", "%s", want_node);

	if (kv.failed) {
		kv_free(&kv);
		return step_fail(s, "out of memory forming the clone request of %u", s->ctid);
	}
	step_show(s, ST_CLONING, "from %u", src);
	if (snap)
		step_note(s, "cloning %u from %u on %s (full clone from snapshot %s): %s", s->ctid,
			  src, srcnode, snap, mode.why);
	else
		step_note(s, "cloning %u from %u on %s: %s", s->ctid, src, srcnode, mode.why);
	for (;;) {
		memset(&err, 0, sizeof(err));
		rc = s->e->drv->ops->clone(s->e->drv->ctx, srcnode, src, s->ctid, kv.v, kv.n,
					   upid, &err);
		if (rc == 0)
			break;
		if (err.kind == PHX_E_EXISTS &&
		    follow_lost(s, srcnode, src, "vzclone", upid) == 0) {
			rc = 0;
			break;
		}
		/* a lock on the source (someone else's clone, a backup) is
		 * waited out on the source's config */
		if (!step_again(s, &err, &tries, "clone", srcnode, src))
			break;
	}
	kv_free(&kv);
	if (rc < 0 && snap && strstr(err.msg, "does not exist") && strstr(err.msg, snap)) {
		/* the source took it again meanwhile (lifecycle snapshots are
		 * deleted and recreated): wait for it once more */
		forget_snapshot(s->e, src);
		step_note(s, "snapshot %s of %u went away before the clone: waiting for it",
			  snap, src);
		return 1;
	}
	if (rc < 0)
		return step_stopping(s) ? STEP_STOPPED :
			step_fail(s, "clone of %u from %u failed: %s", s->ctid, src, err.msg);
	{
		char detail[64];

		snprintf(detail, sizeof(detail), "from %u", src);
		rc = step_wait_task(s, upid, ST_CLONING, detail, why, sizeof(why));
	}
	if (rc == STEP_STOPPED)
		return rc;
	if (rc < 0)
		return step_fail(s, "clone of %u from %u failed: %s", s->ctid, src, why);
	if (want_node && *want_node && strcmp(want_node, srcnode) != 0)
		snprintf(s->node, sizeof(s->node), "%s", want_node);
	step_facts(s, true, 0, "stopped");
	source_released(s, src);
	step_note(s, "cloned");
	return STEP_OK;
}

/* The container exists with `lock: create`: a create or clone is running or
 * died (a crash of ours, or of the node's worker). Wait for its task; if it
 * left the container half-made, destroy that and build again. Proxmox
 * refuses to destroy a locked container, so a lock whose task is gone needs
 * `pct unlock` by the operator: we say so rather than guess. */
static int settle_create_lock(struct step *s, uint32_t src)
{
	char upid[PHX_UPID_MAX] = "", why[600], srcnode[PHX_NODE_MAX];
	struct phx_task_status ts = { 0 };
	struct phx_err err = { 0 };
	json_object *cfg = NULL;
	const char *lock;
	int rc;

	snprintf(srcnode, sizeof(srcnode), "%s", s->node);
	if (src) {
		struct ct_rec *sr;

		pthread_mutex_lock(&s->e->lock);
		sr = rec_find(s->e, src);
		if (sr && sr->exists)
			snprintf(srcnode, sizeof(srcnode), "%s", sr->node);
		pthread_mutex_unlock(&s->e->lock);
	}
	if (s->e->drv->ops->last_task(s->e->drv->ctx, src ? srcnode : s->node,
				      src ? src : s->ctid, src ? "vzclone" : "vzcreate",
				      upid, &ts, &err) < 0)
		upid[0] = '\0';
	if (upid[0] && ts.running) {
		step_note(s, "%u is locked (create) by a running task: waiting for %s",
			  s->ctid, upid);
		rc = step_wait_task(s, upid, src ? ST_CLONING : ST_CREATING,
				    "finishing an earlier request", why, sizeof(why));
		if (rc == STEP_STOPPED)
			return rc;
		if (rc < 0)
			step_note(s, "the earlier request failed: %s", why);
	}
	if (step_get_config(s, s->node, s->ctid, &cfg, &err) < 0) {
		if (err.kind == PHX_E_NOTFOUND) {
			step_facts(s, false, -1, "");
			return BUILD_GONE;
		}
		return step_stopping(s) ? STEP_STOPPED :
			step_fail(s, "reading %u failed: %s", s->ctid, err.msg);
	}
	lock = cfg_str(cfg, "lock");
	rc = lock && strcmp(lock, "create") == 0;
	json_object_put(cfg);
	cfg = NULL;
	if (!rc)
		return STEP_OK; /* finished after all: adopt it */

	step_note(s, "%u is left locked (create) by a request that did not finish: "
		  "destroying the half-made container to build it again", s->ctid);
	{
		struct phx_kv purge = { "purge", "1" };

		memset(&err, 0, sizeof(err));
		upid[0] = '\0';
		rc = s->e->drv->ops->destroy_ct(s->e->drv->ctx, s->node, s->ctid, &purge, 1,
						upid, &err);
	}
	if (rc < 0)
		return step_fail(s, "%u is left half-made and locked (create) by an earlier "
				 "create that did not finish, and Proxmox will not remove it "
				 "(%s): run `pct unlock %u` on %s, then echo retry > ctl",
				 s->ctid, err.msg, s->ctid, s->node);
	rc = step_wait_task(s, upid, ST_DESTROYING, "half-made", why, sizeof(why));
	if (rc == STEP_STOPPED)
		return rc;
	if (rc < 0)
		return step_fail(s, "removing the half-made %u failed: %s", s->ctid, why);
	step_facts(s, false, -1, "");
	return BUILD_GONE;
}

static void stages_reset(struct step *s);
static int finish_build(struct step *s, bool want_tpl);

static int do_build(struct step *s, uint32_t src, bool exists)
{
	bool want_tpl = false, adopted = false;
	json_object *cfg = NULL;
	struct phx_err err;
	long long tpl = 0;
	int rc;

	if (exists) {
		if (step_get_config(s, s->node, s->ctid, &cfg, &err) < 0) {
			if (err.kind != PHX_E_NOTFOUND)
				return step_stopping(s) ? STEP_STOPPED :
					step_fail(s, "reading %u failed: %s", s->ctid, err.msg);
			exists = false;
		} else {
			const char *lock = cfg_str(cfg, "lock");

			cfg_int(cfg, "template", &tpl);
			rc = lock && strcmp(lock, "create") == 0;
			json_object_put(cfg);
			cfg = NULL;
			if (rc) {
				rc = settle_create_lock(s, src);
				if (rc == BUILD_GONE)
					exists = false;
				else if (rc)
					return rc;
			}
		}
		if (exists) {
			adopted = true;
			step_note(s, "%u exists on %s: adopting it", s->ctid, s->node);
			step_facts(s, true, tpl == 1, NULL);
		}
	}
	if (!exists) {
		if (!s->entry)
			return step_fail(s, "nothing to build %u from: it has no entry in the "
					 "config file", s->ctid);
		rc = src ? do_clone(s, src) : do_create(s);
		if (rc)
			return rc;
		stages_reset(s);
	}
	/* A clone carries its source's settings; a create already had ours;
	 * an adopted container may have been left before its configure. */
	if (src || adopted) {
		rc = step_configure(s, params_config_rows());
		if (rc)
			return rc;
	}
	want_tpl = phx_entry_wants_template(s->entry);
	if (adopted && tpl == 1 && !want_tpl)
		return STEP_OK; /* a template never runs */
	if (adopted && tpl == 1)
		return step_convert(s); /* nothing more can change on a template */
	return finish_build(s, want_tpl);
}

/* --- the stages after create or clone, in lxc-manager.sh's order --- */

static unsigned stages_done(struct step *s)
{
	struct ct_rec *r;
	unsigned d;

	pthread_mutex_lock(&s->e->lock);
	r = rec_find(s->e, s->ctid);
	d = r ? r->build_done : 0;
	pthread_mutex_unlock(&s->e->lock);
	return d;
}

static void stage_mark(struct step *s, unsigned bit)
{
	struct ct_rec *r;

	pthread_mutex_lock(&s->e->lock);
	r = rec_find(s->e, s->ctid);
	if (r)
		r->build_done |= bit;
	pthread_mutex_unlock(&s->e->lock);
}

/* A container just made: nothing of its stages is done yet. */
static void stages_reset(struct step *s)
{
	struct ct_rec *r;

	pthread_mutex_lock(&s->e->lock);
	r = rec_find(s->e, s->ctid);
	if (r) {
		r->build_done = 0;
		r->features_done[0] = '\0';
		r->has_snap[0] = '\0';
	}
	pthread_mutex_unlock(&s->e->lock);
}

static bool entry_lifecycle(json_object *entry)
{
	bool b = false;

	return entry_bool(entry, "enable_lifecycle_snapshots", &b) && b;
}

/* The feature hooks not run yet for this container, recorded one by one
 * so that a retry after a failed hook goes on with the next. */
static int run_features(struct step *s, const char *only)
{
	char done[512], now[512] = "";
	struct ct_rec *r;
	int rc;

	pthread_mutex_lock(&s->e->lock);
	r = rec_find(s->e, s->ctid);
	snprintf(done, sizeof(done), "%s", r ? r->features_done : "");
	pthread_mutex_unlock(&s->e->lock);
	rc = step_features(s, done, only, now, sizeof(now));
	pthread_mutex_lock(&s->e->lock);
	r = rec_find(s->e, s->ctid);
	if (r && now[0]) {
		size_t used = strlen(r->features_done);

		snprintf(r->features_done + used, sizeof(r->features_done) - used, "%s%s",
			 used ? " " : "", now);
	}
	pthread_mutex_unlock(&s->e->lock);
	return rc;
}

/* A guest in `dependencies` that is not in the file (a VM) is waited for
 * on the backend: one listing a second until it runs. Those in the file
 * are the planner's (it builds and starts them first). */
static int wait_external_deps(struct step *s)
{
	uint32_t deps[64];
	char why[256];
	int n = phx_chain_deps(s->entry, deps, 64, why, sizeof(why));

	if (n < 0)
		return step_fail(s, "dependencies of %u: %s", s->ctid, why);
	for (int i = 0; i < n && i < 64; i++) {
		bool in_file, shown = false;
		unsigned polls = 0;

		phx_doc_rdlock(s->e->doc);
		in_file = phx_doc_entry(s->e->doc, deps[i]) != NULL;
		phx_doc_unlock(s->e->doc);
		if (in_file || deps[i] == s->ctid)
			continue;
		for (;;) {
			struct phx_guest_list list = { 0 };
			struct phx_err err = { 0 };
			bool up = false;

			if (s->e->drv->ops->list_guests(s->e->drv->ctx, &list, &err) == 0) {
				for (size_t k = 0; k < list.n; k++)
					if (list.v[k].vmid == deps[i])
						up = strcmp(list.v[k].status, "running") == 0;
				phx_guest_list_free(&list);
			}
			if (up)
				break;
			if (!shown) {
				step_show(s, ST_QUEUED, "waiting for %u", deps[i]);
				step_note(s, "dependency %u is not in the config file and not "
					  "running: waiting for it on the backend", deps[i]);
				shown = true;
			}
			if (!step_nap(s, polls++ < 10 ? 500 : 2000))
				return STEP_STOPPED;
		}
		step_note(s, "dependency %u is running", deps[i]);
	}
	return STEP_OK;
}

/* configure (done by the caller) -> firewall -> disk -> mount points and
 * raw lines -> start -> pre-configured -> features -> application script
 * -> template_snapshot_name -> final-form; a template is converted after
 * its hooks instead. */
static int finish_build(struct step *s, bool want_tpl)
{
	unsigned done = stages_done(s);
	bool lifecycle = entry_lifecycle(s->entry);
	const char *tsnap = want_tpl ? NULL : entry_str(s->entry, "template_snapshot_name");
	bool hooks = false;
	json_object *v;
	int rc;

	if (done & (BS_PRECONF | BS_APP))
		step_note(s, "resuming the build: %s%sdone before, not done again",
			  done & BS_PRECONF ? "pre-configured snapshot, " : "",
			  done & BS_APP ? "application script, " : "");
	if ((rc = step_firewall(s)) || (rc = step_disk(s)) || (rc = step_rawconf(s)))
		return rc;
	hooks = (json_object_object_get_ex(s->entry, "features", &v) &&
		 json_object_is_type(v, json_type_array) && json_object_array_length(v)) ||
		(entry_str(s->entry, "application_script") &&
		 *entry_str(s->entry, "application_script"));
	if (want_tpl && !hooks)
		return step_convert(s);
	if (!deps_running(s->e, s->ctid)) {
		/* back to the planner, which holds it until they run; the
		 * build goes on from here then (as a resumed one) */
		struct ct_rec *r;

		pthread_mutex_lock(&s->e->lock);
		r = rec_find(s->e, s->ctid);
		if (r)
			r->resume_build = true;
		pthread_mutex_unlock(&s->e->lock);
		step_note(s, "made; waiting for its dependencies to run before starting");
		return 1;
	}
	if ((rc = wait_external_deps(s)) || (rc = step_start(s)))
		return rc;
	wake_dependents(s->e, s->ctid);
	if (lifecycle && !want_tpl && !(done & BS_PRECONF)) {
		if ((rc = step_snapshot(s, SNAP_PRECONF, true, true)))
			return rc;
		stage_mark(s, BS_PRECONF);
	}
	if ((rc = run_features(s, NULL)))
		return rc;
	if (!(done & BS_APP)) {
		if ((rc = step_app_script(s)))
			return rc;
		stage_mark(s, BS_APP);
	}
	if (want_tpl)
		return step_convert(s);
	/* The origin's real config names final-form as the template snapshot
	 * and has lifecycle snapshots: lxc-manager.sh takes it, then deletes
	 * and takes it again. Here it is taken once, at the end, and its
	 * clones wait for that; while a snapshot they clone from is deleted
	 * and taken again, no new clone starts. */
	if (tsnap && *tsnap && !(lifecycle && !strcmp(tsnap, SNAP_FINAL))) {
		if ((rc = step_snapshot(s, tsnap, false, false)))
			return rc;
		know_snapshot(s->e, s->ctid, tsnap);
	}
	if (lifecycle) {
		if (tsnap && !strcmp(tsnap, SNAP_FINAL))
			forget_snapshot(s->e, s->ctid);
		if ((rc = step_snapshot(s, SNAP_FINAL, true, !(tsnap && !strcmp(tsnap, SNAP_FINAL)))))
			return rc;
		if (tsnap && !strcmp(tsnap, SNAP_FINAL))
			know_snapshot(s->e, s->ctid, tsnap);
	}
	/* the next `create` takes the lifecycle snapshots again, as
	 * lxc-manager.sh does; hooks already run are not run again */
	pthread_mutex_lock(&s->e->lock);
	{
		struct ct_rec *r = rec_find(s->e, s->ctid);

		if (r)
			r->build_done &= ~BS_PRECONF;
	}
	pthread_mutex_unlock(&s->e->lock);
	return STEP_OK;
}

/* W_SNAP: a clone waits for the template snapshot of this container,
 * which exists already (nothing to do) or is taken now. */
static int ensure_snapshot(struct step *s)
{
	const char *name = entry_str(s->entry, "template_snapshot_name");
	int rc;

	if (!name || !*name || phx_entry_wants_template(s->entry))
		return STEP_OK;
	rc = step_snapshot(s, name, false, false);
	if (rc == STEP_OK)
		know_snapshot(s->e, s->ctid, name);
	return rc;
}

/* W_HOOKS: features added to the list of an existing container. */
static int run_added_features(struct step *s)
{
	char only[512];
	struct ct_rec *r;

	int rc;

	pthread_mutex_lock(&s->e->lock);
	r = rec_find(s->e, s->ctid);
	snprintf(only, sizeof(only), "%s", r ? r->hooks_pending : "");
	pthread_mutex_unlock(&s->e->lock);
	if (!only[0])
		return STEP_OK;
	/* kept (and journaled) until they ran: a stop or a crash meanwhile
	 * runs them on the next start; those that ran are in features_done */
	rc = run_features(s, only);
	if (rc == STEP_OK) {
		pthread_mutex_lock(&s->e->lock);
		r = rec_find(s->e, s->ctid);
		if (r && strcmp(r->hooks_pending, only) == 0)
			r->hooks_pending[0] = '\0';
		pthread_mutex_unlock(&s->e->lock);
	}
	return rc;
}

int job_run(struct phx_engine *e, struct job *j)
{
	struct step s = { .e = e, .ctid = j->ctid };
	json_object *entry;
	uint32_t src = 0;
	struct ct_rec *r;
	bool exists;
	unsigned w = j->wants;
	int rc = STEP_OK;

	phx_doc_rdlock(e->doc);
	entry = phx_doc_entry(e->doc, j->ctid);
	if (entry && json_object_deep_copy(entry, &s.entry, NULL) < 0)
		s.entry = NULL;
	phx_doc_unlock(e->doc);
	if (s.entry && phx_chain_source(s.entry, &src) < 0)
		src = 0;
	j->entry_hash = mounts_entry_hash(s.entry);
	/* another mount may have made it since our last listing (learnt
	 * first, so that a job skipped below leaves the record right), or
	 * done this very job already */
	if (w & W_BUILD)
		mounts_check_backend(e, j->ctid);
	if (j->from_file_only && mounts_done_elsewhere(e, j)) {
		j->skipped = true;
		step_note(&s, "already done by another mount of the config for the entry "
			  "as it is now: nothing to do here");
		json_object_put(s.entry);
		return STEP_OK;
	}

	pthread_mutex_lock(&e->lock);
	r = rec_get(e, j->ctid);
	exists = r && r->exists;
	if (r)
		snprintf(s.node, sizeof(s.node), "%s", r->node);
	pthread_mutex_unlock(&e->lock);

	if (w & W_DESTROY) {
		rc = exists ? step_destroy(&s) : STEP_OK;
		goto out;
	}
	if (w & W_BUILD) {
		rc = do_build(&s, src, exists);
		exists = true;
		w &= ~(W_CONVERT | W_START);
	}
	if (!rc && !exists && (w & ~W_BUILD)) {
		rc = step_fail(&s, "%u does not exist on the backend", j->ctid);
		goto out;
	}
	/* first the move, so what follows goes to the new node */
	if (!rc && (w & W_MIGRATE))
		rc = step_migrate(&s);
	if (!rc && (w & W_SNAP))
		rc = ensure_snapshot(&s);
	if (!rc && (w & W_HOOKS))
		rc = run_added_features(&s);
	if (!rc && (w & W_CONVERT))
		rc = step_convert(&s);
	if (!rc && (w & W_CONFIG))
		rc = step_configure(&s, j->cfg_keys);
	/* a changed firewall: net0's flag went with the config, the options
	 * and rules follow */
	if (!rc && (w & W_CONFIG) && (j->cfg_keys & phx_attr_bit(phx_schema_row("firewall"))))
		rc = step_firewall(&s);
	if (!rc && (w & W_RESTART)) {
		rc = step_stop(&s);
		if (!rc)
			rc = step_start(&s);
	}
	if (!rc && (w & W_STOP))
		rc = step_stop(&s);
	if (!rc && (w & W_START)) {
		rc = step_start(&s);
		if (!rc)
			wake_dependents(e, j->ctid);
	}
out:
	json_object_put(s.entry);
	return rc;
}
