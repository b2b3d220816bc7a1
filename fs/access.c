#include "fs/access.h"

#include "fs/phoenixfs.h"

#include <errno.h>
#include <fuse.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>

/* A plain decimal id: a name made of digits is taken as the id, as
 * chown(1) does for numbers that are not names. */
static bool parse_id(const char *s, unsigned long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno == 0 && *end == '\0' && *out < (unsigned long)(uid_t)-1;
}

static int append(void **v, size_t *n, size_t size, const void *id)
{
	char *nv = realloc(*v, (*n + 1) * size);

	if (!nv)
		return -1;
	for (size_t i = 0; i < size; i++)
		nv[*n * size + i] = ((const char *)id)[i];
	*v = nv;
	(*n)++;
	return 0;
}

int phx_writers_add_user(struct phx_writers *w, const char *spec, char *err, size_t errlen)
{
	unsigned long id;
	uid_t uid;

	if (parse_id(spec, &id)) {
		uid = (uid_t)id;
	} else {
		struct passwd *pw = getpwnam(spec);

		if (!pw) {
			snprintf(err, errlen, "allow_write_user=%s: no such user", spec);
			return -1;
		}
		uid = pw->pw_uid;
	}
	if (append((void **)&w->uids, &w->nuids, sizeof(uid), &uid) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int phx_writers_add_group(struct phx_writers *w, const char *spec, char *err, size_t errlen)
{
	unsigned long id;
	gid_t gid;

	if (parse_id(spec, &id)) {
		gid = (gid_t)id;
	} else {
		struct group *gr = getgrnam(spec);

		if (!gr) {
			snprintf(err, errlen, "allow_write_group=%s: no such group", spec);
			return -1;
		}
		gid = gr->gr_gid;
	}
	if (append((void **)&w->gids, &w->ngids, sizeof(gid), &gid) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

void phx_writers_free(struct phx_writers *w)
{
	free(w->uids);
	free(w->gids);
	w->uids = NULL;
	w->gids = NULL;
	w->nuids = w->ngids = 0;
}

static bool has_gid(const struct phx_writers *w, gid_t gid)
{
	for (size_t i = 0; i < w->ngids; i++)
		if (w->gids[i] == gid)
			return true;
	return false;
}

bool phx_may_change(const struct phx_writers *w, uid_t owner)
{
	const struct fuse_context *ctx = fuse_get_context();
	gid_t *groups = NULL;
	int n, size = 64;
	bool found = false;

	if (ctx->uid == 0 || ctx->uid == owner)
		return true;
	for (size_t i = 0; w && i < w->nuids; i++)
		if (w->uids[i] == ctx->uid)
			return true;
	if (!w || w->ngids == 0)
		return false;
	if (has_gid(w, ctx->gid))
		return true;
	/* Supplementary groups: libfuse reads them from /proc for the
	 * requesting thread and says how many there are. A process that is
	 * gone already is refused rather than guessed. */
	for (;;) {
		gid_t *ng = realloc(groups, (size_t)size * sizeof(*groups));

		if (!ng)
			break;
		groups = ng;
		n = fuse_getgroups(size, groups);
		if (n <= size || size >= NGROUPS_MAX) {
			for (int i = 0; i < n && i < size && !found; i++)
				found = has_gid(w, groups[i]);
			break;
		}
		size = n;
	}
	free(groups);
	return found;
}

bool phx_fs_may_change(struct phx_fs *fs)
{
	return phx_may_change(fs->writers, fs->uid);
}
