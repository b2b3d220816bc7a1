#include "fs/scratch.h"

#include "backend/schema.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct phx_sfile {
	struct phx_sfile *next;  /* in the store's list while linked */
	char *path;              /* NULL once unlinked */
	int refs;                /* the store's link counts as one */
	char *data;
	size_t len, cap;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	struct timespec atime, mtime, ctime;
	struct phx_scratch *store;
};

/* Scratch files are few and short-lived (one per tool run), so a list is
 * the right structure; one lock covers names and contents. */
struct phx_scratch {
	pthread_mutex_t lock;
	struct phx_sfile *head;
	ino_t next_ino;
};

struct phx_scratch *phx_scratch_new(void)
{
	struct phx_scratch *s = calloc(1, sizeof(*s));

	if (s)
		pthread_mutex_init(&s->lock, NULL);
	return s;
}

static void sfile_free(struct phx_sfile *f)
{
	free(f->path);
	free(f->data);
	free(f);
}

void phx_scratch_free(struct phx_scratch *s)
{
	if (!s)
		return;
	for (struct phx_sfile *f = s->head, *n; f; f = n) {
		n = f->next;
		if (--f->refs == 0)
			sfile_free(f);
		else
			f->store = NULL, f->next = NULL;
	}
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static struct phx_sfile **find(struct phx_scratch *s, const char *path)
{
	struct phx_sfile **pp = &s->head;

	while (*pp && strcmp((*pp)->path, path) != 0)
		pp = &(*pp)->next;
	return pp;
}

static void now(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

int phx_scratch_create(struct phx_scratch *s, const char *path, mode_t mode,
		       uid_t uid, gid_t gid, struct phx_sfile **out)
{
	struct phx_sfile *f;

	pthread_mutex_lock(&s->lock);
	if (*find(s, path)) {
		pthread_mutex_unlock(&s->lock);
		return -EEXIST;
	}
	f = calloc(1, sizeof(*f));
	if (!f || !(f->path = strdup(path))) {
		free(f);
		pthread_mutex_unlock(&s->lock);
		return -ENOMEM;
	}
	f->mode = S_IFREG | (mode & 07777);
	f->uid = uid;
	f->gid = gid;
	now(&f->mtime);
	f->atime = f->ctime = f->mtime;
	f->refs = 2; /* the store's and the caller's */
	f->store = s;
	f->next = s->head;
	s->head = f;
	pthread_mutex_unlock(&s->lock);
	*out = f;
	return 0;
}

struct phx_sfile *phx_scratch_get(struct phx_scratch *s, const char *path)
{
	struct phx_sfile *f;

	pthread_mutex_lock(&s->lock);
	f = *find(s, path);
	if (f)
		f->refs++;
	pthread_mutex_unlock(&s->lock);
	return f;
}

void phx_sfile_put(struct phx_sfile *f)
{
	struct phx_scratch *s = f->store;
	bool last;

	if (s)
		pthread_mutex_lock(&s->lock);
	last = --f->refs == 0;
	if (s)
		pthread_mutex_unlock(&s->lock);
	if (last)
		sfile_free(f);
}

static void fill_stat(const struct phx_sfile *f, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = f->mode;
	st->st_nlink = f->path ? 1 : 0;
	st->st_uid = f->uid;
	st->st_gid = f->gid;
	st->st_size = (off_t)f->len;
	st->st_blocks = (blkcnt_t)((f->len + 511) / 512);
	st->st_blksize = 4096;
	st->st_atim = f->atime;
	st->st_mtim = f->mtime;
	st->st_ctim = f->ctime;
}

bool phx_scratch_stat(struct phx_scratch *s, const char *path, struct stat *st)
{
	struct phx_sfile *f;

	pthread_mutex_lock(&s->lock);
	f = *find(s, path);
	if (f)
		fill_stat(f, st);
	pthread_mutex_unlock(&s->lock);
	return f != NULL;
}

void phx_sfile_stat(struct phx_sfile *f, struct stat *st)
{
	struct phx_scratch *s = f->store;

	if (s)
		pthread_mutex_lock(&s->lock);
	fill_stat(f, st);
	if (s)
		pthread_mutex_unlock(&s->lock);
}

/* Caller holds the lock. */
static void unlink_locked(struct phx_sfile **pp)
{
	struct phx_sfile *f = *pp;

	*pp = f->next;
	f->next = NULL;
	free(f->path);
	f->path = NULL;
	if (--f->refs == 0)
		sfile_free(f);
}

int phx_scratch_unlink(struct phx_scratch *s, const char *path)
{
	struct phx_sfile **pp;

	pthread_mutex_lock(&s->lock);
	pp = find(s, path);
	if (!*pp) {
		pthread_mutex_unlock(&s->lock);
		return -ENOENT;
	}
	unlink_locked(pp);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

int phx_scratch_rename(struct phx_scratch *s, const char *from, const char *to)
{
	struct phx_sfile **pp, **dst;
	char *npath = strdup(to);

	if (!npath)
		return -ENOMEM;
	pthread_mutex_lock(&s->lock);
	pp = find(s, from);
	if (!*pp) {
		pthread_mutex_unlock(&s->lock);
		free(npath);
		return -ENOENT;
	}
	if (strcmp(from, to) != 0) {
		dst = find(s, to);
		if (*dst)
			unlink_locked(dst);
		pp = find(s, from); /* the list may have changed shape */
		free((*pp)->path);
		(*pp)->path = npath;
		now(&(*pp)->ctime);
	} else {
		free(npath);
	}
	pthread_mutex_unlock(&s->lock);
	return 0;
}

void phx_scratch_drop_dir(struct phx_scratch *s, const char *dir)
{
	size_t n = strlen(dir);

	pthread_mutex_lock(&s->lock);
	for (struct phx_sfile **pp = &s->head; *pp;) {
		if (strncmp((*pp)->path, dir, n) == 0 && (*pp)->path[n] == '/')
			unlink_locked(pp);
		else
			pp = &(*pp)->next;
	}
	pthread_mutex_unlock(&s->lock);
}

static void lock_f(struct phx_sfile *f)
{
	if (f->store)
		pthread_mutex_lock(&f->store->lock);
}

static void unlock_f(struct phx_sfile *f)
{
	if (f->store)
		pthread_mutex_unlock(&f->store->lock);
}

ssize_t phx_sfile_read(struct phx_sfile *f, char *buf, size_t size, off_t off)
{
	ssize_t n = 0;

	lock_f(f);
	if ((size_t)off < f->len) {
		n = (ssize_t)(f->len - (size_t)off < size ? f->len - (size_t)off : size);
		memcpy(buf, f->data + off, (size_t)n);
	}
	now(&f->atime);
	unlock_f(f);
	return n;
}

static int reserve(struct phx_sfile *f, size_t need)
{
	char *nd;
	size_t cap;

	if (need <= f->cap)
		return 0;
	if (need > PHX_VALUE_MAX * 4)
		return -EFBIG; /* scratch files hold values, not data sets */
	cap = f->cap ? f->cap : 256;
	while (cap < need)
		cap *= 2;
	nd = realloc(f->data, cap);
	if (!nd)
		return -ENOMEM;
	f->data = nd;
	f->cap = cap;
	return 0;
}

ssize_t phx_sfile_write(struct phx_sfile *f, const char *buf, size_t size, off_t off)
{
	size_t end = (size_t)off + size;
	int rc;

	lock_f(f);
	rc = reserve(f, end);
	if (rc == 0) {
		if ((size_t)off > f->len)
			memset(f->data + f->len, 0, (size_t)off - f->len);
		memcpy(f->data + off, buf, size);
		if (end > f->len)
			f->len = end;
		now(&f->mtime);
		f->ctime = f->mtime;
	}
	unlock_f(f);
	return rc < 0 ? rc : (ssize_t)size;
}

int phx_sfile_truncate(struct phx_sfile *f, off_t size)
{
	int rc;

	lock_f(f);
	rc = reserve(f, (size_t)size);
	if (rc == 0) {
		if ((size_t)size > f->len)
			memset(f->data + f->len, 0, (size_t)size - f->len);
		f->len = (size_t)size;
		now(&f->mtime);
		f->ctime = f->mtime;
	}
	unlock_f(f);
	return rc;
}

char *phx_sfile_content(struct phx_sfile *f, size_t *len)
{
	char *copy;

	lock_f(f);
	copy = malloc(f->len + 1);
	if (copy) {
		memcpy(copy, f->data ? f->data : "", f->len);
		copy[f->len] = '\0';
		*len = f->len;
	}
	unlock_f(f);
	return copy;
}

void phx_sfile_setattr(struct phx_sfile *f, const mode_t *mode, const uid_t *uid,
		       const gid_t *gid, const struct timespec tv[2])
{
	lock_f(f);
	if (mode)
		f->mode = S_IFREG | (*mode & 07777);
	if (uid && *uid != (uid_t)-1)
		f->uid = *uid;
	if (gid && *gid != (gid_t)-1)
		f->gid = *gid;
	if (tv) {
		struct timespec t;

		now(&t);
		if (tv[0].tv_nsec != UTIME_OMIT)
			f->atime = tv[0].tv_nsec == UTIME_NOW ? t : tv[0];
		if (tv[1].tv_nsec != UTIME_OMIT)
			f->mtime = tv[1].tv_nsec == UTIME_NOW ? t : tv[1];
	}
	now(&f->ctime);
	unlock_f(f);
}

void phx_scratch_list(struct phx_scratch *s, const char *dir,
		      void (*fn)(void *arg, const char *name, const struct stat *st),
		      void *arg)
{
	size_t n = strlen(dir);

	pthread_mutex_lock(&s->lock);
	for (struct phx_sfile *f = s->head; f; f = f->next) {
		const char *p = f->path;

		/* direct children of dir only ("/" is the root) */
		if (n == 1 && dir[0] == '/') {
			if (p[0] == '/' && !strchr(p + 1, '/')) {
				struct stat st;

				fill_stat(f, &st);
				fn(arg, p + 1, &st);
			}
		} else if (strncmp(p, dir, n) == 0 && p[n] == '/' && !strchr(p + n + 1, '/')) {
			struct stat st;

			fill_stat(f, &st);
			fn(arg, p + n + 1, &st);
		}
	}
	pthread_mutex_unlock(&s->lock);
}
