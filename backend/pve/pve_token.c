/* Loading the API token file. The secret is wiped from our buffers as soon
 * as it has been turned into the header, and no error text quotes it. */
#include "backend/pve/pve_token.h"

#include "backend/pve/pve_parse.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Longer than any real token line; a bigger file is not a token file. */
#define TOKEN_FILE_MAX 1024

int pve_token_load(const char *path, char hdr[PVE_TOKEN_HDR_MAX],
		   struct phx_err *err)
{
	char buf[TOKEN_FILE_MAX + 1];
	struct phx_err perr;
	struct stat st;
	size_t len = 0;
	mode_t mode;
	int fd, rc;

	hdr[0] = '\0';
	err->http = 0;
	err->kind = PHX_E_AUTH;
	if (!path || !*path) {
		snprintf(err->msg, sizeof(err->msg), "no token file given (pve_token_file)");
		return -1;
	}
	/* Open first, then check what was opened: no window in which the
	 * file could be swapped between the check and the read. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err->msg, sizeof(err->msg), "token file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(err->msg, sizeof(err->msg), "token file %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err->msg, sizeof(err->msg), "token file %s is not a regular file", path);
		close(fd);
		return -1;
	}
	mode = st.st_mode & 07777;
	if (mode != 0600 && mode != 0400) {
		snprintf(err->msg, sizeof(err->msg),
			 "token file %s has mode %04o; it must be readable by its owner only (chmod 600 %s)",
			 path, (unsigned)mode, path);
		close(fd);
		return -1;
	}
	while (len < sizeof(buf)) {
		ssize_t r = read(fd, buf + len, sizeof(buf) - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err->msg, sizeof(err->msg), "token file %s: %s", path, strerror(errno));
			close(fd);
			explicit_bzero(buf, sizeof(buf));
			return -1;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (len > TOKEN_FILE_MAX) {
		snprintf(err->msg, sizeof(err->msg), "token file %s is too large to be a token", path);
		explicit_bzero(buf, sizeof(buf));
		return -1;
	}
	rc = pve_token_parse(buf, len, hdr, PVE_TOKEN_HDR_MAX, &perr);
	explicit_bzero(buf, sizeof(buf));
	if (rc < 0) {
		/* perr names what is wrong without quoting the token */
		snprintf(err->msg, sizeof(err->msg),
			 "token file %s: %s (expected one line USER@REALM!TOKENID=SECRET)",
			 path, perr.msg);
		return -1;
	}
	return 0;
}
