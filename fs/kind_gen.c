/* Generated files: what the mount shows of the engine's state. Each is a
 * row of a table, like pmxcfs's function plugs: a name, a mode, and how
 * its content is made (rendered whole, read as a stream, or written as a
 * command). A container's files and the root's files are two tables of the
 * same rows. Rendering never touches the backend. */
#include "fs/kind.h"
#include "fs/pcache.h"

#include "backend/chain.h"
#include "backend/events.h"
#include "backend/fleet_view.h"
#include "backend/log.h"
#include "backend/metrics.h"
#include "fs/commit.h"
#include "fs/handle.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <fuse_lowlevel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct genfile {
	const char *name;
	mode_t mode;
	/* the content, whole: for the size in stat and for reads */
	int (*render)(struct phx_fs *fs, uint32_t ctid, struct strbuf *out);
	/* content that is not rendered whole (size 0 in stat) */
	int (*open)(struct phx_fs *fs, struct phx_handle *h);
	ssize_t (*read)(struct phx_fs *fs, struct phx_handle *h, char *buf, size_t size,
			off_t off);
	int (*write)(struct phx_fs *fs, struct phx_handle *h, const char *buf, size_t size);
	bool counters; /* changes with no container's change (pcache.c) */
};

/* A blocked reader (wait, events) ends when its request is interrupted
 * (Ctrl-C) and when the mount is shutting down (SIGTERM, SIGINT, SIGHUP):
 * libfuse's loop joins every worker before it returns, so one reader still
 * blocked would keep the mount up, answering nothing. */
static bool shutting_down(void)
{
	struct fuse_context *ctx = fuse_get_context();

	return ctx && ctx->fuse && fuse_session_exited(fuse_get_session(ctx->fuse));
}

static bool interrupted(void)
{
	return fuse_interrupted() != 0 || shutting_down();
}

static void add_line(struct strbuf *b, const char *s)
{
	size_t n = strlen(s);

	strbuf_add(b, s, n);
	if (n > 0 && s[n - 1] != '\n')
		strbuf_add(b, "\n", 1);
}

/* --- a container's files --- */

static int render_status(struct phx_fs *fs, uint32_t ctid, struct strbuf *out)
{
	char status[1024];

	phx_engine_status(fs->engine, ctid, status, sizeof(status));
	add_line(out, status);
	return 0;
}

static int render_error(struct phx_fs *fs, uint32_t ctid, struct strbuf *out)
{
	char *e = phx_engine_error(fs->engine, ctid);

	if (!e)
		return -ENOMEM;
	add_line(out, e);
	free(e);
	return 0;
}

static int render_log(struct phx_fs *fs, uint32_t ctid, struct strbuf *out)
{
	char *s = phx_engine_log(fs->engine, ctid);

	if (!s)
		return -ENOMEM;
	strbuf_adds(out, s);
	free(s);
	return 0;
}

static int render_drift(struct phx_fs *fs, uint32_t ctid, struct strbuf *out)
{
	char *s = phx_engine_drift(fs->engine, ctid);

	if (!s)
		return -ENOMEM;
	if (s[0])
		add_line(out, s);
	free(s);
	return 0;
}

/* wait: blocks until the container has settled, then its status line; a
 * build that failed reads as EIO so that `cat wait` exits non-zero. */
static ssize_t read_wait(struct phx_fs *fs, struct phx_handle *h, char *buf, size_t size,
			 off_t off)
{
	ssize_t n = 0;

	if (off == 0) {
		/* Blocks only this request's thread; the loop starts more
		 * threads for everyone else (max_threads is raised in main). */
		char status[1024];
		bool failed = false;
		int rc;

		if (__atomic_add_fetch(&fs->waiters, 1, __ATOMIC_RELAXED) <= fs->max_waiters) {
			rc = phx_engine_wait(fs->engine, h->node.ctid, interrupted, status,
					     sizeof(status));
			__atomic_sub_fetch(&fs->waiters, 1, __ATOMIC_RELAXED);
		} else {
			/* Every thread but the few kept free is blocked in wait
			 * already: one more would leave the mount unable to
			 * answer anything. A settled container still answers. */
			__atomic_sub_fetch(&fs->waiters, 1, __ATOMIC_RELAXED);
			if (!phx_engine_settled(fs->engine, h->node.ctid, status, sizeof(status),
						&failed)) {
				phx_warn("%u/wait: %u readers of wait block already (max_threads): "
					 "refused with EAGAIN", h->node.ctid, fs->max_waiters);
				return -EAGAIN;
			}
			rc = failed ? -EIO : 0;
		}
		if (rc == -EINTR)
			return -EINTR;
		pthread_mutex_lock(&h->lock);
		free(h->snap);
		h->snaplen = strlen(status) + 1;
		h->snap = malloc(h->snaplen + 1);
		if (h->snap)
			snprintf(h->snap, h->snaplen + 1, "%s\n", status);
		h->have_snap = h->snap != NULL;
		pthread_mutex_unlock(&h->lock);
		if (rc < 0)
			return rc; /* settled failed: EIO, so cat exits non-zero */
	}
	pthread_mutex_lock(&h->lock);
	if (h->have_snap && (size_t)off < h->snaplen) {
		n = (ssize_t)(h->snaplen - (size_t)off < size ? h->snaplen - (size_t)off : size);
		memcpy(buf, h->snap + off, (size_t)n);
	}
	pthread_mutex_unlock(&h->lock);
	return n;
}

static int write_ctl(struct phx_fs *fs, struct phx_handle *h, const char *buf, size_t size)
{
	char cmd[64], err[1024] = "";
	const char *s = buf;
	size_t len = phx_trim(&s, size);
	int rc;

	if (len == 0 || len >= sizeof(cmd)) {
		snprintf(err, sizeof(err), "ctl: '%.*s' is not a command (create, start, stop, restart, retry, destroy, refresh)",
			 (int)(len > 40 ? 40 : len), s);
		phx_refused(fs, &h->node, -EINVAL, err);
		return -EINVAL;
	}
	memcpy(cmd, s, len);
	cmd[len] = '\0';
	/* the engine records its own refusals in error and log */
	rc = phx_engine_ctl(fs->engine, h->node.ctid, cmd, err, sizeof(err));
	return rc < 0 ? rc : (int)size;
}

static const struct genfile ct_files[] = {
	{ .name = "status", .mode = 0444, .render = render_status },
	{ .name = "error", .mode = 0444, .render = render_error },
	{ .name = "log", .mode = 0444, .render = render_log },
	{ .name = "wait", .mode = 0444, .read = read_wait },
	{ .name = "ctl", .mode = 0200, .write = write_ctl },
	{ .name = "drift", .mode = 0444, .render = render_drift },
};

/* --- the root's files --- */

/* The state word of a container ("running" of "running", "queued" of
 * "queued: waiting for 900"). */
static void state_word(struct phx_fs *fs, uint32_t ctid, char *buf, size_t len)
{
	phx_engine_status(fs->engine, ctid, buf, len);
	buf[strcspn(buf, ":")] = '\0';
}

static int render_root_status(struct phx_fs *fs, uint32_t ctid, struct strbuf *out)
{
	uint32_t *ids;
	ssize_t n = phx_all_ctids(fs, &ids);

	(void)ctid;
	if (n < 0)
		return (int)n;
	for (ssize_t i = 0; i < n; i++) {
		char status[512], name[130] = "-";
		json_object *entry, *v;

		state_word(fs, ids[i], status, sizeof(status));
		phx_doc_rdlock(fs->doc);
		entry = phx_doc_entry(fs->doc, ids[i]);
		if (entry && json_object_object_get_ex(entry, "name", &v) &&
		    json_object_is_type(v, json_type_string) && json_object_get_string_len(v) > 0)
			snprintf(name, sizeof(name), "%s", json_object_get_string(v));
		phx_doc_unlock(fs->doc);
		strbuf_addf(out, "%u %s %s\n", ids[i], status, name);
	}
	free(ids);
	return 0;
}

/* The engine's own state words, so that every state has a gauge line (a
 * state no container is in reads 0, which is what Prometheus expects). */
static const char *const state_words[] = {
	"absent", "queued", "creating", "cloning", "configuring", "starting", "stopping",
	"converting", "destroying", "stopped", "running", "template", "failed",
};
#define NSTATES_MAX 32

static int render_metrics(struct phx_fs *fs, uint32_t ctid, struct strbuf *out)
{
	const char *words[NSTATES_MAX];
	unsigned long long count[NSTATES_MAX] = { 0 };
	size_t nwords = sizeof(state_words) / sizeof(state_words[0]);
	char owned[NSTATES_MAX][64];
	uint32_t *ids;
	ssize_t n = phx_all_ctids(fs, &ids);

	(void)ctid;
	if (n < 0)
		return (int)n;
	memcpy(words, state_words, sizeof(state_words));
	for (ssize_t i = 0; i < n; i++) {
		char word[512];
		size_t w;

		state_word(fs, ids[i], word, sizeof(word));
		for (w = 0; w < nwords && strcmp(words[w], word) != 0; w++)
			;
		if (w == nwords && nwords < NSTATES_MAX) {
			/* a state word this table lacks still counts */
			snprintf(owned[nwords], sizeof(owned[nwords]), "%s", word);
			words[nwords++] = owned[w];
		}
		if (w < nwords)
			count[w]++;
	}
	free(ids);
	phx_metrics_render(phx_engine_metrics(fs->engine), out);
	phx_metrics_render_gauge(out, "phoenixfs_containers",
				 "Containers of the config file or the backend, by state.", "state",
				 words, count, nwords);
	return 0;
}

/* The rows of the fleet views: one per container, from the entry (name,
 * clone source, dependencies) and the engine (state); what the rows point
 * to is owned by `own`. */
struct fleet {
	struct phx_fleet_row *rows;
	size_t n;
	char **names, **states;
	uint32_t **deps;
};

static void fleet_free(struct fleet *f)
{
	for (size_t i = 0; f->names && f->states && f->deps && i < f->n; i++) {
		free(f->names[i]);
		free(f->states[i]);
		free(f->deps[i]);
	}
	free(f->names);
	free(f->states);
	free(f->deps);
	free(f->rows);
}

static int fleet_fill(struct phx_fs *fs, struct fleet *f)
{
	uint32_t *ids;
	ssize_t n = phx_all_ctids(fs, &ids);
	int rc = 0;

	if (n < 0)
		return (int)n;
	f->n = (size_t)n;
	f->rows = calloc(f->n + 1, sizeof(*f->rows));
	f->names = calloc(f->n + 1, sizeof(*f->names));
	f->states = calloc(f->n + 1, sizeof(*f->states));
	f->deps = calloc(f->n + 1, sizeof(*f->deps));
	if (!f->rows || !f->names || !f->states || !f->deps)
		rc = -ENOMEM;
	for (size_t i = 0; i < f->n && rc == 0; i++) {
		struct phx_fleet_row *r = &f->rows[i];
		char word[512], err[256];
		json_object *entry, *v;
		uint32_t deps[64];
		int nd;

		r->ctid = ids[i];
		state_word(fs, ids[i], word, sizeof(word));
		if (!(r->state = f->states[i] = strdup(word)))
			rc = -ENOMEM;
		phx_doc_rdlock(fs->doc);
		entry = phx_doc_entry(fs->doc, ids[i]);
		if (entry && json_object_object_get_ex(entry, "name", &v) &&
		    json_object_is_type(v, json_type_string) && json_object_get_string_len(v) > 0 &&
		    !(r->name = f->names[i] = strdup(json_object_get_string(v))))
			rc = -ENOMEM;
		if (entry && phx_chain_source(entry, &r->clone_from) < 0)
			r->clone_from = 0;
		/* up to 64 shown; more are not a picture anyone reads */
		nd = entry ? phx_chain_deps(entry, deps, 64, err, sizeof(err)) : 0;
		if (nd > 64)
			nd = 64;
		if (nd > 0 && !(f->deps[i] = malloc((size_t)nd * sizeof(uint32_t))))
			rc = -ENOMEM;
		else if (nd > 0) {
			memcpy(f->deps[i], deps, (size_t)nd * sizeof(uint32_t));
			r->deps = f->deps[i];
			r->ndeps = (size_t)nd;
		}
		phx_doc_unlock(fs->doc);
	}
	free(ids);
	return rc;
}

static int render_fleet(struct phx_fs *fs, struct strbuf *out,
			int (*draw)(const struct phx_fleet_row *, size_t, char **, size_t *))
{
	struct fleet f = { 0 };
	char *text = NULL;
	size_t len = 0;
	int rc = fleet_fill(fs, &f);

	if (rc == 0)
		rc = draw(f.rows, f.n, &text, &len);
	if (rc == 0)
		strbuf_add(out, text, len);
	free(text);
	fleet_free(&f);
	return rc;
}

static int render_tree(struct phx_fs *fs, uint32_t ctid, struct strbuf *out)
{
	(void)ctid;
	return render_fleet(fs, out, phx_fleet_tree);
}

static int render_dot(struct phx_fs *fs, uint32_t ctid, struct strbuf *out)
{
	(void)ctid;
	return render_fleet(fs, out, phx_fleet_dot);
}

/* events: each open reads from the moment it was opened on */
static int open_events(struct phx_fs *fs, struct phx_handle *h)
{
	struct phx_events *ev = phx_engine_events(fs->engine);

	if (!ev)
		return -ENOMEM;
	h->cursor = phx_events_now(ev);
	return 0;
}

static ssize_t read_events(struct phx_fs *fs, struct phx_handle *h, char *buf, size_t size,
			   off_t off)
{
	struct phx_events *ev = phx_engine_events(fs->engine);
	uint64_t cursor;
	ssize_t n;

	(void)off; /* a stream: each read continues where the last ended */
	if (!ev)
		return -ENOMEM;
	pthread_mutex_lock(&h->lock);
	cursor = h->cursor;
	pthread_mutex_unlock(&h->lock);
	n = phx_events_read(ev, &cursor, buf, size, interrupted);
	/* the stream ends at shutdown: end of file, not an error (Ctrl-C is
	 * EINTR) */
	if (n == -EINTR && shutting_down())
		return 0;
	if (n > 0) {
		pthread_mutex_lock(&h->lock);
		h->cursor = cursor;
		pthread_mutex_unlock(&h->lock);
	}
	return n;
}

static const struct genfile root_files[] = {
	{ .name = "status", .mode = 0444, .render = render_root_status },
	{ .name = "events", .mode = 0444, .open = open_events, .read = read_events,
	  .counters = true },
	{ .name = "metrics", .mode = 0444, .render = render_metrics, .counters = true },
	{ .name = "tree", .mode = 0444, .render = render_tree },
	{ .name = "graph.dot", .mode = 0444, .render = render_dot },
};

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static int find_in(const struct genfile *t, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return i;
	return -1;
}

int phx_gen_find(const char *name)
{
	return find_in(ct_files, COUNT(ct_files), name);
}

int phx_root_gen_find(const char *name)
{
	return find_in(root_files, COUNT(root_files), name);
}

const char *phx_root_gen_name(int i, bool *counters)
{
	if (i < 0 || i >= COUNT(root_files))
		return NULL;
	*counters = root_files[i].counters;
	return root_files[i].name;
}

void phx_gen_list(struct phx_listing *l)
{
	for (int i = 0; i < COUNT(ct_files); i++)
		phx_listing_add(l, ct_files[i].name, S_IFREG);
}

void phx_root_gen_list(struct phx_listing *l)
{
	for (int i = 0; i < COUNT(root_files); i++)
		phx_listing_add(l, root_files[i].name, S_IFREG);
}

static const struct genfile *row_of(const struct phx_node *n)
{
	return n->kind == NK_ROOT_GEN ? &root_files[n->gen] : &ct_files[n->gen];
}

/* --- the kind's operations --- */

static int gen_render(struct phx_fs *fs, const struct phx_node *n, char **out, size_t *len)
{
	const struct genfile *g = row_of(n);
	struct strbuf b = STRBUF_INIT;
	int rc;

	if (!g->render)
		return -EACCES;
	if ((rc = g->render(fs, n->ctid, &b)) < 0) {
		strbuf_release(&b);
		return rc;
	}
	return strbuf_finish(&b, out, len);
}

static int gen_getattr(struct phx_fs *fs, const struct phx_node *n, struct stat *st)
{
	const struct genfile *g = row_of(n);
	size_t size = 0;
	int rc;

	if (g->render == render_status && n->kind == NK_GEN) {
		char status[1024];

		/* the size the kernel holds: reads from its cache are cut to it
		 * (pcache.h) */
		struct timespec since;

		phx_engine_status(fs->engine, n->ctid, status, sizeof(status));
		since = phx_pcache_sized_status(fs->pcache, n->ctid, status);
		size = strlen(status) + 1;
		phx_stat_file(fs, st, g->mode, size, false);
		/* when this text was first shown: the kernel keeps its pages
		 * across refetched attributes */
		st->st_mtim = st->st_atim = st->st_ctim = since;
		return 0;
	} else if (g->render && (rc = phx_rendered_size(fs, n, &size)) < 0) {
		return rc;
	}
	/* ctl holds nothing that changes; the others change with the engine */
	phx_stat_file(fs, st, g->mode, size, g->mode & 0444);
	return 0;
}

static int gen_open(struct phx_fs *fs, const struct phx_node *n, int flags, bool created,
		    struct phx_handle **out)
{
	const struct genfile *g = row_of(n);
	int acc = flags & O_ACCMODE;
	bool wr = acc != O_RDONLY, rd = acc != O_WRONLY;
	struct phx_handle *h;
	int rc;

	(void)created;
	if ((wr && !g->write) || (rd && !(g->mode & 0444)))
		return -EACCES;
	if (!(h = phx_handle_new(fs, n, wr)))
		return -ENOMEM;
	if (g->open && (rc = g->open(fs, h)) < 0) {
		phx_handle_free(fs, h);
		return rc;
	}
	*out = h;
	return 0;
}

static int gen_create(struct phx_fs *fs, const struct phx_node *n, mode_t mode, int flags,
		      struct phx_handle **out)
{
	(void)mode;
	if (flags & O_EXCL)
		return -EEXIST;
	return gen_open(fs, n, flags, true, out);
}

static int gen_truncate(struct phx_fs *fs, const struct phx_node *n, off_t size)
{
	(void)fs;
	(void)size;
	/* `echo x > ctl` opens with O_TRUNC: nothing to empty */
	return row_of(n)->write ? 0 : -EACCES;
}

static int gen_h_truncate(struct phx_fs *fs, struct phx_handle *h, off_t size)
{
	return gen_truncate(fs, &h->node, size);
}

static int gen_unlink(struct phx_fs *fs, const struct phx_node *n)
{
	return phx_refuse_generated(fs, n, "removed");
}

static int gen_rename_onto(struct phx_fs *fs, const struct phx_node *n, const char *from,
			   struct phx_sfile *f)
{
	(void)from;
	(void)f;
	return phx_refuse_generated(fs, n, "replaced");
}

static int gen_setattr(struct phx_fs *fs, const struct phx_node *n, const mode_t *mode,
		       const uid_t *uid, const gid_t *gid, const struct timespec *tv)
{
	(void)mode;
	(void)tv;
	return phx_setattr_kept(fs, n, uid, gid);
}

static ssize_t gen_h_read(struct phx_fs *fs, struct phx_handle *h, char *buf, size_t size,
			  off_t off)
{
	const struct genfile *g = row_of(&h->node);
	ssize_t n;

	if (g->read)
		return g->read(fs, h, buf, size, off);
	pthread_mutex_lock(&h->lock);
	n = phx_handle_read(fs, h, buf, size, off);
	pthread_mutex_unlock(&h->lock);
	return n;
}

static ssize_t gen_h_write(struct phx_fs *fs, struct phx_handle *h, const char *buf,
			   size_t size, off_t off)
{
	const struct genfile *g = row_of(&h->node);

	(void)off;
	return g->write ? g->write(fs, h, buf, size) : -EACCES;
}

#define GEN_OPS                            \
	.not_applicable = ENOTDIR,         \
	.getattr = gen_getattr,            \
	.open = gen_open,                  \
	.create = gen_create,              \
	.truncate = gen_truncate,          \
	.unlink = gen_unlink,              \
	.rename_onto = gen_rename_onto,    \
	.setattr = gen_setattr,            \
	.render = gen_render,              \
	.h_read = gen_h_read,              \
	.h_write = gen_h_write,            \
	.h_truncate = gen_h_truncate

const struct phx_kind phx_kind_gen = { .what = "a container's generated file", GEN_OPS };
const struct phx_kind phx_kind_root_gen = { .what = "a generated file of the root", GEN_OPS };
