/* The worker pool: `jobs` threads, each carrying out one container's job at
 * a time, so at most `jobs` backend operations are ever in flight. A job is
 * taken from the run queue only when nothing else holds its container: no
 * other job on it, and no clone from it (Proxmox puts a `disk` lock on a
 * clone's source for the whole clone, so clones from one source run one at
 * a time). */
#include "backend/engine/engine_int.h"

#include "backend/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool takeable(struct phx_engine *e, struct ct_rec *r)
{
	struct ct_rec *sr;

	if (r->clone_busy)
		return false;
	if (!r->clone_src)
		return true;
	sr = rec_find(e, r->clone_src);
	return sr && !sr->running && !sr->clone_busy;
}

static struct ct_rec *take(struct phx_engine *e)
{
	struct ct_rec *prev = NULL;

	if (!e->refreshed_once)
		return NULL; /* nothing is decided before the backend is known */
	if (e->refresh_problem[0])
		return NULL; /* the backend is away: wait for a listing to succeed */
	for (struct ct_rec *r = e->qhead; r; prev = r, r = r->qnext) {
		if (!takeable(e, r))
			continue;
		if (prev)
			prev->qnext = r->qnext;
		else
			e->qhead = r->qnext;
		if (e->qtail == r)
			e->qtail = prev;
		r->qnext = NULL;
		r->queued = false;
		return r;
	}
	return NULL;
}

static void finish(struct phx_engine *e, struct ct_rec *r, struct job *j, int rc)
{
	uint32_t *replan = NULL;
	size_t nreplan = 0;
	bool again;

	pthread_mutex_lock(&e->lock);
	if (j->clone_src) {
		struct ct_rec *sr = rec_find(e, j->clone_src);

		/* unless the clone already released it and a newer clone holds it */
		if (sr && sr->clone_busy && sr->clone_holder == j->ctid) {
			sr->clone_busy = false;
			rec_link(e, sr, &sr->clone_holder, 0);
		}
	}
	r->running = false;
	if (rc == 1) {
		/* stopping, or the world changed under the job: what it was
		 * doing is still wanted */
		r->wants |= r->doing;
		r->cfg_keys |= r->doing_keys;
		if (r->op != ST_ABSENT)
			rec_set_op(e, r, ST_ABSENT, NULL);
	} else if (rc == 0) {
		r->op = ST_ABSENT;
		r->detail[0] = '\0';
		r->failed_wants = 0;
		rec_note(e, r, "done: %s", r->template_ == 1 ? "template" :
			 !r->exists ? "absent" :
			 strcmp(r->status, "running") == 0 ? "running" : "stopped");
	}
	observe_job_end(e, r, j, rc); /* builds counted, our changes kept out of drift */
	r->doing = r->doing_keys = 0;
	if (rc != 1)
		r->resume_build = false;
	journal_dirty(e);
	/* Waiters wait for a build or conversion; once nothing of that kind
	 * is left on this container, they can go on (or fail with it). */
	if (rc != 1 && !(r->wants & W_PROVIDES))
		nreplan = release_waiters(e, r, rc == 0, &replan);
	again = r->wants && !e->stopping;
	pthread_cond_broadcast(&e->work);
	rec_touch(e, r);
	pthread_mutex_unlock(&e->lock);

	if (journal_sync(e) < 0) /* logged; the next change writes it again */
		phx_engine_note(e, j->ctid, "the journal could not be written: what is still "
				"to be done is lost if phoenixfs stops now");
	if (again)
		plan_ctid(e, j->ctid);
	for (size_t i = 0; i < nreplan; i++)
		plan_ctid(e, replan[i]);
	free(replan);
}

/* Hold (or let go of) the source of the clone r is queued for, as a
 * running clone does (e->lock held). */
static void claim_source(struct phx_engine *e, struct ct_rec *r, bool claim)
{
	struct ct_rec *sr = r->clone_src ? rec_find(e, r->clone_src) : NULL;

	if (!sr)
		return;
	if (claim) {
		sr->clone_busy = true;
		rec_link(e, sr, &sr->clone_holder, r->ctid);
	} else if (sr->clone_busy && sr->clone_holder == r->ctid) {
		sr->clone_busy = false;
		rec_link(e, sr, &sr->clone_holder, 0);
		pthread_cond_broadcast(&e->work);
	}
}

static void *worker_main(void *arg)
{
	struct phx_engine *e = arg;

	pthread_mutex_lock(&e->lock);
	for (;;) {
		struct ct_rec *r = NULL;
		struct job j;
		int rc;

		while (!e->stopping && !(r = take(e)))
			pthread_cond_wait(&e->work, &e->lock);
		if (e->stopping)
			break;
		r->running = true;
		/* Another mount of the config may be on it: its work lock first
		 * (a file operation: without e->lock). The clone source is
		 * claimed meanwhile, so that no other clone from it is taken. */
		claim_source(e, r, true);
		{
			bool stolen = false;
			int got;

			pthread_mutex_unlock(&e->lock);
			got = mounts_take(e, r->ctid, &stolen);
			pthread_mutex_lock(&e->lock);
			if (!got) {
				/* left to the holder: the refresher looks again
				 * (mounts_apply) and drops or takes over the wants */
				r->running = false;
				claim_source(e, r, false);
				r->deferred = true;
				rec_link(e, r, &r->clone_src, 0);
				pthread_cond_broadcast(&e->work);
				rec_touch(e, r);
				continue;
			}
			if (stolen && (r->wants & W_BUILD))
				r->resume_build = true; /* finish what the dead holder left */
			if (e->stopping) {
				r->running = false;
				claim_source(e, r, false);
				pthread_mutex_unlock(&e->lock);
				{
					struct job none = { .ctid = r->ctid, .skipped = true };

					mounts_release(e, &none, 1);
				}
				pthread_mutex_lock(&e->lock);
				break;
			}
		}
		r->doing = r->wants;
		r->doing_keys = r->cfg_keys;
		r->wants = r->cfg_keys = 0;
		j.ctid = r->ctid;
		j.wants = r->doing;
		j.cfg_keys = r->doing_keys;
		j.clone_src = r->clone_src;
		j.from_file_only = !(j.wants & r->private_wants) &&
				   !(j.cfg_keys & r->private_keys) && !r->resume_build;
		j.skipped = false;
		j.entry_hash = 0;
		r->private_wants &= ~j.wants;
		r->private_keys &= ~j.cfg_keys;
		rec_link(e, r, &r->clone_src, 0);
		observe_job_start(e, r, &j);
		if (j.clone_src) {
			struct ct_rec *sr = rec_find(e, j.clone_src);

			if (sr) {
				sr->clone_busy = true;
				rec_link(e, sr, &sr->clone_holder, j.ctid);
			}
		}
		pthread_mutex_unlock(&e->lock);

		rc = job_run(e, &j);
		mounts_release(e, &j, rc); /* a failure is left beside it */
		finish(e, r, &j, rc);

		pthread_mutex_lock(&e->lock);
	}
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

int workers_start(struct phx_engine *e, char *err, size_t errlen)
{
	e->workers = calloc(e->jobs, sizeof(*e->workers));
	if (!e->workers) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (unsigned i = 0; i < e->jobs; i++) {
		int rc = pthread_create(&e->workers[i], NULL, worker_main, e);

		if (rc) {
			snprintf(err, errlen, "cannot start a worker thread: %s", strerror(rc));
			return -rc;
		}
		e->nworkers++;
	}
	return 0;
}

void workers_stop(struct phx_engine *e)
{
	for (unsigned i = 0; i < e->nworkers; i++)
		pthread_join(e->workers[i], NULL);
	free(e->workers);
	e->workers = NULL;
	e->nworkers = 0;
}
