#include "fs/options.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { KEY_HELP, KEY_VERSION, KEY_FOREGROUND, KEY_DEBUG, KEY_WRITE_USER, KEY_WRITE_GROUP };

#define OPT(t, f, v) { t, offsetof(struct phx_options, f), v }

static const struct fuse_opt spec[] = {
	OPT("config=%s", config, 0),
	OPT("pve_url=%s", pve_url, 0),
	OPT("pve_node=%s", pve_node, 0),
	OPT("pve_token_file=%s", pve_token_file, 0),
	OPT("pve_fingerprint=%s", pve_fingerprint, 0),
	OPT("pve_cafile=%s", pve_cafile, 0),
	OPT("pve_insecure", pve_insecure, 1),
	OPT("refresh=%u", refresh, 0),
	OPT("jobs=%u", jobs, 0),
	OPT("max_threads=%u", max_threads, 0),
	OPT("reconcile=%s", reconcile_word, 0),
	OPT("feature_dir=%s", feature_dir, 0),
	OPT("app_script_dir=%s", app_script_dir, 0),
	OPT("hook_timeout=%u", hook_timeout, 0),
	OPT("pve_conf_dir=%s", pve_conf_dir, 0),
	OPT("lock_dir=%s", lock_dir, 0),
	OPT("lock_expiry=%u", lock_expiry, 0),
	/* repeatable, hence keys rather than fields */
	FUSE_OPT_KEY("allow_write_user=", KEY_WRITE_USER),
	FUSE_OPT_KEY("allow_write_group=", KEY_WRITE_GROUP),
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-V", KEY_VERSION),
	FUSE_OPT_KEY("--version", KEY_VERSION),
	FUSE_OPT_KEY("-f", KEY_FOREGROUND),
	FUSE_OPT_KEY("-d", KEY_DEBUG),
	FUSE_OPT_KEY("debug", KEY_DEBUG),
	FUSE_OPT_END
};

void phx_options_usage(const char *prog)
{
	printf("usage: %s [-f] [-d] [-o OPTION[,OPTION...]] [CONFIG] MOUNTPOINT\n"
	       "\n"
	       "phoenixfs presents phoenix_lxc_configs.json as a tree of files and turns\n"
	       "writes into Proxmox VE container builds (see phoenixfs(8)).\n"
	       "\n"
	       "options:\n"
	       "    -h, --help             print this help and exit\n"
	       "    -V, --version          print the version and exit\n"
	       "    -f                     stay in the foreground, log to stderr\n"
	       "    -d                     debug: foreground, log every FUSE request\n"
	       "    -o config=PATH         the desired-state file (default %s)\n"
	       "    -o pve_url=URL         Proxmox VE API, e.g. https://pve1:8006 (none: offline)\n"
	       "    -o pve_node=NAME       node for new containers (default: the only node)\n"
	       "    -o pve_token_file=PATH USER@REALM!TOKENID=SECRET, mode 0600 or 0400\n"
	       "    -o pve_fingerprint=HEX SHA-256 fingerprint of the server certificate to pin\n"
	       "    -o pve_cafile=PATH     CA bundle to verify the server with\n"
	       "    -o pve_insecure        do not verify the server certificate\n"
	       "    -o refresh=SECONDS     how often backend state is re-read (default 5)\n"
	       "    -o jobs=N              backend operations in flight at most (default 4)\n"
	       "    -o reconcile=MODE      drift (changes made outside phoenixfs): report\n"
	       "                           shows it, apply also puts the entry back (default report)\n"
	       "    -o max_threads=N       FUSE worker threads at most (default 4096;\n"
	       "                           each blocked reader of a wait file holds one)\n"
	       "    -o feature_dir=DIR     run DIR/phoenix_hypervisor_feature_install_<feature>.sh\n"
	       "                           CTID [bootstrap_ca_url] for each of a container's features\n"
	       "    -o app_script_dir=DIR  run DIR/<application_script> CTID after the features\n"
	       "    -o hook_timeout=SECONDS  a feature or application script is ended after\n"
	       "                           this long (default 1800, 0: no limit)\n"
	       "    -o pve_conf_dir=DIR    write the keys an API token cannot set into\n"
	       "                           DIR/CTID.conf (root on a Proxmox node: /etc/pve/lxc)\n"
	       "    -o lock_dir=DIR        work locks shared by the mounts of this config, one\n"
	       "                           per node (default: .CONFIG.phoenixfs-locks beside it;\n"
	       "                           /etc/pve/priv/lock on pmxcfs)\n"
	       "    -o lock_expiry=SECONDS a mount's work lock not renewed for this long is\n"
	       "                           taken over by another mount (default 120)\n"
	       "    -o allow_write_user=USER    USER (a name or uid) may change the tree too;\n"
	       "                           repeat for more (default: root and the mount's owner)\n"
	       "    -o allow_write_group=GROUP  members of GROUP (a name or gid) may change it\n"
	       "    -o allow_other         let other users read the tree (they cannot change it\n"
	       "                           unless named by allow_write_user/allow_write_group)\n"
	       "    -o allow_root, -o default_permissions, ... standard FUSE options\n",
	       prog, PHX_DEFAULT_CONFIG);
}

static int proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	struct phx_options *o = data;
	char err[256];

	(void)outargs;
	switch (key) {
	case KEY_WRITE_USER:
	case KEY_WRITE_GROUP: {
		const char *spec = strchr(arg, '=') + 1;
		int rc = key == KEY_WRITE_USER
				 ? phx_writers_add_user(&o->writers, spec, err, sizeof(err))
				 : phx_writers_add_group(&o->writers, spec, err, sizeof(err));

		if (rc < 0) {
			fprintf(stderr, "phoenixfs: %s\n", err);
			return -1;
		}
		return 0;
	}
	case KEY_HELP:
		o->help = true;
		return 0;
	case KEY_VERSION:
		o->version = true;
		return 0;
	case KEY_FOREGROUND:
		o->foreground = true;
		return 0;
	case KEY_DEBUG:
		o->debug = o->foreground = true;
		return 1; /* libfuse prints requests too */
	case FUSE_OPT_KEY_NONOPT:
		if (o->nonopts >= 2) {
			fprintf(stderr, "phoenixfs: too many arguments: '%s'\n", arg);
			return -1;
		}
		o->positional[o->nonopts++] = strdup(arg);
		return 0;
	default:
		return 1;
	}
}

/* Name the mount after its config file and type it fuse.phoenixfs, as an
 * fstab line says: mount(8) recognises an entry as already mounted only when
 * source and type match, so without this `mount -a` stacks a second mount.
 * Inserted first so that fsname= or subtype= given by the user still win. */
static int add_mount_identity(struct fuse_args *args, const char *config)
{
	char *fsname = NULL, *opts = NULL, *arg = NULL;
	int rc = -1;

	if (asprintf(&fsname, "fsname=%s", config) < 0) {
		fsname = NULL;
		goto out;
	}
	if (fuse_opt_add_opt(&opts, "subtype=phoenixfs") != 0 ||
	    fuse_opt_add_opt_escaped(&opts, fsname) != 0)
		goto out;
	if (asprintf(&arg, "-o%s", opts) < 0) {
		arg = NULL;
		goto out;
	}
	rc = fuse_opt_insert_arg(args, 1, arg);
out:
	free(fsname);
	free(opts);
	free(arg);
	return rc;
}

int phx_options_parse(struct fuse_args *args, struct phx_options *o)
{
	memset(o, 0, sizeof(*o));
	o->refresh = 5;
	o->jobs = 4;
	o->max_threads = 4096;
	o->hook_timeout = 1800;
	o->lock_expiry = 120;
	if (fuse_opt_parse(args, o, spec, proc) != 0)
		return -1;
	if (o->help || o->version)
		return 0;
	if (o->nonopts == 0) {
		fprintf(stderr, "phoenixfs: no mount point given (try --help)\n");
		return -1;
	}
	o->mountpoint = o->positional[o->nonopts - 1];
	if (o->nonopts == 2) {
		if (o->config && strcmp(o->config, o->positional[0]) != 0) {
			fprintf(stderr, "phoenixfs: CONFIG given twice ('%s' and config=%s)\n",
				o->positional[0], o->config);
			return -1;
		}
		free(o->config);
		o->config = strdup(o->positional[0]);
	}
	if (!o->config)
		o->config = strdup(PHX_DEFAULT_CONFIG);
	if (o->jobs == 0 || o->jobs > 256) {
		fprintf(stderr, "phoenixfs: jobs=%u: expected 1 to 256\n", o->jobs);
		return -1;
	}
	if (o->refresh == 0 || o->refresh > 86400) {
		fprintf(stderr, "phoenixfs: refresh=%u: expected 1 to 86400 seconds\n", o->refresh);
		return -1;
	}
	if (!o->reconcile_word || strcmp(o->reconcile_word, "report") == 0) {
		o->reconcile = PHX_RECONCILE_REPORT;
	} else if (strcmp(o->reconcile_word, "apply") == 0) {
		o->reconcile = PHX_RECONCILE_APPLY;
	} else {
		fprintf(stderr, "phoenixfs: reconcile=%s: expected report or apply\n", o->reconcile_word);
		return -1;
	}
	if (o->hook_timeout > 7 * 86400) {
		fprintf(stderr, "phoenixfs: hook_timeout=%u: expected 0 to 604800 seconds\n",
			o->hook_timeout);
		return -1;
	}
	if (o->lock_expiry < 2 || o->lock_expiry > 86400) {
		fprintf(stderr, "phoenixfs: lock_expiry=%u: expected 2 to 86400 seconds\n",
			o->lock_expiry);
		return -1;
	}
	for (int i = 0; i < 4; i++) {
		const char *name[] = { "feature_dir", "app_script_dir", "pve_conf_dir", "lock_dir" };
		const char *v[] = { o->feature_dir, o->app_script_dir, o->pve_conf_dir, o->lock_dir };

		if (v[i] && v[i][0] != '/') {
			fprintf(stderr, "phoenixfs: %s=%s: expected an absolute path\n", name[i], v[i]);
			return -1;
		}
	}
	if (o->pve_url && !o->pve_token_file) {
		fprintf(stderr, "phoenixfs: pve_url needs pve_token_file\n");
		return -1;
	}
	if (o->pve_url && strncmp(o->pve_url, "https://", 8) != 0) {
		fprintf(stderr, "phoenixfs: pve_url=%s: the Proxmox VE API is served over https://\n",
			o->pve_url);
		return -1;
	}
	if (add_mount_identity(args, o->config) != 0) {
		fprintf(stderr, "phoenixfs: out of memory\n");
		return -1;
	}
	return 0;
}

void phx_options_free(struct phx_options *o)
{
	free(o->config);
	free(o->pve_url);
	free(o->pve_node);
	free(o->pve_token_file);
	free(o->pve_fingerprint);
	free(o->pve_cafile);
	free(o->reconcile_word);
	free(o->feature_dir);
	free(o->app_script_dir);
	free(o->pve_conf_dir);
	free(o->lock_dir);
	free(o->positional[0]);
	free(o->positional[1]);
	phx_writers_free(&o->writers);
}
