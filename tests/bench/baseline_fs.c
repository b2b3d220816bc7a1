/* baseline_fs: the yardstick for the read path. A minimal in-memory libfuse
 * filesystem (same high-level API and the same cache settings as phoenixfs)
 * holding the tree phoenixfs shows for a config made by gen_config: a root
 * with config.json, status and N container directories CTIDs FIRST.., each
 * with the same 25 names (shape.h). Everything is computed before the mount;
 * a request costs a number parse, a short name scan and a copy. That is
 * about the least a FUSE filesystem can do per request, so phoenixfs's
 * rate divided by this one says how near the FUSE limit it is.
 *
 *   baseline_fs N FIRST CONFIG MOUNTPOINT [FUSE options]
 *
 * CONFIG is only served as /config.json (so its size matches); -f keeps it
 * in the foreground. */
#define FUSE_USE_VERSION 35
#include "shape.h"

#include <errno.h>
#include <fuse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static unsigned long count, first;
static char *root_config, *root_status;
static size_t root_config_len, root_status_len;
static struct timespec start_time;

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		*len = (size_t)n;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* "/1234/name" -> ct 1234 and "name"; returns the number of components */
static int split(const char *path, unsigned long *ct, const char **rest)
{
	char *end;

	*rest = NULL;
	if (strcmp(path, "/") == 0)
		return 0;
	*ct = strtoul(path + 1, &end, 10);
	if (end == path + 1 || (*end && *end != '/') || *ct < first || *ct >= first + count)
		return -1;
	if (!*end || !end[1])
		return 1;
	*rest = end + 1;
	return 2;
}

static const struct shape_key *find(const struct shape_key *keys, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(keys[i].file, name) == 0)
			return &keys[i];
	return NULL;
}

/* The content of a file below a container directory, formatted into buf. */
static int content(unsigned long ct, const char *rest, char *buf, size_t len, unsigned *mode)
{
	const struct shape_key *k;

	if (strncmp(rest, "network_config/", 15) == 0) {
		k = find(shape_net, SHAPE_NNET, rest + 15);
	} else {
		k = find(shape_keys, SHAPE_NKEYS, rest);
		if (k && k->mode == 0) {
			*mode = 0;
			return 0;
		}
	}
	if (!k)
		return -ENOENT;
	*mode = k->mode;
	if (!k->content) /* config.json of the entry: about its size */
		return snprintf(buf, len, "{\n    \"name\": \"ct%lu\",\n%*s}\n", ct, 592, "");
	return snprintf(buf, len, k->content, (unsigned)ct);
}

static void fill_stat(struct stat *st, unsigned mode, size_t size)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = mode ? S_IFREG | mode : S_IFDIR | 0755;
	st->st_nlink = mode ? 1 : 2;
	st->st_uid = getuid();
	st->st_gid = getgid();
	st->st_size = (off_t)size;
	st->st_blocks = (blkcnt_t)((size + 511) / 512);
	st->st_blksize = 4096;
	st->st_atim = st->st_mtim = st->st_ctim = start_time;
}

static int bl_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	unsigned long ct = 0;
	const char *rest;
	char buf[1024];
	unsigned mode;
	int n;

	(void)fi;
	switch (split(path, &ct, &rest)) {
	case 0:
		fill_stat(st, 0, 0);
		return 0;
	case 1:
		fill_stat(st, 0, 0);
		return 0;
	case 2:
		if ((n = content(ct, rest, buf, sizeof(buf), &mode)) < 0)
			return n;
		fill_stat(st, mode, (size_t)n);
		return 0;
	default:
		if (strcmp(path, "/config.json") == 0)
			fill_stat(st, 0644, root_config_len);
		else if (strcmp(path, "/status") == 0)
			fill_stat(st, 0444, root_status_len);
		else
			return -ENOENT;
		return 0;
	}
}

static int bl_readdir(const char *path, void *dbuf, fuse_fill_dir_t filler, off_t off,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	/* The whole directory in one go at offset 0, as libfuse's examples
	 * list: libfuse then sends names only (even to a readdirplus), and
	 * the kernel looks each name up, as it does for phoenixfs. */
	const enum fuse_fill_dir_flags plus = 0;
	unsigned long ct = 0;
	const char *rest;
	struct stat st;
	char buf[1024], name[32];
	unsigned mode;
	int n;

	(void)off;
	(void)fi;
	(void)flags;
	fill_stat(&st, 0, 0);
	filler(dbuf, ".", &st, 0, 0);
	filler(dbuf, "..", &st, 0, 0);
	switch (split(path, &ct, &rest)) {
	case 0:
		fill_stat(&st, 0644, root_config_len);
		filler(dbuf, "config.json", &st, 0, plus);
		fill_stat(&st, 0444, root_status_len);
		filler(dbuf, "status", &st, 0, plus);
		fill_stat(&st, 0, 0);
		for (unsigned long i = 0; i < count; i++) {
			snprintf(name, sizeof(name), "%lu", first + i);
			filler(dbuf, name, &st, 0, plus);
		}
		return 0;
	case 1:
		for (size_t i = 0; i < SHAPE_NKEYS; i++) {
			n = content(ct, shape_keys[i].file, buf, sizeof(buf), &mode);
			fill_stat(&st, mode, n > 0 ? (size_t)n : 0);
			filler(dbuf, shape_keys[i].file, &st, 0, plus);
		}
		return 0;
	case 2:
		if (strcmp(rest, "network_config") != 0)
			return -ENOTDIR;
		for (size_t i = 0; i < SHAPE_NNET; i++) {
			fill_stat(&st, 0644, strlen(shape_net[i].content));
			filler(dbuf, shape_net[i].file, &st, 0, plus);
		}
		return 0;
	default:
		return -ENOENT;
	}
}

static int bl_open(const char *path, struct fuse_file_info *fi)
{
	struct stat st;
	int rc = bl_getattr(path, &st, NULL);

	if (rc < 0)
		return rc;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	fi->direct_io = 1; /* as phoenixfs: generated content changes under readers */
	return 0;
}

static int bl_read(const char *path, char *out, size_t size, off_t off, struct fuse_file_info *fi)
{
	unsigned long ct = 0;
	const char *rest, *src;
	char buf[1024];
	unsigned mode;
	size_t len;
	int n;

	(void)fi;
	switch (split(path, &ct, &rest)) {
	case 2:
		if ((n = content(ct, rest, buf, sizeof(buf), &mode)) < 0)
			return n;
		src = buf;
		len = (size_t)n;
		break;
	case -1:
		if (strcmp(path, "/config.json") == 0) {
			src = root_config;
			len = root_config_len;
			break;
		}
		if (strcmp(path, "/status") == 0) {
			src = root_status;
			len = root_status_len;
			break;
		}
		/* fall through */
	default:
		return -ENOENT;
	}
	if ((size_t)off >= len)
		return 0;
	if (size > len - (size_t)off)
		size = len - (size_t)off;
	memcpy(out, src + off, size);
	return (int)size;
}

static void *bl_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	(void)conn;
	cfg->use_ino = 0;
	cfg->entry_timeout = 1.0;
	cfg->attr_timeout = 1.0;
	cfg->negative_timeout = 0;
	cfg->direct_io = 1;
	return NULL;
}

static const struct fuse_operations bl_ops = {
	.init = bl_init,
	.getattr = bl_getattr,
	.readdir = bl_readdir,
	.open = bl_open,
	.read = bl_read,
};

int main(int argc, char **argv)
{
	char *end;
	size_t cap;

	if (argc < 5) {
		fprintf(stderr, "usage: baseline_fs N FIRST CONFIG MOUNTPOINT [FUSE options]\n");
		return 2;
	}
	count = strtoul(argv[1], &end, 10);
	if (*end || (first = strtoul(argv[2], &end, 10)) < 100 || *end) {
		fprintf(stderr, "baseline_fs: N and FIRST are numbers, FIRST >= 100\n");
		return 2;
	}
	root_config = read_file(argv[3], &root_config_len);
	if (!root_config) {
		perror(argv[3]);
		return 1;
	}
	cap = count * 32 + 1;
	root_status = malloc(cap);
	if (!root_status)
		return 1;
	for (unsigned long i = 0; i < count; i++)
		root_status_len += (size_t)snprintf(root_status + root_status_len,
						    cap - root_status_len, "%lu absent ct%lu\n",
						    first + i, first + i);
	clock_gettime(CLOCK_REALTIME, &start_time);
	argv[3] = argv[0];
	return fuse_main(argc - 3, argv + 3, &bl_ops, NULL);
}
