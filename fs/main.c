/* phoenixfs: mount phoenix_lxc_configs.json as a tree of container files.
 *
 * Start-up order matters: everything that can refuse (the config file, the
 * token file, the options) is checked while errors still reach the
 * terminal; threads start only after fuse_daemonize has forked. */
#include "backend/atomic_file.h"
#include "backend/chain.h"
#include "backend/doc.h"
#include "backend/engine.h"
#include "backend/log.h"
#include "backend/pve/pve_driver.h"
#include "fs/handle.h"
#include "fs/mtimes.h"
#include "fs/ops.h"
#include "fs/options.h"
#include "fs/pcache.h"
#include "fs/replace.h"
#include "fs/phoenixfs.h"
#include "fs/scratch.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A temporary file of a save is older than this only when its writer died
 * (a live one holds a lock on it as well): a save takes milliseconds. */
#define STALE_TEMP_S 60

/* FUSE threads that readers blocked on wait leave for everything else. */
#define FREE_THREADS 4

/* An absolute path for the config even if it does not exist yet: the
 * daemon changes directory to / when it goes to the background. */
static char *absolute(const char *path)
{
	char *dcopy = strdup(path), *bcopy = strdup(path), *out = NULL;
	char dir[PATH_MAX];

	if (dcopy && bcopy && realpath(dirname(dcopy), dir)) {
		const char *base = basename(bcopy);

		if (asprintf(&out, "%s/%s", strcmp(dir, "/") ? dir : "", base) < 0)
			out = NULL;
	}
	free(dcopy);
	free(bcopy);
	return out;
}

static int make_driver(const struct phx_options *o, struct phx_driver *drv)
{
	struct phx_pve_opts po = {
		.url = o->pve_url,
		.token_file = o->pve_token_file,
		.fingerprint = o->pve_fingerprint,
		.cafile = o->pve_cafile,
		.insecure = o->pve_insecure,
		.connections = o->jobs + 2,
		/* One attempt per call: the engine's steps.c is the one retry
		 * policy (attempts, backoff, lock waits). Retrying here too
		 * multiplied them: 4 HTTP tries x 5 engine tries x 30 s. */
		.retries = 1,
		.timeout_ms = 0, /* the driver's: longer than pveproxy's 30 s hop */
	};
	struct phx_err err = { 0 };

	if (phx_pve_driver_new(drv, &po, &err) < 0) {
		fprintf(stderr, "phoenixfs: %s\n", err.msg);
		return -1;
	}
	if (o->pve_insecure)
		phx_warn("pve_insecure: the server certificate of %s is not verified", o->pve_url);
	return 0;
}

/* At mount the backend is not known yet: a clone source without an entry
 * may well be a container there (the engine says so later if not). */
static bool source_may_exist(void *arg, uint32_t ctid)
{
	(void)arg;
	(void)ctid;
	return true;
}

/* A clone cycle inside the file is certain, though, and every build on it
 * would wait on itself: refuse to mount, as for bad JSON, and leave the
 * file for its owner to fix. */
static int check_cycles(struct phx_doc *doc, char *err, size_t errlen)
{
	int rc;

	phx_doc_rdlock(doc);
	rc = phx_chain_check_all(phx_doc_configs(phx_doc_root(doc), false),
				 source_may_exist, NULL, err, errlen);
	/* the same for a cycle through dependencies and clone sources */
	if (rc == 0)
		rc = phx_order_check_all(phx_doc_configs(phx_doc_root(doc), false), err, errlen);
	phx_doc_unlock(doc);
	return rc;
}

/* Where the values' times wait between mounts (mtimes.h): beside the
 * config, as its journal. malloc'd. */
static char *mtimes_for(const char *config)
{
	char *dcopy = strdup(config), *bcopy = strdup(config), *out = NULL;

	if (dcopy && bcopy &&
	    asprintf(&out, "%s/.%s.phoenixfs-mtimes", dirname(dcopy), basename(bcopy)) < 0)
		out = NULL;
	free(dcopy);
	free(bcopy);
	return out;
}

/* The signal libfuse sends to interrupt a request's thread: nothing to do. */
static void intr_signal_noop(int sig)
{
	(void)sig;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct phx_options o;
	struct phx_fs fs = { 0 };
	struct phx_driver drv = { 0 };
	struct fuse *fuse = NULL;
	struct fuse_loop_config *loop = NULL;
	char err[1024], *config = NULL, *journal = NULL, *mountpoint = NULL;
	char *mtimes_path = NULL;
	bool mtimes_read = false, ran = false;
	int rc = 1, removed;

	/* glibc gives threads that meet on its lock new arenas, up to 8 per
	 * core, and each keeps the memory it once held: FUSE workers (up to
	 * max_threads) and engine workers spread 100k operations over dozens
	 * of arenas and RSS grew from 8 to 161 MB with nothing leaked (37 MB
	 * in the same run with one arena). Our allocations are small and
	 * short-lived: two arenas bound the growth and still let the engine's
	 * workers allocate beside the FUSE side. MALLOC_ARENA_MAX in the
	 * environment still wins. */
	if (!getenv("MALLOC_ARENA_MAX"))
		mallopt(M_ARENA_MAX, 2);
	phx_fs_init(&fs);
	if (phx_options_parse(&args, &o) < 0)
		goto out;
	if (o.help) {
		phx_options_usage(argv[0]);
		printf("\nFUSE options:\n");
		fuse_lib_help(&args);
		rc = 0;
		goto out;
	}
	if (o.version) {
		printf("phoenixfs %s (libfuse %s)\n", PHX_VERSION, fuse_pkgversion());
		rc = 0;
		goto out;
	}
	phx_log_init("phoenixfs", false, o.debug);

	config = absolute(o.config);
	if (!config) {
		fprintf(stderr, "phoenixfs: %s: the directory of the config file: %s\n",
			o.config, strerror(errno));
		goto out;
	}
	/* The mount point too: libfuse unmounts by the path it mounted, after
	 * fuse_daemonize has changed directory to /, so a relative one would
	 * leave the mount behind on SIGTERM. */
	mountpoint = realpath(o.mountpoint, NULL);
	if (!mountpoint) {
		fprintf(stderr, "phoenixfs: %s: the mount point: %s\n", o.mountpoint,
			strerror(errno));
		goto out;
	}
	/* Temporary files of saves cut short by a kill would pile up beside
	 * the config (and the journal) otherwise. */
	if ((removed = atomic_file_clean_stale(config, STALE_TEMP_S)) > 0)
		phx_info("removed %d temporary file(s) left beside %s by an interrupted save",
			 removed, config);
	if (phx_doc_open(&fs.doc, config, err, sizeof(err)) < 0) {
		fprintf(stderr, "phoenixfs: cannot mount: %s\n", err);
		goto out;
	}
	if (check_cycles(fs.doc, err, sizeof(err)) < 0) {
		fprintf(stderr, "phoenixfs: cannot mount: %s: %s\n", config, err);
		goto out;
	}
	if (o.pve_url && make_driver(&o, &drv) < 0)
		goto out;
	fs.scratch = phx_scratch_new();
	fs.replace = phx_replace_new();
	{
		/* values not changed since the mount: the file's own time */
		struct stat cst = { 0 };
		struct timespec base;

		if (stat(config, &cst) == 0)
			base = cst.st_mtim;
		else
			clock_gettime(CLOCK_REALTIME, &base);
		fs.mtimes = phx_mtimes_new(fs.doc, base);
		mtimes_path = mtimes_for(config);
		if (fs.mtimes && mtimes_path) {
			int restored;

			atomic_file_clean_stale(mtimes_path, STALE_TEMP_S);
			mtimes_read = access(mtimes_path, F_OK) == 0;
			restored = phx_mtimes_load(fs.mtimes, mtimes_path);
			if (restored > 0)
				phx_info("times of %d unchanged entries kept from the last unmount",
					 restored);
			/* read once: after a crash there is none, and every
			 * value takes the config's time (mtimes.h) */
			unlink(mtimes_path);
		}
	}
	fs.uid = getuid();
	fs.gid = getgid();
	fs.writers = &o.writers;
	fs.max_waiters = o.max_threads > 2 * FREE_THREADS ? o.max_threads - FREE_THREADS
							  : o.max_threads / 2;
	journal = phx_engine_journal_for_mount(config, mountpoint);
	if (!fs.scratch || !fs.replace || !fs.mtimes || !mtimes_path || !journal)
		goto out;
	atomic_file_clean_stale(journal, STALE_TEMP_S);
	if (o.pve_url && phx_engine_journal_check(journal, err, sizeof(err)) < 0) {
		fprintf(stderr, "phoenixfs: cannot mount: %s\n", err);
		goto out;
	}

	/* With cfg->intr (set in init), libfuse sends SIGUSR1 to the thread
	 * of an interrupted request, but before 3.17 it installs the handler
	 * for it only when intr is set at fuse_new time, which 3.x no longer
	 * allows (libfuse PR #958): the default action then killed the
	 * daemon when a `cat wait` was interrupted. Install the same no-op
	 * handler ourselves; wait notices the interrupt by polling. */
	if (sigaction(SIGUSR1, &(struct sigaction){ .sa_handler = intr_signal_noop }, NULL) < 0)
		goto out;
	/* A file-size limit (RLIMIT_FSIZE: systemd's LimitFSIZE, ulimit -f)
	 * that a save of the config passes must fail that save with EFBIG,
	 * told to the writer as pmxcfs's 1 MiB limit is, not kill the daemon
	 * with SIGXFSZ's default action. Hooks get the default back
	 * (hook.c). */
	if (sigaction(SIGXFSZ, &(struct sigaction){ .sa_handler = SIG_IGN }, NULL) < 0)
		goto out;
	fuse = fuse_new(&args, &phx_ops, sizeof(phx_ops), &fs);
	if (!fuse)
		goto out;
	if (fuse_mount(fuse, mountpoint) != 0)
		goto out_destroy;
	if (fuse_daemonize(o.foreground) != 0)
		goto out_unmount;
	if (!o.foreground)
		phx_log_init("phoenixfs", true, o.debug);

	struct phx_engine_cfg ecfg = {
		.doc = fs.doc,
		.driver = o.pve_url ? &drv : NULL,
		.default_node = o.pve_node,
		.jobs = o.jobs,
		.refresh_ms = o.refresh * 1000,
		.journal_path = journal,
		.reconcile = o.reconcile,
		.feature_dir = o.feature_dir,
		.app_script_dir = o.app_script_dir,
		.hook_timeout_ms = o.hook_timeout * 1000,
		.config_path = config,
		.mountpoint = mountpoint,
		.pve_conf_dir = o.pve_conf_dir,
		.lock_dir = o.lock_dir,
		.lock_expiry_s = o.lock_expiry,
	};
	if (phx_engine_start(&fs.engine, &ecfg, err, sizeof(err)) < 0) {
		phx_err("cannot start: %s", err);
		goto out_unmount;
	}
	/* Outside edits of the config file show up within a second (and reach
	 * the engine through the document's change feed): without the watcher
	 * they would be silently ignored, so failing to start it is fatal. */
	if ((rc = phx_doc_watch_start(fs.doc, 1000)) < 0) {
		phx_err("cannot start: watching %s for outside edits: %s", config, strerror(-rc));
		rc = 1;
		goto out_engine;
	}
	/* Without it every read still reaches us: slower, never wrong. */
	if (!(fs.pcache = phx_pcache_start(&fs, fuse)))
		phx_warn("the kernel's page cache is not used: out of memory");
	rc = 1;
	if (fuse_set_signal_handlers(fuse_get_session(fuse)) != 0)
		goto out_engine;
	phx_info("mounted %s on %s (%s)", config, mountpoint,
		 o.pve_url ? o.pve_url : "offline: no pve_url");

	loop = fuse_loop_cfg_create();
	fuse_loop_cfg_set_clone_fd(loop, 0);
	fuse_loop_cfg_set_max_threads(loop, o.max_threads);
	ran = true;
	rc = fuse_loop_mt(fuse, loop);
	/* libfuse returns the number of the signal that ended the loop: a stop
	 * asked for (systemctl stop, Ctrl-C) is a clean exit, not a failure
	 * for systemd to record. */
	rc = rc == 0 || rc == SIGTERM || rc == SIGINT || rc == SIGHUP ? 0 : 1;
	fuse_loop_cfg_destroy(loop);
	fuse_remove_signal_handlers(fuse_get_session(fuse));
	phx_info("unmounting %s", mountpoint);
out_engine:
	phx_doc_watch_stop(fs.doc);
	/* no notice to the kernel once the unmount has closed the session's
	 * fd; one blocked in the kernel ends with the connection (pcache.h) */
	phx_pcache_halt(fs.pcache);
	/* Unmount first so that no new request arrives while the engine stops. */
	fuse_unmount(fuse);
	phx_pcache_stop(fs.pcache); /* before the engine it asks */
	fs.pcache = NULL;
	phx_engine_stop(fs.engine);
	fs.engine = NULL;
	/* no request runs any more, and none will release what is open */
	phx_handle_free_all(&fs);
	goto out_destroy;
out_unmount:
	fuse_unmount(fuse);
out_destroy:
	fuse_destroy(fuse);
out:
	if (fs.engine)
		phx_engine_stop(fs.engine);
	phx_driver_destroy(&drv);
	/* Written by a mount that ran, and written back once read (a refused
	 * start writes what it read: the hashes keep it true); a refused
	 * mount of a new config leaves nothing beside it. */
	if (fs.mtimes && (mtimes_read || ran) && phx_mtimes_save(fs.mtimes, mtimes_path, err, sizeof(err)) < 0)
		phx_warn("%s: not saved (every value takes the config's time at the next "
			 "mount): %s", mtimes_path, err);
	phx_mtimes_free(fs.mtimes); /* before the document it subscribed to */
	phx_doc_close(fs.doc);
	phx_scratch_free(fs.scratch);
	phx_replace_free(fs.replace);
	phx_fs_destroy(&fs);
	free(config);
	free(mountpoint);
	free(journal);
	free(mtimes_path);
	phx_options_free(&o);
	fuse_opt_free_args(&args);
	return rc;
}
