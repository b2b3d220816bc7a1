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
 *
 * One journal per mount. Several mounts of one config (two mount points,
 * two hosts on a shared directory) each rewrite their whole set, so one
 * shared file would keep only the last writer's: mount A's accepted 300
 * vanished when B journaled 301. Each mount writes its own file, named by
 * host and mount point (stable across restarts, so a remount finds its
 * own), and holds flock on a lock file beside it while it runs. A mount
 * that starts takes over the journals whose lock nobody holds (their
 * mount is not running: killed, or gone for good): it adds their requests
 * to its own, writes its own, and only then removes theirs, so a crash in
 * between resumes a request twice (harmless: a want is a state to reach)
 * but never loses one. Lock files are never removed: removing one while
 * another process opens it would let two mounts both hold "the" lock.
 */
#include "backend/engine/engine_int.h"

#include "backend/atomic_file.h"
#include "backend/engine/params.h"
#include "backend/schema.h"
#include "backend/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

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

/* Add the requests of a journal's "pending" list to the records. Caller
 * holds e->lock. Returns how many were added. */
static size_t merge_pending(struct phx_engine *e, json_object *pending, const char *note)
{
	size_t n = json_object_array_length(pending), added = 0;
	json_object *v;

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
		/* which of them were read from the file is not kept: none is
		 * left to another mount as done (mounts.c) */
		r->private_wants |= wants;
		r->private_keys |= keys;
		if (json_object_object_get_ex(o, "features", &v) &&
		    json_object_is_type(v, json_type_string))
			snprintf(r->hooks_pending, sizeof(r->hooks_pending), "%s",
				 json_object_get_string(v));
		if (wants & W_BUILD)
			r->resume_build = true;
		rec_note(e, r, "%s", note);
		added++;
	}
	return added;
}

/* A journal's "pending" list: 0 and *root (to put), 1 when there is no
 * journal, or -EINVAL with why. */
static int read_journal(const char *path, json_object **root, json_object **pending,
			char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");

	*root = NULL;
	if (!f)
		return 1; /* no journal: nothing unfinished */
	fclose(f);
	*root = json_object_from_file(path);
	if (!*root) {
		/* Written only by atomic rename, so this is someone else's
		 * damage: refuse rather than silently forget requests. */
		snprintf(err, errlen, "the engine journal %s is not valid JSON; "
			 "move it away to start without the requests it holds", path);
		return -EINVAL;
	}
	if (!json_object_object_get_ex(*root, "pending", pending) ||
	    !json_object_is_type(*pending, json_type_array)) {
		json_object_put(*root);
		*root = NULL;
		snprintf(err, errlen, "the engine journal %s has no \"pending\" list", path);
		return -EINVAL;
	}
	return 0;
}

/* Lock a journal's lock file: the mark of a running mount. wait_ms 0
 * tries once. Returns the descriptor, or -1 (held by a running mount, or
 * the lock file cannot be made; errno says which). */
static int lock_journal(const char *journal, int wait_ms)
{
	char *path = NULL;
	int fd;

	if (asprintf(&path, "%s.lock", journal) < 0)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(path);
	if (fd < 0)
		return -1;
	for (int waited = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; waited += 50) {
		if (errno != EWOULDBLOCK || waited >= wait_ms) {
			int e = errno;

			close(fd);
			errno = e;
			return -1;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000 * 1000 }, NULL);
	}
	return fd;
}

/* The journals of other mounts of the same config: the legacy one-file name
 * (base) and base@*, where base is ours without its "@host-id". */
static bool other_journal(const char *own_name, size_t base_len, const char *name)
{
	size_t n = strlen(name);

	if (strcmp(name, own_name) == 0 || strncmp(name, own_name, base_len) != 0)
		return false;
	if (n == base_len)
		return true; /* the name from before journals were per mount */
	return name[base_len] == '@' && !(n > 5 && strcmp(name + n - 5, ".lock") == 0);
}

/* Take over one journal whose mount is not running. */
static void take_over(struct phx_engine *e, const char *path)
{
	json_object *root, *pending;
	char err[512], note[600];
	size_t added;
	int fd = lock_journal(path, 0), rc;

	if (fd < 0)
		return; /* its mount is running (or the lock cannot be made): its own */
	rc = read_journal(path, &root, &pending, err, sizeof(err));
	if (rc != 0) {
		if (rc < 0)
			phx_err("engine: not taking over %s", err);
		close(fd);
		return; /* gone (another mount took it first), or damaged */
	}
	snprintf(note, sizeof(note), "resuming the work accepted by another mount of this "
		 "config that is not running any more (%s)", path);
	pthread_mutex_lock(&e->lock);
	added = merge_pending(e, pending, note);
	journal_dirty(e);
	pthread_mutex_unlock(&e->lock);
	json_object_put(root);
	/* ours on disk first: only then may theirs go */
	if (journal_sync(e) < 0) {
		phx_err("engine: keeping %s: our journal could not be written", path);
	} else if (unlink(path) < 0) {
		phx_err("engine: took over %s but cannot remove it: %s", path, strerror(errno));
	} else {
		phx_info("engine: took over %zu unfinished request(s) from %s, "
			 "a mount of this config that is not running", added, path);
	}
	close(fd);
}

/* Call fn for every journal of another mount of the config whose journal
 * is own; stops at and returns fn's first non-zero result. */
static int for_each_other(const char *own_path, int (*fn)(const char *path, void *arg), void *arg)
{
	char *dcopy = strdup(own_path), *bcopy = strdup(own_path);
	const char *dir, *own, *at;
	struct dirent *de;
	int rc = 0;
	DIR *d;

	if (!dcopy || !bcopy)
		goto out;
	dir = dirname(dcopy);
	own = basename(bcopy);
	at = strrchr(own, '@');
	if (!(d = opendir(dir)))
		goto out;
	while (rc == 0 && (de = readdir(d))) {
		char *path = NULL;

		if (!other_journal(own, at ? (size_t)(at - own) : strlen(own), de->d_name) ||
		    asprintf(&path, "%s/%s", dir, de->d_name) < 0)
			continue;
		rc = fn(path, arg);
		free(path);
	}
	closedir(d);
out:
	free(dcopy);
	free(bcopy);
	return rc;
}

static int take_over_fn(const char *path, void *arg)
{
	take_over(arg, path);
	return 0;
}

/* How long a start waits for the previous process of the same mount (the
 * same host and mount point) to let go of its journal. */
#define OWN_LOCK_WAIT_MS 10000

int journal_load(struct phx_engine *e, char *err, size_t errlen)
{
	json_object *root, *pending;
	int rc;

	if (!e->journal_path)
		return 0;
	e->journal_lockfd = lock_journal(e->journal_path, OWN_LOCK_WAIT_MS);
	if (e->journal_lockfd < 0 && errno == EWOULDBLOCK) {
		snprintf(err, errlen, "the engine journal %s is held by another running "
			 "phoenixfs of the same mount point", e->journal_path);
		return -EBUSY;
	}
	/* No lock file (a read-only directory: the journal cannot be written
	 * either, which every request then says): run as before, unmarked. */
	if (e->journal_lockfd < 0)
		phx_warn("engine: cannot lock the journal %s: %s; another mount of this "
			 "config may take its requests over", e->journal_path, strerror(errno));
	e->journal_locked = e->journal_lockfd >= 0;
	rc = read_journal(e->journal_path, &root, &pending, err, errlen);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&e->lock);
	if (rc == 0) {
		json_object *v;

		merge_pending(e, pending, "resuming the work accepted before the last stop");
		/* Containers `ctl stop` asked to stay stopped: not drift, not
		 * started by reconcile=apply. */
		if (json_object_object_get_ex(root, "held_stopped", &v) &&
		    json_object_is_type(v, json_type_array))
			for (size_t k = 0; k < json_object_array_length(v); k++) {
				int64_t ctid = json_object_get_int64(json_object_array_get_idx(v, k));
				struct ct_rec *r;

				if (ctid >= 100 && ctid <= 999999999 && (r = rec_get(e, (uint32_t)ctid)))
					r->hold_stopped = true;
			}
	}
	/* Written back as soon as anything changes; until then the file on
	 * disk already says the same. */
	e->journal_written = e->journal_seq;
	pthread_mutex_unlock(&e->lock);
	json_object_put(root);
	for_each_other(e->journal_path, take_over_fn, e);
	return 0;
}

void journal_release(struct phx_engine *e)
{
	if (e->journal_locked)
		close(e->journal_lockfd);
	e->journal_locked = false;
}

char *phx_engine_journal_for_mount(const char *config, const char *mountpoint)
{
	char *dcopy = strdup(config), *bcopy = strdup(config), *out = NULL;
	char host[256] = "localhost";
	uint64_t h = 14695981039346656037ull; /* FNV-1a */
	int rc;

	if (!dcopy || !bcopy)
		goto out;
	if (!mountpoint) {
		rc = asprintf(&out, "%s/.%s.phoenixfs-journal", dirname(dcopy), basename(bcopy));
		goto done;
	}
	if (gethostname(host, sizeof(host) - 1) < 0)
		snprintf(host, sizeof(host), "localhost");
	for (char *c = host; *c; c++)
		if (*c == '/' || *c == '@')
			*c = '_';
	/* the mount point hashed: any path fits in a file name this way */
	for (const char *c = host; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ull;
	h = (h ^ ':') * 1099511628211ull;
	for (const char *c = mountpoint; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ull;
	rc = asprintf(&out, "%s/.%s.phoenixfs-journal@%.64s-%016llx", dirname(dcopy),
		      basename(bcopy), host, (unsigned long long)h);
done:
	if (rc < 0)
		out = NULL;
out:
	free(dcopy);
	free(bcopy);
	return out;
}

/* The checks of journal_load without loading, for the mount to run before
 * it mounts (the engine starts only after fuse_daemonize, when a refusal
 * would make the mount appear and vanish): a journal that is there and
 * unreadable refuses the mount. */
struct check_arg {
	char *err;
	size_t errlen;
};

/* Another mount's journal this one would take over must be readable too:
 * a damaged one refuses the mount as our own does (its requests would
 * otherwise be forgotten without a word). A running mount's is its own. */
static int check_other(const char *path, void *arg)
{
	struct check_arg *c = arg;
	json_object *root, *pending;
	int fd = lock_journal(path, 0), rc;

	if (fd < 0)
		return 0;
	rc = read_journal(path, &root, &pending, c->err, c->errlen);
	json_object_put(root);
	close(fd);
	return rc < 0 ? rc : 0;
}

int phx_engine_journal_check(const char *path, char *err, size_t errlen)
{
	struct check_arg c = { err, errlen };
	json_object *root, *pending;
	int rc;

	if (!path)
		return 0;
	rc = read_journal(path, &root, &pending, err, errlen);
	json_object_put(root);
	if (rc < 0)
		return rc;
	return for_each_other(path, check_other, &c);
}
