#include "backend/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

int atomic_write_file(const char *path, const char *data, size_t len,
		      mode_t new_mode, char *err, size_t errlen)
{
	char *dcopy = strdup(path), *bcopy = strdup(path);
	char tmp[4096];
	struct stat st;
	int fd = -1, dfd = -1, rc = 0;

	if (!dcopy || !bcopy) {
		rc = fail(ENOMEM, "allocating for", path, err, errlen);
		goto out;
	}
	const char *dir = dirname(dcopy), *base = basename(bcopy);

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.phx-XXXXXX", dir, base) >= sizeof(tmp)) {
		rc = fail(ENAMETOOLONG, "naming a temporary file for", path, err, errlen);
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = fail(errno, "creating a temporary file beside", path, err, errlen);
		goto out;
	}
	if (stat(path, &st) == 0) {
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
	if (close(fd) != 0) {
		fd = -1;
		rc = fail(errno, "closing", tmp, err, errlen);
		goto out_unlink;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		rc = fail(errno, "renaming over", path, err, errlen);
		goto out_unlink;
	}
	/* The rename is durable only once the directory entry is. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) != 0)
		rc = fail(errno, "syncing the directory of", path, err, errlen);
	if (dfd >= 0)
		close(dfd);
	goto out;

out_unlink:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(dcopy);
	free(bcopy);
	return rc;
}
