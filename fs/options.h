/* Command line and -o options (phoenixfs(8), OPTIONS). */
#ifndef PHX_OPTIONS_H
#define PHX_OPTIONS_H

#include "backend/engine.h"
#include "fs/access.h"

#include <fuse.h>
#include <stdbool.h>

#define PHX_DEFAULT_CONFIG "/usr/local/phoenix_hypervisor/etc/phoenix_lxc_configs.json"

struct phx_options {
	char *config;
	char *pve_url;
	char *pve_node;
	char *pve_token_file;
	char *pve_fingerprint;
	char *pve_cafile;
	int pve_insecure;
	unsigned refresh;
	unsigned jobs;
	unsigned max_threads;
	char *reconcile_word;             /* reconcile=report|apply */
	enum phx_reconcile reconcile;
	char *feature_dir;     /* feature hooks (phoenixfs(8) HOOKS) */
	char *app_script_dir;  /* application_script hooks */
	unsigned hook_timeout; /* seconds, 0: none */
	char *pve_conf_dir;    /* CTID.conf for keys a token cannot set */
	char *lock_dir;        /* work locks shared by the mounts of one config */
	unsigned lock_expiry;  /* seconds a work lock lives unrenewed */
	struct phx_writers writers; /* allow_write_user=, allow_write_group= */
	/* command line */
	char *mountpoint;
	int nonopts;
	char *positional[2];
	bool help, version, foreground, debug;
};

/* Parse argv into opts; what is left in args goes to libfuse (allow_other,
 * default_permissions, ...). Returns 0, or -1 after printing why. */
int phx_options_parse(struct fuse_args *args, struct phx_options *opts);
void phx_options_usage(const char *prog);
void phx_options_free(struct phx_options *opts);

#endif
