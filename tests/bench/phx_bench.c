/* phx_bench: the timing half of tests/bench/run. Each subcommand measures
 * one thing on already-mounted trees and prints plain numbers; the run
 * script mounts, starts pvesim and puts the numbers into the report.
 *
 *   phx_bench readpath REPS NDIRS MNT BASE
 *       The read path on phoenixfs (MNT) against the baseline (BASE), each
 *       operation REPS times alternating between the two, each run after
 *       the kernel's entry/attribute caches were emptied (1 s for the
 *       baseline's to expire, then drop_caches for phoenixfs's: every run
 *       reaches the filesystem). Operations, each one real process:
 *         ls_root   ls -l MNT
 *         ls_ct     ls -l of NDIRS container directories (one ls)
 *         cat_all   cat of every container's status (one cat)
 *       Prints "OP phx_ms base_ms ratio": median times, and the median
 *       over the runs of baseline time / phoenixfs time for the two runs
 *       made back to back (phoenixfs's rate over the baseline's; 1.0 =
 *       as fast). Each cold run (caches expired) is followed at once by a
 *       warm one (whatever the kernel kept), printed as OP_warm, and that
 *       by one more, OP_again (a read that filled the kernel's pages also
 *       makes it refetch the file's attributes once, for atime: the second
 *       warm run no longer pays that).
 *   phx_bench ops MNT ITER
 *       Per-operation times in microseconds, on random containers:
 *       open+read+close of status, of memory_mb, and stat of name.
 *   phx_bench writes MNT WRITERS SECONDS
 *       WRITERS threads, each on its own container, write memory_mb (open
 *       O_TRUNC, write, close; the close returns once the value is on
 *       disk) for SECONDS; prints accepted writes per second.
 *   phx_bench wait PATH PREFIX TIMEOUT_MS
 *       Polls PATH every millisecond until its content starts with PREFIX
 *       (an empty PREFIX: until it exists); prints the milliseconds it took.
 *   phx_bench seen write PATH TEXT RPATH PREFIX
 *   phx_bench seen rename FROM TO RPATH PREFIX
 *       From a change to a reader seeing it: a reader thread reads RPATH
 *       (warm: read a few times first) every millisecond, while this thread
 *       makes the change, timed from just before its first system call:
 *       open(O_TRUNC) + write of TEXT + close of PATH, or rename(FROM, TO)
 *       (an outside edit prepared beforehand). Prints "SEEN_MS CHANGE_MS":
 *       when the reader's content first started with PREFIX, and how long
 *       the change's own calls took. Process start-up is not in either.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int cmp_u32(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The container directories of a mount, sorted. */
static size_t list_cts(const char *mnt, unsigned **out)
{
	DIR *d = opendir(mnt);
	struct dirent *e;
	size_t n = 0, cap = 1024;
	unsigned *ids = malloc(cap * sizeof(*ids));

	if (!d || !ids)
		die(mnt);
	while ((e = readdir(d))) {
		char *end;
		unsigned long v = strtoul(e->d_name, &end, 10);

		if (*end || end == e->d_name)
			continue;
		if (n == cap && !(ids = realloc(ids, (cap *= 2) * sizeof(*ids))))
			die("realloc");
		ids[n++] = (unsigned)v;
	}
	closedir(d);
	qsort(ids, n, sizeof(*ids), cmp_u32);
	*out = ids;
	return n;
}

/* Run argv with stdout to /dev/null; returns milliseconds, exits on failure. */
static double run_ms(char **argv)
{
	posix_spawn_file_actions_t fa;
	double t0;
	pid_t pid;
	int st;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	t0 = now_ms();
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0)
		die(argv[0]);
	if (waitpid(pid, &st, 0) < 0)
		die("waitpid");
	t0 = now_ms() - t0;
	posix_spawn_file_actions_destroy(&fa);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "phx_bench: %s %s... failed\n", argv[0], argv[1]);
		exit(1);
	}
	return t0;
}

/* argv of "PROG [FLAG] MNT/ID/SUFFIX..." for n ids */
static char **paths_argv(const char *prog, const char *flag, const char *mnt,
			 const unsigned *ids, size_t n, const char *suffix)
{
	char **argv = calloc(n + 3, sizeof(*argv));
	size_t a = 0;

	if (!argv)
		die("calloc");
	argv[a++] = (char *)prog;
	if (flag)
		argv[a++] = (char *)flag;
	for (size_t i = 0; i < n; i++)
		if (asprintf(&argv[a++], "%s/%u%s", mnt, ids[i], suffix) < 0)
			die("asprintf");
	return argv;
}

/* The baseline's kernel entries and attributes last 1 s: wait that out.
 * phoenixfs's last until it invalidates them (60 s at most), so the
 * kernel's names and inodes are dropped as well (root only; without it
 * phoenixfs's "cold" runs are warm, and the run says so). */
static void expire_caches(void)
{
	static bool warned;
	FILE *f = fopen("/proc/sys/vm/drop_caches", "w");

	nanosleep(&(struct timespec){ 1, 100 * 1000 * 1000 }, NULL);
	if (f && fputs("2\n", f) >= 0 && fclose(f) == 0)
		return;
	if (!warned)
		fprintf(stderr, "phx_bench: cannot drop the kernel's caches (not root?): "
				"phoenixfs's cold figures are warm ones\n");
	warned = true;
}

static int cmd_readpath(int reps, size_t ndirs, const char *mnt[2])
{
	static const char *ops[] = { "ls_root", "ls_ct", "cat_all" };
	char **argv[2][3];
	double *t[2][3], *tw[2][3], *tw2[2][3];

	for (int m = 0; m < 2; m++) {
		unsigned *ids;
		size_t n = list_cts(mnt[m], &ids);

		if (n == 0) {
			fprintf(stderr, "phx_bench: no containers under %s\n", mnt[m]);
			return 1;
		}
		argv[m][0] = calloc(4, sizeof(char *));
		argv[m][0][0] = "ls";
		argv[m][0][1] = "-l";
		argv[m][0][2] = (char *)mnt[m];
		argv[m][1] = paths_argv("ls", "-l", mnt[m], ids, n < ndirs ? n : ndirs, "");
		argv[m][2] = paths_argv("cat", NULL, mnt[m], ids, n, "/status");
		free(ids);
		for (int o = 0; o < 3; o++) {
			t[m][o] = calloc((size_t)reps, sizeof(double));
			tw[m][o] = calloc((size_t)reps, sizeof(double));
			tw2[m][o] = calloc((size_t)reps, sizeof(double));
		}
	}
	for (int r = 0; r < reps; r++)
		for (int o = 0; o < 3; o++)
			for (int m = 0; m < 2; m++) {
				int mm = (r + o) % 2 ? 1 - m : m; /* alternate who goes first */

				expire_caches();
				t[mm][o][r] = run_ms(argv[mm][o]);
				tw[mm][o][r] = run_ms(argv[mm][o]);
				tw2[mm][o][r] = run_ms(argv[mm][o]);
			}
	for (int w = 0; w < 3; w++) {
		for (int o = 0; o < 3; o++) {
			double med[2], *ratio = calloc((size_t)reps, sizeof(double));
			double *(*tt)[3] = w == 2 ? tw2 : w ? tw : t;

			/* the machine's load drifts: compare each run with its
			 * partner run right next to it, then take the median of
			 * those ratios */
			for (int r = 0; r < reps; r++)
				ratio[r] = tt[1][o][r] / tt[0][o][r];
			qsort(ratio, (size_t)reps, sizeof(double), cmp_double);
			for (int m = 0; m < 2; m++) {
				qsort(tt[m][o], (size_t)reps, sizeof(double), cmp_double);
				med[m] = tt[m][o][reps / 2];
			}
			printf("%s%s %.1f %.1f %.2f\n", ops[o], w == 2 ? "_again" : w ? "_warm" : "", med[0], med[1],
			       ratio[reps / 2]);
			free(ratio);
		}
	}
	return 0;
}

static unsigned rnd(unsigned *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static int cmd_ops(const char *mnt, int iter)
{
	static const char *files[] = { "status", "memory_mb" };
	unsigned *ids, seed = 12345;
	size_t n = list_cts(mnt, &ids);
	char path[4096], buf[4096];
	double us[3];

	if (n == 0)
		return 1;
	for (int f = 0; f < 2; f++) {
		double t0 = now_ms();

		for (int i = 0; i < iter; i++) {
			int fd;

			snprintf(path, sizeof(path), "%s/%u/%s", mnt, ids[rnd(&seed) % n], files[f]);
			if ((fd = open(path, O_RDONLY)) < 0 || read(fd, buf, sizeof(buf)) < 0)
				die(path);
			close(fd);
		}
		us[f] = (now_ms() - t0) * 1e3 / iter;
	}
	double t0 = now_ms();

	for (int i = 0; i < iter; i++) {
		struct stat st;

		snprintf(path, sizeof(path), "%s/%u/name", mnt, ids[rnd(&seed) % n]);
		if (stat(path, &st) < 0)
			die(path);
	}
	us[2] = (now_ms() - t0) * 1e3 / iter;
	printf("%.1f %.1f %.1f\n", us[0], us[1], us[2]);
	free(ids);
	return 0;
}

struct writer {
	pthread_t tid;
	char path[4096];
	double until;
	long done;
	int err;
};

static void *write_loop(void *arg)
{
	struct writer *w = arg;
	char val[32];

	while (now_ms() < w->until) {
		int fd = open(w->path, O_WRONLY | O_TRUNC);
		int len = snprintf(val, sizeof(val), "%ld\n", 512 + (w->done % 1000));

		if (fd < 0 || write(fd, val, (size_t)len) != len) {
			w->err = errno;
			if (fd >= 0)
				close(fd);
			break;
		}
		if (close(fd) < 0) {
			w->err = errno;
			break;
		}
		w->done++;
	}
	return NULL;
}

static int cmd_writes(const char *mnt, int nw, double secs)
{
	unsigned *ids;
	size_t n = list_cts(mnt, &ids);
	struct writer *w = calloc((size_t)nw, sizeof(*w));
	double t0, until;
	long total = 0;

	if (n == 0 || !w)
		return 1;
	t0 = now_ms();
	until = t0 + secs * 1e3;
	for (int i = 0; i < nw; i++) {
		/* spread over the document: first, last and in between */
		size_t k = nw > 1 ? (n - 1) * (size_t)i / (size_t)(nw - 1) : n / 2;

		snprintf(w[i].path, sizeof(w[i].path), "%s/%u/memory_mb", mnt, ids[k]);
		w[i].until = until;
		if (pthread_create(&w[i].tid, NULL, write_loop, &w[i]) != 0)
			die("pthread_create");
	}
	for (int i = 0; i < nw; i++) {
		pthread_join(w[i].tid, NULL);
		if (w[i].err) {
			fprintf(stderr, "phx_bench: %s: %s\n", w[i].path, strerror(w[i].err));
			return 1;
		}
		total += w[i].done;
	}
	printf("%.1f\n", total / ((now_ms() - t0) / 1e3));
	free(w);
	free(ids);
	return 0;
}

static int cmd_wait(const char *path, const char *prefix, double timeout_ms)
{
	double t0 = now_ms();
	size_t plen = strlen(prefix);
	char buf[4096];

	for (;;) {
		int fd = open(path, O_RDONLY);

		if (fd >= 0) {
			ssize_t r = read(fd, buf, sizeof(buf) - 1);

			close(fd);
			if (r >= 0 && (size_t)r >= plen && memcmp(buf, prefix, plen) == 0)
				break;
		}
		if (now_ms() - t0 > timeout_ms) {
			fprintf(stderr, "phx_bench: %s: no '%s' within %.0f ms\n", path, prefix,
				timeout_ms);
			return 1;
		}
		nanosleep(&(struct timespec){ 0, 1000 * 1000 }, NULL);
	}
	printf("%.1f\n", now_ms() - t0);
	return 0;
}

struct seen_reader {
	const char *path, *prefix;
	double seen;          /* CLOCK_MONOTONIC ms; 0 until seen */
	volatile bool stop;
};

static bool content_starts(const char *path, const char *prefix)
{
	char buf[4096];
	size_t plen = strlen(prefix);
	int fd = open(path, O_RDONLY);
	ssize_t r;

	if (fd < 0)
		return false;
	r = read(fd, buf, sizeof(buf));
	close(fd);
	return r >= 0 && (size_t)r >= plen && memcmp(buf, prefix, plen) == 0;
}

static void *seen_poll(void *arg)
{
	struct seen_reader *sr = arg;

	while (!sr->stop) {
		if (content_starts(sr->path, sr->prefix)) {
			sr->seen = now_ms();
			break;
		}
		nanosleep(&(struct timespec){ 0, 1000 * 1000 }, NULL);
	}
	return NULL;
}

static int cmd_seen(char **argv)
{
	const char *how = argv[0], *a = argv[1], *b = argv[2];
	struct seen_reader sr = { .path = argv[3], .prefix = argv[4] };
	double t0, done;
	pthread_t th;

	for (int i = 0; i < 3; i++) /* the reader's copy warm */
		if (content_starts(sr.path, sr.prefix)) {
			fprintf(stderr, "phx_bench: %s starts with '%s' already\n", sr.path,
				sr.prefix);
			return 1;
		}
	if (pthread_create(&th, NULL, seen_poll, &sr) != 0)
		die("pthread_create");
	t0 = now_ms();
	if (strcmp(how, "rename") == 0) {
		if (rename(a, b) != 0)
			die(b);
	} else {
		int fd = open(a, O_WRONLY | O_TRUNC);

		if (fd < 0 || write(fd, b, strlen(b)) != (ssize_t)strlen(b) || close(fd) != 0)
			die(a);
	}
	done = now_ms() - t0;
	for (int waited = 0; !sr.seen && waited < 30000; waited++)
		nanosleep(&(struct timespec){ 0, 1000 * 1000 }, NULL);
	sr.stop = true;
	pthread_join(th, NULL);
	if (!sr.seen) {
		fprintf(stderr, "phx_bench: %s: no '%s' within 30 s\n", sr.path, sr.prefix);
		return 1;
	}
	printf("%.1f %.1f\n", sr.seen - t0, done);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && strcmp(argv[1], "readpath") == 0)
		return cmd_readpath(atoi(argv[2]), (size_t)atol(argv[3]),
				    (const char *[2]){ argv[4], argv[5] });
	if (argc == 4 && strcmp(argv[1], "ops") == 0)
		return cmd_ops(argv[2], atoi(argv[3]));
	if (argc == 5 && strcmp(argv[1], "writes") == 0)
		return cmd_writes(argv[2], atoi(argv[3]), atof(argv[4]));
	if (argc == 5 && strcmp(argv[1], "wait") == 0)
		return cmd_wait(argv[2], argv[3], atof(argv[4]));
	if (argc == 7 && strcmp(argv[1], "seen") == 0 &&
	    (strcmp(argv[2], "write") == 0 || strcmp(argv[2], "rename") == 0))
		return cmd_seen(argv + 2);
	fprintf(stderr, "usage: phx_bench readpath REPS NDIRS MNT BASE | ops MNT ITER |\n"
			"       writes MNT WRITERS SECONDS | wait PATH PREFIX TIMEOUT_MS |\n"
			"       seen write PATH TEXT RPATH PREFIX | seen rename FROM TO RPATH PREFIX\n");
	return 2;
}
