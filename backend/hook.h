/* Running a host command for a container: feature install scripts and
 * application scripts (the origin's bin/lxc_setup/ layout).
 *
 * A hook is a child process in its own session, so that a timeout or a
 * shutdown can end it together with whatever it started. It inherits no
 * descriptor but /dev/null on stdin and one pipe on stdout and stderr: the
 * daemon's /dev/fuse, sockets and the config file's lock must never live on
 * in a script (a leaked /dev/fuse would keep the mount busy after a
 * `fusermount3 -u`). Output is handed over line by line as it comes, and the
 * last lines are kept for the container's `error`.
 *
 * The caller runs this on an engine worker, never on a FUSE thread: a hook
 * may read and write the mount itself. Nothing here takes a lock. */
#ifndef PHX_HOOK_H
#define PHX_HOOK_H

#include <stdbool.h>
#include <stddef.h>

#define PHX_HOOK_LINE_MAX 4096 /* longer lines are cut, the rest dropped */
#define PHX_HOOK_TAIL_MAX 1024 /* bytes of the last lines kept */

struct phx_hook {
	/* argv[0] is run as given: an absolute path, or looked up on PATH. */
	const char *const *argv;
	/* NAME=VALUE entries added to (or replacing in) the daemon's
	 * environment; NULL-terminated, or NULL for none. */
	const char *const *env;
	/* Working directory of the child, or NULL for "/". */
	const char *cwd;
	/* After this many milliseconds the session gets SIGTERM, and SIGKILL
	 * after `grace_ms` more. 0 means no limit. */
	int timeout_ms;
	int grace_ms;
	/* Each line of output (stdout and stderr as they interleave), without
	 * its newline. May be NULL. Called on the caller's thread. */
	void (*on_line)(void *arg, const char *line);
	void *arg;
	/* A descriptor that becomes readable when the caller wants the hook
	 * ended now (shutdown): -1 for none. It is only polled, never read. */
	int stop_fd;
};

struct phx_hook_result {
	int spawn_errno;  /* the command could not be started: its errno */
	int exit_status;  /* exit status when it exited, else -1 */
	int term_signal;  /* the signal that ended it, else 0 */
	bool timed_out;   /* ended by us after timeout_ms */
	bool stopped;     /* ended by us because stop_fd became readable */
	char tail[PHX_HOOK_TAIL_MAX]; /* last lines of output, newline-separated */
};

/* Run the hook to its end. Returns 0 when it exited with status 0, and
 * -1 otherwise; `res` says what happened either way. */
int phx_hook_run(const struct phx_hook *h, struct phx_hook_result *res);

/* One sentence for `error` and `log`: "exited with status 3",
 * "killed by signal 9", "timed out after 30 s", "could not be run: ...". */
void phx_hook_describe(const struct phx_hook *h, const struct phx_hook_result *res,
		       char *buf, size_t len);

#endif
