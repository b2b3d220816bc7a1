#include "backend/atomic_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#define TMP_MARK ".phx-"

static int fail(int e, const char *step, const char *path, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s %s: %s", step, path, strerror(e));
	return -e;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Follow the links one by one rather than realpath(3): the target of a
 * link may not exist yet (the first save creates it). */
char *atomic_file_target(const char *path)
{
	char *cur = strdup(path);

	for (int hops = 0; cur; hops++) {
		char link[PATH_MAX], *next = NULL;
		ssize_t n;
		struct stat st;

		if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode))
			return cur; /* a file, or nothing yet: written here */
		if (hops >= 40) {
			free(cur);
			errno = ELOOP;
			return NULL;
		}
		n = readlink(cur, link, sizeof(link) - 1);
		if (n < 0) {
			free(cur);
			return NULL;
		}
		link[n] = '\0';
		if (link[0] == '/') {
			next = strdup(link);
		} else {
			char *d = strdup(cur);

			if (d && asprintf(&next, "%s/%s", dirname(d), link) < 0)
				next = NULL;
			free(d);
		}
		free(cur);
		cur = next;
	}
	return NULL;
}

int atomic_write_file_stat(const char *path, const char *data, size_t len, mode_t new_mode,
			   struct stat *written, char *err, size_t errlen)
{
	char *target = atomic_file_target(path), *dcopy = NULL, *bcopy = NULL;
	char tmp[4096];
	struct stat st;
	int fd = -1, dfd = -1, rc = 0;

	if (!target) {
		rc = fail(errno, "following the links of", path, err, errlen);
		goto out;
	}
	dcopy = strdup(target);
	bcopy = strdup(target);
	if (!dcopy || !bcopy) {
		rc = fail(ENOMEM, "allocating for", path, err, errlen);
		goto out;
	}
	const char *dir = dirname(dcopy), *base = basename(bcopy);

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s" TMP_MARK "XXXXXX", dir, base) >= sizeof(tmp)) {
		rc = fail(ENAMETOOLONG, "naming a temporary file for", path, err, errlen);
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = fail(errno, "creating a temporary file beside", target, err, errlen);
		goto out;
	}
	/* Held until the file is in place (closing releases it): tells
	 * atomic_file_clean_stale of another mount that this one is alive. */
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) { /* best effort: a fresh file */ }
	if (stat(target, &st) == 0) {
		/* Keep what the owner chose for the file; a failed chown (not root)
		 * is fine, the file simply becomes ours as any editor would do. */
		if (fchown(fd, st.st_uid, st.st_gid) != 0) { /* best effort */ }
		if (fchmod(fd, st.st_mode & 07777) != 0) {
			rc = fail(errno, "setting the mode of", tmp, err, errlen);
			goto out_unlink;
		}
	} else if (fchmod(fd, new_mode) != 0) {
		rc = fail(errno, "setting the mode of", tmp, err, errlen);
		goto out_unlink;
	}
	if ((rc = write_all(fd, data, len)) < 0) {
		rc = fail(-rc, "writing", tmp, err, errlen);
		goto out_unlink;
	}
	if (fsync(fd) != 0) {
		rc = fail(errno, "syncing", tmp, err, errlen);
		goto out_unlink;
	}
	if (rename(tmp, target) != 0) {
		rc = fail(errno, "renaming over", target, err, errlen);
		goto out_unlink;
	}
	if (written && fstat(fd, written) != 0)
		memset(written, 0, sizeof(*written));
	rc = close(fd) == 0 ? 0 : fail(errno, "closing", target, err, errlen);
	fd = -1;
	if (rc < 0)
		goto out;
	/* The rename is durable only once the directory entry is. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) != 0)
		rc = fail(errno, "syncing the directory of", target, err, errlen);
	if (dfd >= 0)
		close(dfd);
	goto out;

out_unlink:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(target);
	free(dcopy);
	free(bcopy);
	return rc;
}

int atomic_write_file(const char *path, const char *data, size_t len,
		      mode_t new_mode, char *err, size_t errlen)
{
	return atomic_write_file_stat(path, data, len, new_mode, NULL, err, errlen);
}

/* ".BASE.phx-" followed by mkostemp's six characters, nothing else. */
static bool is_our_temp(const char *name, const char *base)
{
	size_t bl = strlen(base), ml = strlen(TMP_MARK);

	if (name[0] != '.' || strncmp(name + 1, base, bl) != 0 ||
	    strncmp(name + 1 + bl, TMP_MARK, ml) != 0)
		return false;
	name += 1 + bl + ml;
	if (strlen(name) != 6)
		return false;
	for (; *name; name++)
		if (!((*name >= 'a' && *name <= 'z') || (*name >= 'A' && *name <= 'Z') ||
		      (*name >= '0' && *name <= '9')))
			return false;
	return true;
}

int atomic_file_clean_stale(const char *path, int max_age_s)
{
	char *target = atomic_file_target(path), *dcopy, *bcopy;
	struct timespec now;
	int removed = 0;
	DIR *d;

	if (!target)
		return 0;
	dcopy = strdup(target);
	bcopy = strdup(target);
	d = dcopy ? opendir(dirname(dcopy)) : NULL;
	clock_gettime(CLOCK_REALTIME, &now);
	for (struct dirent *de; d && bcopy && (de = readdir(d));) {
		struct stat st, again;
		int fd;

		if (!is_our_temp(de->d_name, basename(bcopy)))
			continue;
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		/* A live writer holds the lock until its rename; an old file
		 * nobody locks was left by a writer that died. Both ages are
		 * wall-clock file times: a clock jump only delays removal. */
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
		    now.tv_sec - st.st_mtim.tv_sec > max_age_s &&
		    flock(fd, LOCK_EX | LOCK_NB) == 0 &&
		    fstatat(dirfd(d), de->d_name, &again, AT_SYMLINK_NOFOLLOW) == 0 &&
		    again.st_dev == st.st_dev && again.st_ino == st.st_ino &&
		    unlinkat(dirfd(d), de->d_name, 0) == 0)
			removed++;
		close(fd);
	}
	if (d)
		closedir(d);
	free(target);
	free(dcopy);
	free(bcopy);
	return removed;
}
