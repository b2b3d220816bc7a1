/* The Proxmox VE REST driver (libcurl): implements driver.h over HTTPS. */
#ifndef PHX_PVE_DRIVER_H
#define PHX_PVE_DRIVER_H

#include "backend/driver.h"

struct phx_pve_opts {
	const char *url;          /* https://host:8006 (no /api2/json) */
	const char *token_file;   /* USER@REALM!TOKENID=SECRET, owner-only */
	const char *fingerprint;  /* SHA-256 colon hex to pin, or NULL */
	const char *cafile;       /* CA bundle, or NULL for the system's */
	bool insecure;            /* skip verification (explicit opt-out) */
	unsigned connections;     /* keep-alive pool size (>= jobs + 1) */
	unsigned retries;         /* attempts for transient failures */
	unsigned timeout_ms;      /* per request */
};

/* pve-common's pve-node format: letters, digits, inner '-' (no dots). */
bool pve_node_name_ok(const char *node);

/* Returns 0 or -1 with err (a token file readable by others, a missing
 * token, a bad URL are refused here, before any request). */
int phx_pve_driver_new(struct phx_driver *out, const struct phx_pve_opts *opts,
		       struct phx_err *err);

#endif
