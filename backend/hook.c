#include "backend/hook.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int64_t now_ms(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC: a clock jump must not end or prolong a hook */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The daemon's environment with h->env laid over it (same NAME replaced). */
static char **build_env(const char *const *extra)
{
	size_t n = 0, k = 0, i, j;
	char **env;

	while (environ && environ[n])
		n++;
	while (extra && extra[k])
		k++;
	env = calloc(n + k + 1, sizeof(*env));
	if (!env)
		return NULL;
	k = 0;
	for (i = 0; i < n; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t nl = eq ? (size_t)(eq - environ[i]) + 1 : strlen(environ[i]);
		bool replaced = false;

		for (j = 0; extra && extra[j]; j++)
			if (strncmp(extra[j], environ[i], nl) == 0)
				replaced = true;
		if (!replaced)
			env[k++] = environ[i];
	}
	for (j = 0; extra && extra[j]; j++)
		env[k++] = (char *)extra[j];
	env[k] = NULL;
	return env;
}

struct output {
	const struct phx_hook *h;
	struct phx_hook_result *res;
	char line[PHX_HOOK_LINE_MAX + 1];
	size_t len;
	bool cut; /* the current line passed PHX_HOOK_LINE_MAX: drop the rest */
};

static void keep_tail(struct phx_hook_result *res, const char *line, size_t len)
{
	size_t have = strlen(res->tail), room = sizeof(res->tail) - 1;

	if (len + 1 > room) { /* one line longer than the tail: keep its end */
		line += len + 1 - room;
		len = room - 1;
	}
	while (have + len + 1 > room) { /* drop whole lines from the front */
		char *nl = memchr(res->tail, '\n', have);
		size_t drop = nl ? (size_t)(nl - res->tail) + 1 : have;

		memmove(res->tail, res->tail + drop, have - drop + 1);
		have -= drop;
	}
	memcpy(res->tail + have, line, len);
	res->tail[have + len] = '\n';
	res->tail[have + len + 1] = '\0';
}

static void end_line(struct output *o)
{
	if (o->len > 0 && o->line[o->len - 1] == '\r')
		o->len--;
	o->line[o->len] = '\0';
	keep_tail(o->res, o->line, o->len);
	if (o->h->on_line)
		o->h->on_line(o->h->arg, o->line);
	o->len = 0;
	o->cut = false;
}

static void take(struct output *o, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			end_line(o);
		} else if (o->len < PHX_HOOK_LINE_MAX) {
			/* NUL bytes would end the line early for every reader */
			o->line[o->len++] = buf[i] ? buf[i] : '?';
		} else {
			o->cut = true;
		}
	}
}

/* Read what the pipe has. Returns false at EOF or error. */
static bool read_some(int fd, struct output *o)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	if (n == 0)
		return false;
	take(o, buf, (size_t)n);
	return true;
}

/* Take what is in the pipe now, without waiting for more. */
static void drain(int fd, struct output *o)
{
	char buf[4096];
	ssize_t n;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			take(o, buf, (size_t)n);
}

static int spawn(const struct phx_hook *h, int out_fd, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dflt;
	char **env = build_env(h->env);
	int rc;

	if (!env)
		return ENOMEM;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 2);
	/* Nothing of the daemon's beyond 0-2: not /dev/fuse, not the token's
	 * connections, not the config's flock. */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawn_file_actions_addchdir_np(&fa, h->cwd ? h->cwd : "/");

	posix_spawnattr_init(&attr);
	/* Its own session: a timeout ends the hook and all it started. The
	 * workers block signals for the FUSE loop, and a hook must start with
	 * none blocked and the usual dispositions (SIGPIPE above all; SIGXFSZ,
	 * which the daemon ignores). */
	sigemptyset(&none);
	sigemptyset(&dflt);
	sigaddset(&dflt, SIGPIPE);
	sigaddset(&dflt, SIGINT);
	sigaddset(&dflt, SIGTERM);
	sigaddset(&dflt, SIGHUP);
	sigaddset(&dflt, SIGQUIT);
	sigaddset(&dflt, SIGCHLD);
	sigaddset(&dflt, SIGUSR1);
	sigaddset(&dflt, SIGUSR2);
	sigaddset(&dflt, SIGXFSZ);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dflt);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
					       POSIX_SPAWN_SETSIGDEF);

	rc = posix_spawnp(pid, h->argv[0], &fa, &attr, (char *const *)h->argv, env);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	return rc;
}

int phx_hook_run(const struct phx_hook *h, struct phx_hook_result *res)
{
	struct output o = { .h = h, .res = res };
	int p[2], pidfd, status = 0, rc;
	int64_t deadline, kill_at = -1;
	bool exited = false, reaped = false, eof = false;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	res->exit_status = -1;
	if (!h->argv || !h->argv[0]) {
		res->spawn_errno = EINVAL;
		return -1;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		res->spawn_errno = errno;
		return -1;
	}
	rc = spawn(h, p[1], &pid);
	close(p[1]);
	if (rc != 0) {
		close(p[0]);
		res->spawn_errno = rc;
		return -1;
	}
	/* A pidfd tells the child's end without polling; without one (old
	 * kernels) waitpid is asked every 100 ms. */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	deadline = h->timeout_ms > 0 ? now_ms() + h->timeout_ms : -1;

	while (!exited) {
		struct pollfd fds[3];
		int nfds = 0, wait_ms = -1, ipipe = -1, ipid = -1, istop = -1;
		int64_t t = now_ms(), next = kill_at >= 0 ? kill_at : deadline;

		if (!eof) {
			ipipe = nfds;
			fds[nfds++] = (struct pollfd){ .fd = p[0], .events = POLLIN };
		}
		if (pidfd >= 0) {
			ipid = nfds;
			fds[nfds++] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
		} else {
			wait_ms = 100;
		}
		if (h->stop_fd >= 0 && !res->stopped && !res->timed_out) {
			istop = nfds;
			fds[nfds++] = (struct pollfd){ .fd = h->stop_fd, .events = POLLIN };
		}
		if (next >= 0) {
			int64_t left = next > t ? next - t : 0;

			if (wait_ms < 0 || left < wait_ms)
				wait_ms = (int)left;
		}
		if (poll(fds, (nfds_t)nfds, wait_ms) < 0 && errno != EINTR)
			break;
		if (ipipe >= 0 && (fds[ipipe].revents & (POLLIN | POLLHUP | POLLERR)))
			eof = !read_some(p[0], &o);
		if (ipid >= 0 && (fds[ipid].revents & POLLIN))
			exited = true;
		else if (pidfd < 0 && waitpid(pid, &status, WNOHANG) == pid)
			exited = reaped = true;
		if (exited)
			break;
		t = now_ms();
		if (istop >= 0 && (fds[istop].revents & (POLLIN | POLLHUP))) {
			res->stopped = true;
			kill(-pid, SIGTERM);
			kill_at = t + h->grace_ms;
		} else if (kill_at < 0 && deadline >= 0 && t >= deadline) {
			res->timed_out = true;
			kill(-pid, SIGTERM);
			kill_at = t + h->grace_ms;
		} else if (kill_at >= 0 && t >= kill_at) {
			kill(-pid, SIGKILL);
			kill_at = -1;
			deadline = -1;
		}
	}
	/* What the child wrote before it ended is in the pipe; a grandchild
	 * that still holds the pipe open must not keep us here. */
	if (!eof)
		drain(p[0], &o);
	if (o.len > 0 || o.cut)
		end_line(&o);
	close(p[0]);
	if (pidfd >= 0)
		close(pidfd);
	if (!reaped)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	if (WIFEXITED(status))
		res->exit_status = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		res->term_signal = WTERMSIG(status);
	return res->exit_status == 0 && !res->timed_out && !res->stopped ? 0 : -1;
}

void phx_hook_describe(const struct phx_hook *h, const struct phx_hook_result *res,
		       char *buf, size_t len)
{
	if (res->spawn_errno)
		snprintf(buf, len, "could not be run: %s", strerror(res->spawn_errno));
	else if (res->timed_out)
		snprintf(buf, len, "timed out after %d.%03d s", h->timeout_ms / 1000,
			 h->timeout_ms % 1000);
	else if (res->stopped)
		snprintf(buf, len, "stopped: phoenixfs is shutting down");
	else if (res->term_signal)
		snprintf(buf, len, "killed by signal %d (SIG%s)", res->term_signal,
			 sigabbrev_np(res->term_signal) ? sigabbrev_np(res->term_signal) : "?");
	else
		snprintf(buf, len, "exited with status %d", res->exit_status);
}
