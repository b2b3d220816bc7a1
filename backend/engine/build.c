/* A job: everything asked of one container, carried out in order by one
 * worker. Building is create-or-clone, then configure, then convert (a
 * template) or start (anything else). A container that already exists is
 * adopted, never created twice. */
#include "backend/engine/clone_mode.h"
#include "backend/engine/lifecycle.h"
#include "backend/engine/params.h"

#include "backend/chain.h"
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
		sr->clone_holder = 0;
		pthread_cond_broadcast(&s->e->work);
	}
	if (sr && strcmp(sr->lock, "disk") == 0) {
		sr->lock[0] = '\0';
		sr->op_ended_at = now_mono();
		rec_touch(s->e, sr);
	}
	pthread_mutex_unlock(&s->e->lock);
}

static int do_clone(struct step *s, uint32_t src)
{
	struct kvbuf kv = { .n = 0 };
	char upid[PHX_UPID_MAX] = "", why[600], srcnode[PHX_NODE_MAX];
	const char *snap, *want_node;
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
		snap = entry_str(s->entry, "template_snapshot_name");
		if (snap && *snap)
			kv_add(&kv, "snapname", "%s", snap);
	}
	want_node = entry_str(s->entry, "node");
	if (want_node && *want_node && strcmp(want_node, srcnode) != 0)
		kv_add(&kv, "target", "%s", want_node);

	if (kv.failed) {
		kv_free(&kv);
		return step_fail(s, "out of memory forming the clone request of %u", s->ctid);
	}
	step_show(s, ST_CLONING, "from %u", src);
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
	}
	/* A clone carries its source's settings; a create already had ours;
	 * an adopted container may have been left before its configure. */
	if (src || adopted) {
		rc = step_configure(s, params_config_rows());
		if (rc)
			return rc;
	}
	want_tpl = phx_entry_wants_template(s->entry);
	if (want_tpl)
		return step_convert(s);
	if (adopted && tpl == 1)
		return STEP_OK; /* a template never runs */
	return step_start(s);
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
	if (!rc && (w & W_CONVERT))
		rc = step_convert(&s);
	if (!rc && (w & W_CONFIG))
		rc = step_configure(&s, j->cfg_keys);
	if (!rc && (w & W_RESTART)) {
		rc = step_stop(&s);
		if (!rc)
			rc = step_start(&s);
	}
	if (!rc && (w & W_STOP))
		rc = step_stop(&s);
	if (!rc && (w & W_START))
		rc = step_start(&s);
out:
	json_object_put(s.entry);
	return rc;
}
