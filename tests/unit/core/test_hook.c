/* Host hooks: exit status, output lines and tail, environment, timeouts that
 * end the whole session, a stop request, descriptors not inherited, and a
 * background grandchild that must not hold the caller. */
#include "backend/hook.h"
#include "tests/unit/check_run.h"

#include <check.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct lines {
	char text[8192];
	int n;
};

static void collect(void *arg, const char *line)
{
	struct lines *l = arg;

	l->n++;
	strncat(l->text, line, sizeof(l->text) - strlen(l->text) - 2);
	strcat(l->text, "|");
}

static int sh(const char *script, const char *const *env, int timeout_ms,
	      struct lines *l, struct phx_hook_result *res)
{
	const char *argv[] = { "/bin/sh", "-c", script, NULL };
	struct phx_hook h = {
		.argv = argv, .env = env, .timeout_ms = timeout_ms, .grace_ms = 200,
		.on_line = collect, .arg = l, .stop_fd = -1,
	};

	memset(l, 0, sizeof(*l));
	return phx_hook_run(&h, res);
}

START_TEST(status_and_lines)
{
	struct phx_hook_result res;
	struct lines l;
	char why[256];
	const char *argv[] = { "x", NULL };
	struct phx_hook h = { .argv = argv, .stop_fd = -1 };

	ck_assert_int_eq(sh("echo one; echo two >&2; printf three", NULL, 0, &l, &res), 0);
	ck_assert_int_eq(res.exit_status, 0);
	ck_assert_int_eq(l.n, 3);
	ck_assert_str_eq(l.text, "one|two|three|");
	ck_assert_str_eq(res.tail, "one\ntwo\nthree\n");

	ck_assert_int_eq(sh("echo failing; exit 3", NULL, 0, &l, &res), -1);
	ck_assert_int_eq(res.exit_status, 3);
	phx_hook_describe(&h, &res, why, sizeof(why));
	ck_assert_str_eq(why, "exited with status 3");

	ck_assert_int_eq(sh("kill -KILL $$", NULL, 0, &l, &res), -1);
	ck_assert_int_eq(res.term_signal, SIGKILL);
	phx_hook_describe(&h, &res, why, sizeof(why));
	ck_assert_str_eq(why, "killed by signal 9 (SIGKILL)");
}
END_TEST

START_TEST(tail_keeps_the_last_lines)
{
	struct phx_hook_result res;
	struct lines l;

	ck_assert_int_eq(sh("i=0; while [ $i -lt 500 ]; do echo line-$i; i=$((i+1)); done",
			    NULL, 0, &l, &res), 0);
	ck_assert_int_eq(l.n, 500);
	ck_assert_ptr_nonnull(strstr(res.tail, "line-499\n"));
	ck_assert_ptr_null(strstr(res.tail, "line-0\n"));
	ck_assert_uint_lt(strlen(res.tail), PHX_HOOK_TAIL_MAX);
	/* the tail starts at a line's beginning */
	ck_assert_int_eq(strncmp(res.tail, "line-", 5), 0);
}
END_TEST

START_TEST(long_line_is_cut)
{
	struct phx_hook_result res;
	struct lines l;

	ck_assert_int_eq(sh("head -c 10000 /dev/zero | tr '\\0' a; echo; echo after",
			    NULL, 0, &l, &res), 0);
	ck_assert_int_eq(l.n, 2);
	ck_assert_ptr_nonnull(strstr(l.text, "|after|"));
	ck_assert_uint_eq(strlen(l.text), PHX_HOOK_LINE_MAX + strlen("|after|"));
}
END_TEST

START_TEST(environment)
{
	const char *env[] = { "PHOENIX_CTID=910", "HOME=/nonexistent-home", NULL };
	struct phx_hook_result res;
	struct lines l;

	setenv("HOME", "/root", 1);
	ck_assert_int_eq(sh("echo $PHOENIX_CTID $HOME; test -n \"$PATH\"; pwd", env, 0,
			    &l, &res), 0);
	ck_assert_str_eq(l.text, "910 /nonexistent-home|/|");
}
END_TEST

/* Dead or a zombie waiting for init, within 5 s. */
static bool gone(int pid)
{
	for (int i = 0; i < 500; i++) {
		char path[64], st = 0;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		f = fopen(path, "r");
		if (!f)
			return true;
		if (fscanf(f, "%*d %*s %c", &st) != 1)
			st = 0;
		fclose(f);
		if (st == 'Z')
			return true;
		usleep(10000);
	}
	return false;
}

START_TEST(timeout_ends_the_session)
{
	struct phx_hook_result res;
	struct lines l;
	char why[256], pidfile[] = "/tmp/phx-hook-test-XXXXXX", cmd[512];
	const char *argv[] = { "x", NULL };
	struct phx_hook h = { .argv = argv, .timeout_ms = 300, .stop_fd = -1 };
	FILE *f;
	int fd = mkstemp(pidfile), gpid = 0;

	ck_assert_int_ge(fd, 0);
	close(fd);
	/* a grandchild that ignores nothing: it must die with the session */
	snprintf(cmd, sizeof(cmd), "sleep 600 & echo $! > %s; echo started; wait", pidfile);
	ck_assert_int_eq(sh(cmd, NULL, 300, &l, &res), -1);
	ck_assert(res.timed_out);
	ck_assert_str_eq(l.text, "started|");
	phx_hook_describe(&h, &res, why, sizeof(why));
	ck_assert_str_eq(why, "timed out after 0.300 s");
	f = fopen(pidfile, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%d", &gpid), 1);
	fclose(f);
	unlink(pidfile);
	/* the sleeper got SIGTERM with its session */
	ck_assert_msg(gone(gpid), "grandchild %d outlived the timeout", gpid);
}
END_TEST

START_TEST(term_ignored_gets_kill)
{
	struct phx_hook_result res;
	struct lines l;

	ck_assert_int_eq(sh("trap '' TERM; echo ready; while :; do sleep 0.05; done",
			    NULL, 200, &l, &res), -1);
	ck_assert(res.timed_out);
	ck_assert_int_eq(res.term_signal, SIGKILL);
}
END_TEST

START_TEST(stop_request)
{
	const char *argv[] = { "/bin/sh", "-c", "echo waiting; sleep 600", NULL };
	struct phx_hook_result res;
	struct lines l = { .n = 0 };
	int p[2];
	struct phx_hook h = {
		.argv = argv, .grace_ms = 200, .on_line = collect, .arg = &l,
	};

	ck_assert_int_eq(pipe(p), 0);
	h.stop_fd = p[0];
	ck_assert_int_eq(write(p[1], "x", 1), 1); /* already asked to stop */
	ck_assert_int_eq(phx_hook_run(&h, &res), -1);
	ck_assert(res.stopped);
	ck_assert(!res.timed_out);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(no_descriptor_leaks)
{
	struct phx_hook_result res;
	struct lines l;
	int fd = open("/dev/null", O_RDONLY); /* no O_CLOEXEC, like a careless library */

	ck_assert_int_ge(fd, 3);
	/* ls's own: 0, 1, 2 and 3 (the directory it reads); a leak would be 4 */
	ck_assert_int_eq(sh("exec ls -1 /proc/self/fd", NULL, 0, &l, &res), 0);
	ck_assert_str_eq(l.text, "0|1|2|3|");
	close(fd);
}
END_TEST

START_TEST(background_child_does_not_hold_us)
{
	struct phx_hook_result res;
	struct lines l;

	/* the daemonized sleeper keeps the pipe open; the hook itself is done */
	ck_assert_int_eq(sh("sleep 30 & echo done", NULL, 20000, &l, &res), 0);
	ck_assert(!res.timed_out);
	ck_assert_str_eq(l.text, "done|");
}
END_TEST

START_TEST(sigpipe_is_default)
{
	struct phx_hook_result res;
	struct lines l;

	/* with SIGPIPE ignored (the daemon's), yes would complain of EPIPE */
	ck_assert_int_eq(sh("yes | head -n 1", NULL, 0, &l, &res), 0);
	ck_assert_str_eq(l.text, "y|");
}
END_TEST

START_TEST(missing_command)
{
	const char *argv[] = { "/nonexistent/feature_install_x.sh", "910", NULL };
	struct phx_hook h = { .argv = argv, .stop_fd = -1 };
	struct phx_hook_result res;
	char why[256];

	ck_assert_int_eq(phx_hook_run(&h, &res), -1);
	ck_assert_int_eq(res.spawn_errno, ENOENT);
	phx_hook_describe(&h, &res, why, sizeof(why));
	ck_assert_str_eq(why, "could not be run: No such file or directory");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hook");
	TCase *tc = tcase_create("hook");

	signal(SIGPIPE, SIG_IGN); /* as the daemon has it: the child must not inherit it */
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, status_and_lines);
	tcase_add_test(tc, tail_keeps_the_last_lines);
	tcase_add_test(tc, long_line_is_cut);
	tcase_add_test(tc, environment);
	tcase_add_test(tc, timeout_ends_the_session);
	tcase_add_test(tc, term_ignored_gets_kill);
	tcase_add_test(tc, stop_request);
	tcase_add_test(tc, no_descriptor_leaks);
	tcase_add_test(tc, background_child_does_not_hold_us);
	tcase_add_test(tc, sigpipe_is_default);
	tcase_add_test(tc, missing_command);
	suite_add_tcase(s, tc);
	return phx_check_run(s);
}
