/* Several mounts of one config (one per cluster node): exactly one of them
 * carries out a container's work at a time. Before a job a worker takes
 * the container's work lock (worklock.h) in the lock directory; a renewer
 * thread renews every held lock far inside the expiry and publishes the
 * holder's status line beside it (phoenixfs-CTID.status), so that every
 * mount shows the same state; the refresher looks at the other mounts'
 * locks before each listing:
 *  - a container whose lock another mount holds is left to it (deferred);
 *    when that mount lets go, what we had asked is dropped (it was done,
 *    or it failed: the holder leaves its failure beside the lock);
 *  - an expired lock (its mount stopped renewing it: killed, hung, cut
 *    off) is taken over, and the work resumes as after a restart.
 * Proxmox's VMID uniqueness is the last guard: a create of a taken id is
 * refused, and the container is then adopted (build.c). Locks are taken
 * and renewed by engine threads only, never by a FUSE operation, and no
 * file is touched with e->lock held. */
#include "backend/engine/engine_int.h"
#include "backend/engine/worklock.h"

#include "backend/log.h"

#include <dirent.h>
#include <signal.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PMXCFS_LOCK_TIMEOUT_S 120u /* pve-cluster memdb.h CFS_LOCK_TIMEOUT */

struct held_lock {
	uint32_t ctid;
	struct phx_worklock wl;
	bool taking;       /* being made: ours already for the scan, not
			      renewed yet */
	bool lost;
	char published[320];
	char before[640];  /* the status file as the lock was taken: the last
			      holder's "done" (mounts_done_elsewhere) */
};

struct scan_item {
	uint32_t ctid;
	int kind;          /* 1 held, 2 expired, 3 no lock but a failure left */
	char status[320];
};

struct mounts_scan {
	struct scan_item *v;
	size_t n, cap;
};

static void lock_name(uint32_t ctid, char *buf, size_t len)
{
	snprintf(buf, len, "phoenixfs-%u", ctid);
}

static char *status_path(struct phx_engine *e, uint32_t ctid)
{
	char *p = NULL;

	if (asprintf(&p, "%s/phoenixfs-%u.status", e->lock_dir, ctid) < 0)
		return NULL;
	return p;
}

/* The whole status file of ctid into buf ("" when none). */
static void read_status_file(struct phx_engine *e, uint32_t ctid, char *buf, size_t len)
{
	char *p = status_path(e, ctid);
	ssize_t n = -1;
	int fd;

	buf[0] = '\0';
	if (!p)
		return;
	fd = open(p, O_RDONLY | O_CLOEXEC);
	free(p);
	if (fd < 0)
		return;
	n = read(fd, buf, len - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
}

/* "STATUS\nholder ID\n": the first line into status, the holder into who. */
static void read_status(struct phx_engine *e, uint32_t ctid, char *status, size_t slen,
			char *who, size_t wlen)
{
	char buf[640], *nl;

	status[0] = '\0';
	if (who)
		who[0] = '\0';
	read_status_file(e, ctid, buf, sizeof(buf));
	nl = strchr(buf, '\n');
	if (!nl)
		return; /* none, or being written */
	*nl = '\0';
	snprintf(status, slen, "%s", buf);
	if (who && strncmp(nl + 1, "holder ", 7) == 0) {
		snprintf(who, wlen, "%s", nl + 8);
		who[strcspn(who, "\n")] = '\0';
	}
}

/* Written whole (temp and rename): a reader sees the old line or the new.
 * extra: a third line, or NULL. */
static int write_status(struct phx_engine *e, uint32_t ctid, const char *status,
			const char *extra)
{
	char *p = status_path(e, ctid), *tmp = NULL, buf[640];
	int fd, len, rc = 0;

	if (!p)
		return -ENOMEM;
	if (asprintf(&tmp, "%s.%ld.tmp", p, (long)getpid()) < 0) {
		free(p);
		return -ENOMEM;
	}
	len = snprintf(buf, sizeof(buf), "%s\nholder %s\n%s%s", status, e->holder_id,
		       extra ? extra : "", extra ? "\n" : "");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0 || write(fd, buf, (size_t)len) != len || close(fd) != 0 ||
	    rename(tmp, p) != 0) {
		rc = -errno;
		unlink(tmp);
	}
	free(tmp);
	free(p);
	return rc;
}

static void remove_status(struct phx_engine *e, uint32_t ctid)
{
	char *p = status_path(e, ctid);

	if (p)
		unlink(p);
	free(p);
}

/* Whether ctid's lock was last held by a process of this host that is gone
 * (this mount before a kill -9, or another mount of this host): no need to
 * wait for the expiry. */
static bool holder_dead_here(struct phx_engine *e, uint32_t ctid)
{
	char status[320], who[160], *colon;
	size_t hostlen = strcspn(e->holder_id, ":");
	long pid;

	read_status(e, ctid, status, sizeof(status), who, sizeof(who));
	colon = strrchr(who, ':');
	if (!colon || (size_t)(colon - who) != hostlen || strncmp(who, e->holder_id, hostlen))
		return false;
	pid = strtol(colon + 1, NULL, 10);
	return pid > 0 && pid != (long)getpid() && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* --- the renewer --- */

static unsigned tick_ms(struct phx_engine *e)
{
	unsigned ms = e->lock_expiry_s * 1000u / 4u;

	if (ms > e->refresh_ms)
		ms = e->refresh_ms;
	return ms < 100 ? 100 : ms;
}

static void renew_all(struct phx_engine *e)
{
	pthread_mutex_lock(&e->locks_mu);
	for (size_t i = 0; i < e->nheld; i++) {
		struct held_lock *h = &e->held[i];
		char why[512] = "", status[320] = "";
		struct ct_rec *r;
		int rc;

		if (h->lost || h->taking)
			continue;
		rc = phx_worklock_renew(&h->wl, why, sizeof(why));
		if (rc < 0 && rc != -ESTALE) {
			phx_warn("engine: %s (the lock expires after %u s)", why, e->lock_expiry_s);
			continue;
		}
		pthread_mutex_lock(&e->lock);
		r = rec_find(e, h->ctid);
		if (rc == -ESTALE) {
			h->lost = true;
			phx_warn("engine: the work lock %s is not ours any more: another mount "
				 "took it over; stopping the work on %u here", h->wl.path, h->ctid);
			if (r) {
				r->lock_lost = true;
				rec_note(e, r, "the work lock %s was taken over by another mount "
					 "(it expired): stopping the work on %u here", h->wl.path,
					 h->ctid);
			}
			pthread_cond_broadcast(&e->work); /* wakes a job's naps */
		} else if (r) {
			rec_status(r, status, sizeof(status));
		}
		pthread_mutex_unlock(&e->lock);
		if (rc == 0 && status[0] && strcmp(status, h->published) != 0 &&
		    write_status(e, h->ctid, status, NULL) == 0)
			snprintf(h->published, sizeof(h->published), "%s", status);
	}
	pthread_mutex_unlock(&e->locks_mu);
}

static void *renewer_main(void *arg)
{
	struct phx_engine *e = arg;

	for (;;) {
		double until = now_mono() + tick_ms(e) / 1000.0;
		bool stop;

		pthread_mutex_lock(&e->lock);
		while (!e->stopping && now_mono() < until) {
			struct timespec ts;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_nsec += 50 * 1000 * 1000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&e->refresh, &e->lock, &ts);
		}
		stop = e->stopping;
		pthread_mutex_unlock(&e->lock);
		if (stop)
			break;
		renew_all(e);
	}
	return NULL;
}

static char *default_lock_dir(const char *config)
{
	char *a = strdup(config), *b = strdup(config), *out = NULL;

	if (a && b && asprintf(&out, "%s/.%s.phoenixfs-locks", dirname(a), basename(b)) < 0)
		out = NULL;
	free(a);
	free(b);
	return out;
}

int mounts_start(struct phx_engine *e, const char *lock_dir, unsigned expiry_s,
		 char *err, size_t errlen)
{
	char host[64] = "";
	struct stat st;
	int rc;

	e->lock_expiry_s = expiry_s ? expiry_s : 120;
	if (!lock_dir && !e->config_path)
		return 0; /* one mount of nothing shared (unit tests) */
	e->lock_dir = lock_dir ? strdup(lock_dir) : default_lock_dir(e->config_path);
	if (!e->lock_dir) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (mkdir(e->lock_dir, 0700) != 0 && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "cannot make the lock directory %s: %s", e->lock_dir,
			 strerror(errno));
		return rc;
	}
	if (stat(e->lock_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "lock_dir=%s: not a directory", e->lock_dir);
		return -ENOTDIR;
	}
	e->lock_pmxcfs = phx_worklock_dir_is_pmxcfs(e->lock_dir);
	/* pmxcfs frees a lock after its own 120 s (CFS_LOCK_TIMEOUT), never
	 * sooner: a longer expiry would renew too seldom */
	if (e->lock_pmxcfs && e->lock_expiry_s > PMXCFS_LOCK_TIMEOUT_S)
		e->lock_expiry_s = PMXCFS_LOCK_TIMEOUT_S;
	gethostname(host, sizeof(host) - 1);
	snprintf(e->holder_id, sizeof(e->holder_id), "%s:%ld", host, (long)getpid());
	rc = pthread_create(&e->renewer, NULL, renewer_main, e);
	if (rc) {
		snprintf(err, errlen, "cannot start the lock renewer: %s", strerror(rc));
		return -rc;
	}
	e->renewer_started = true;
	phx_info("engine: work locks in %s (%s, expire after %u s)", e->lock_dir,
		 e->lock_pmxcfs ? "pmxcfs" : "judged by their mtime", e->lock_expiry_s);
	return 0;
}

void mounts_stop(struct phx_engine *e)
{
	if (e->renewer_started)
		pthread_join(e->renewer, NULL);
	e->renewer_started = false;
	for (size_t i = 0; i < e->nheld; i++)
		phx_worklock_free(&e->held[i].wl);
	free(e->held);
	e->held = NULL;
	e->nheld = 0;
	free(e->lock_dir);
	e->lock_dir = NULL;
}

/* --- taking and letting go --- */

/* The slot of ctid in e->held (locks_mu held), or -1. */
static ssize_t held_slot(struct phx_engine *e, uint32_t ctid)
{
	for (size_t i = 0; i < e->nheld; i++)
		if (e->held[i].ctid == ctid)
			return (ssize_t)i;
	return -1;
}

int mounts_take(struct phx_engine *e, uint32_t ctid, bool *stolen)
{
	struct phx_worklock wl;
	char name[32], why[512] = "", status[320], who[160];
	struct ct_rec *r;
	ssize_t slot;
	int rc;

	*stolen = false;
	if (!e->lock_dir)
		return 1;
	/* in the table before the mkdir, so that a scan meanwhile does not
	 * take our own lock for another mount's */
	pthread_mutex_lock(&e->locks_mu);
	if (e->nheld == e->capheld) {
		size_t c = e->capheld ? e->capheld * 2 : 8;
		struct held_lock *t = realloc(e->held, c * sizeof(*t));

		if (!t) {
			pthread_mutex_unlock(&e->locks_mu);
			rc = -ENOMEM;
			snprintf(why, sizeof(why), "out of memory");
			goto refused;
		}
		e->held = t;
		e->capheld = c;
	}
	memset(&e->held[e->nheld], 0, sizeof(e->held[0]));
	e->held[e->nheld].ctid = ctid;
	e->held[e->nheld].taking = true;
	e->held[e->nheld].wl.fd = -1;
	e->nheld++;
	pthread_mutex_unlock(&e->locks_mu);

	lock_name(ctid, name, sizeof(name));
	if (!holder_dead_here(e, ctid))
		rc = phx_worklock_take(&wl, e->lock_dir, name, e->lock_expiry_s, e->lock_pmxcfs,
				       why, sizeof(why));
	else if (e->lock_pmxcfs)
		rc = phx_worklock_adopt(&wl, e->lock_dir, name, why, sizeof(why));
	else /* expired as soon as it is not renewed this second */
		rc = phx_worklock_take(&wl, e->lock_dir, name, 0, false, why, sizeof(why));
	pthread_mutex_lock(&e->locks_mu);
	slot = held_slot(e, ctid);
	if (rc == 1 && slot >= 0) {
		e->held[slot].wl = wl;
		e->held[slot].taking = false;
	} else if (slot >= 0) {
		e->held[slot] = e->held[--e->nheld];
	}
	pthread_mutex_unlock(&e->locks_mu);
	if (rc == 1) {
		char before[640];

		*stolen = wl.stolen;
		read_status_file(e, ctid, before, sizeof(before));
		pthread_mutex_lock(&e->locks_mu);
		slot = held_slot(e, ctid);
		if (slot >= 0)
			memcpy(e->held[slot].before, before, sizeof(before));
		pthread_mutex_unlock(&e->locks_mu);
		/* who holds it, at once: a mount of this host that finds its
		 * holder gone need not wait for the expiry */
		write_status(e, ctid, "queued: a worker is starting it", NULL);
		pthread_mutex_lock(&e->lock);
		r = rec_find(e, ctid);
		if (r) {
			r->lock_lost = false;
			r->deferred = false;
			r->remote_held = false;
			r->remote_status[0] = '\0';
			if (wl.stolen)
				rec_note(e, r, "took over the work lock %s from a mount that stopped "
					 "renewing it (expired after %u s): resuming its work",
					 wl.path, e->lock_expiry_s);
		}
		pthread_mutex_unlock(&e->lock);
		return 1;
	}
	phx_worklock_free(&wl);
refused:
	read_status(e, ctid, status, sizeof(status), who, sizeof(who));
	pthread_mutex_lock(&e->lock);
	if (rc == 0)
		e->peers_seen = true;
	r = rec_find(e, ctid);
	if (r) {
		r->lock_lost = false;
		if (!r->deferred) {
			if (rc < 0)
				rec_note(e, r, "cannot take the work lock of %u: %s; trying again "
					 "at the next refresh", ctid, why);
			else
				rec_note(e, r, "another mount (%s) holds the work lock of %u: its "
					 "work is left to it", who[0] ? who : "not yet known", ctid);
		}
	}
	if (r && rc == 0 && status[0]) {
		snprintf(r->remote_status, sizeof(r->remote_status), "%s", status);
		r->remote_held = true;
	}
	pthread_mutex_unlock(&e->lock);
	return 0;
}

void mounts_release(struct phx_engine *e, const struct job *j, int rc)
{
	struct held_lock h;
	char failed[600] = "", done[96];
	bool found = false;
	struct ct_rec *r;

	if (!e->lock_dir)
		return;
	pthread_mutex_lock(&e->lock);
	r = rec_find(e, j->ctid);
	if (r && rc < 0 && r->failed)
		snprintf(failed, sizeof(failed), "failed: %s", r->reason);
	pthread_mutex_unlock(&e->lock);
	snprintf(done, sizeof(done), "entry %016llx %x %x %lld", (unsigned long long)j->entry_hash,
		 j->wants, j->cfg_keys, (long long)time(NULL));
	pthread_mutex_lock(&e->locks_mu);
	{
		ssize_t i = held_slot(e, j->ctid);

		if (i >= 0) {
			h = e->held[i];
			e->held[i] = e->held[--e->nheld];
			found = true;
		}
	}
	/* A failure stays beside the lock for the other mounts to show; a
	 * job done says for which entry and wants (mounts_done_elsewhere);
	 * one skipped or stopped leaves what was there. */
	if (found && !h.lost && !j->skipped) {
		if (failed[0])
			write_status(e, j->ctid, failed, NULL);
		else if (rc == 0)
			write_status(e, j->ctid, "done", done);
		else
			remove_status(e, j->ctid);
	}
	pthread_mutex_unlock(&e->locks_mu);
	if (found)
		phx_worklock_free(&h.wl);
}

uint64_t mounts_entry_hash(json_object *entry)
{
	const char *t = entry ? json_object_to_json_string_ext(entry, JSON_C_TO_STRING_PLAIN) : "";
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *t; t++) {
		h ^= (unsigned char)*t;
		h *= 1099511628211ULL;
	}
	return h;
}

bool mounts_done_elsewhere(struct phx_engine *e, const struct job *j)
{
	char buf[640], *line;
	unsigned long long hash;
	unsigned wants, keys;
	long long when;
	struct ct_rec *r;
	ssize_t slot;
	bool facts_agree;

	if (!e->lock_dir)
		return false;
	pthread_mutex_lock(&e->locks_mu);
	slot = held_slot(e, j->ctid);
	if (slot >= 0)
		memcpy(buf, e->held[slot].before, sizeof(buf));
	pthread_mutex_unlock(&e->locks_mu);
	if (slot < 0)
		return false;
	if (strncmp(buf, "done\n", 5) != 0 || !(line = strstr(buf, "\nentry ")))
		return false;
	if (sscanf(line + 7, "%llx %x %x %lld", &hash, &wants, &keys, &when) != 4)
		return false;
	/* Only another mount's: this mount knows its own state better (a
	 * feature taken off the list and put back changed what it ran, not
	 * the entry), and the mount that wrote the line never skips, so a
	 * change asked of all is done at least once. */
	{
		char mine[200];

		snprintf(mine, sizeof(mine), "\nholder %s\n", e->holder_id);
		if (strstr(buf, mine))
			return false;
	}
	/* The file's change reaches every mount within a second or two: a
	 * "done" older than a lock's life is not about this change. And the
	 * backend must still say what that job made. */
	if (llabs((long long)time(NULL) - when) > (long long)e->lock_expiry_s)
		return false;
	pthread_mutex_lock(&e->lock);
	r = rec_find(e, j->ctid);
	facts_agree = r && (!(j->wants & (W_BUILD | W_CONVERT | W_CONFIG | W_START)) ||
			    r->exists) &&
		      (!(j->wants & W_CONVERT) || r->template_ == 1);
	pthread_mutex_unlock(&e->lock);
	return facts_agree && hash == j->entry_hash && !(j->wants & ~wants) &&
	       !(j->cfg_keys & ~keys);
}

/* --- what the other mounts hold --- */

static int item_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct scan_item *)a)->ctid, y = ((const struct scan_item *)b)->ctid;

	return x < y ? -1 : x > y;
}

static bool held_here(struct phx_engine *e, uint32_t ctid)
{
	bool b = false;

	pthread_mutex_lock(&e->locks_mu);
	for (size_t i = 0; i < e->nheld && !b; i++)
		b = e->held[i].ctid == ctid && !e->held[i].lost; /* taking counts */
	pthread_mutex_unlock(&e->locks_mu);
	return b;
}

/* One item per name found: a container's lock and its status file are two
 * (merged once sorted, scan_merge: a search per name made the scan
 * quadratic in the containers any mount ever worked on). */
static struct scan_item *scan_add(struct mounts_scan *sc, uint32_t ctid)
{
	if (sc->n == sc->cap) {
		size_t c = sc->cap ? sc->cap * 2 : 16;
		struct scan_item *t = realloc(sc->v, c * sizeof(*t));

		if (!t)
			return NULL;
		sc->v = t;
		sc->cap = c;
	}
	memset(&sc->v[sc->n], 0, sizeof(sc->v[0]));
	sc->v[sc->n].ctid = ctid;
	return &sc->v[sc->n++];
}

/* Sort, and fold each container's lock and status items into one that
 * keeps the lock's kind. */
static void scan_merge(struct mounts_scan *sc)
{
	size_t out = 0;

	if (!sc->n) /* v is NULL when the directory held none */
		return;
	qsort(sc->v, sc->n, sizeof(*sc->v), item_cmp);
	for (size_t i = 0; i < sc->n; i++) {
		if (out && sc->v[out - 1].ctid == sc->v[i].ctid) {
			if (sc->v[i].kind)
				sc->v[out - 1].kind = sc->v[i].kind;
			continue;
		}
		if (out != i)
			sc->v[out] = sc->v[i];
		out++;
	}
	sc->n = out;
}

struct mounts_scan *mounts_scan(struct phx_engine *e)
{
	struct mounts_scan *sc;
	struct dirent *de;
	DIR *d;

	if (!e->lock_dir || !(sc = calloc(1, sizeof(*sc))))
		return NULL;
	d = opendir(e->lock_dir);
	if (!d)
		return sc;
	while ((de = readdir(d))) {
		unsigned long id;
		char *end, name[32];
		struct scan_item *it;
		bool is_status;

		if (strncmp(de->d_name, "phoenixfs-", 10) != 0)
			continue;
		errno = 0;
		id = strtoul(de->d_name + 10, &end, 10);
		if (errno || end == de->d_name + 10 || id == 0 || id > 999999999UL)
			continue;
		is_status = strcmp(end, ".status") == 0;
		if (*end && !is_status)
			continue;
		if (held_here(e, (uint32_t)id))
			continue;
		it = scan_add(sc, (uint32_t)id);
		if (!it)
			break;
		if (!is_status) {
			lock_name((uint32_t)id, name, sizeof(name));
			it->kind = phx_worklock_peek(e->lock_dir, name, e->lock_expiry_s);
		}
	}
	closedir(d);
	scan_merge(sc);
	for (size_t i = 0; i < sc->n; i++)
		if (sc->v[i].kind == 1 && holder_dead_here(e, sc->v[i].ctid))
			sc->v[i].kind = 2; /* its process is gone: expired now */
	for (size_t i = 0; i < sc->n; i++) {
		struct scan_item *it = &sc->v[i];

		read_status(e, it->ctid, it->status, sizeof(it->status), NULL, 0);
		if (it->kind == 0 && strncmp(it->status, "failed: ", 8) == 0)
			it->kind = 3;
	}
	return sc;
}

/* Add k ids to the list of containers to plan again once the lock is let
 * go (planning takes it). Out of memory drops them, as planning itself
 * could not go on then either. */
static void ids_append(uint32_t **list, size_t *n, const uint32_t *ids, size_t k)
{
	uint32_t *t;

	if (!k)
		return;
	t = realloc(*list, (*n + k) * sizeof(*t));
	if (!t)
		return;
	memcpy(t + *n, ids, k * sizeof(*ids));
	*list = t;
	*n += k;
}

void mounts_apply(struct phx_engine *e, struct mounts_scan *sc)
{
	uint32_t *replan = NULL;
	size_t nreplan = 0;

	if (!sc)
		return;
	pthread_mutex_lock(&e->lock);
	for (size_t b = 0; b < e->nbuckets; b++)
		for (struct ct_rec *r = e->buckets[b]; r; r = r->hnext) {
			struct scan_item key = { .ctid = r->ctid }, *it;
			const char *shown;
			bool held;

			it = sc->n ? bsearch(&key, sc->v, sc->n, sizeof(*sc->v), item_cmp) : NULL;
			if (it && it->kind == 0)
				it = NULL; /* a status file of a lock let go: nothing */
			held = it && it->kind == 1;
			if (it && it->kind != 3)
				e->peers_seen = true;
			shown = it && it->kind != 2 ? it->status : "";
			if (held != r->remote_held || strcmp(shown, r->remote_status) != 0) {
				r->remote_held = held;
				snprintf(r->remote_status, sizeof(r->remote_status), "%s", shown);
				rec_touch(e, r);
			}
			if (it && it->kind == 2 && (r->wants & W_BUILD) && !r->running)
				r->resume_build = true; /* its builder died: finish what it left */
			if (!r->deferred || held)
				continue;
			r->deferred = false;
			if (it && it->kind == 2) {
				rec_note(e, r, "the work lock of %u expired (its mount stopped "
					 "renewing it): taking its work over", r->ctid);
			} else if (it && it->kind == 3) {
				unsigned w = r->wants;

				rec_fail(e, r, it->status + 8, NULL);
				r->failed_wants = w;
				journal_dirty(e);
				{
					uint32_t *none; /* a failure fails its waiters: none to replan */

					(void)release_waiters(e, r, false, &none);
				}
				rec_touch(e, r);
				continue;
			} else {
				rec_note(e, r, "the other mount let go of %u: what the file asks "
					 "of it is done there", r->ctid);
				/* what only this mount was asked (ctl, drift put
				 * back) is still to do, here */
				r->wants &= r->private_wants;
				r->cfg_keys &= r->private_keys;
				if (r->wants)
					ids_append(&replan, &nreplan, &r->ctid, 1);
				r->resume_build = false;
				journal_dirty(e);
				/* its waiters go on once nothing they wait for is
				 * left to do here (as at the end of a job) */
				if (!(r->wants & W_PROVIDES)) {
					uint32_t *more = NULL;
					size_t k = release_waiters(e, r, true, &more);

					ids_append(&replan, &nreplan, more, k);
					free(more);
				}
				rec_touch(e, r);
				continue;
			}
			ids_append(&replan, &nreplan, &r->ctid, 1);
			rec_touch(e, r);
		}
	pthread_mutex_unlock(&e->lock);
	free(sc->v);
	free(sc);
	journal_sync(e);
	for (size_t i = 0; i < nreplan; i++)
		plan_ctid(e, replan[i]);
	free(replan);
}

void mounts_check_backend(struct phx_engine *e, uint32_t ctid)
{
	struct phx_guest_list list = { 0 };
	struct phx_err err = { 0 };
	struct ct_rec *r;
	bool ask;

	pthread_mutex_lock(&e->lock);
	r = rec_find(e, ctid);
	ask = e->lock_dir && r && !r->exists && (e->peers_seen || r->resume_build);
	pthread_mutex_unlock(&e->lock);
	if (!ask || e->drv->ops->list_guests(e->drv->ctx, &list, &err) < 0)
		return; /* the create's "already exists" is the last guard */
	for (size_t i = 0; i < list.n; i++) {
		const struct phx_guest *g = &list.v[i];

		if (g->vmid != ctid || strcmp(g->type, "lxc") != 0)
			continue;
		pthread_mutex_lock(&e->lock);
		r = rec_find(e, ctid);
		if (r && !r->exists) {
			r->exists = true;
			snprintf(r->node, sizeof(r->node), "%s", g->node);
			snprintf(r->lock, sizeof(r->lock), "%s", g->lock);
			if (g->template_ == 1)
				r->template_ = 1;
			rec_note(e, r, "%u exists already on %s (made by another mount of the "
				 "config): finishing it, not making it again", ctid, g->node);
			/* whatever that mount left undone is finished */
			r->resume_build = true;
		}
		pthread_mutex_unlock(&e->lock);
		break;
	}
	phx_guest_list_free(&list);
}
