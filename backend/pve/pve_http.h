/* The HTTPS transport of the Proxmox driver: one keep-alive connection
 * pool shared by all threads, token auth, TLS verification or certificate
 * pinning, retries of transient failures, and turning every answer into
 * either the envelope's data or a struct phx_err. */
#ifndef PHX_PVE_HTTP_H
#define PHX_PVE_HTTP_H

#include "backend/driver.h"
#include "backend/pve/pve_driver.h"

#include <json-c/json.h>

struct pve_http;

enum pve_method { PVE_GET, PVE_POST, PVE_PUT, PVE_DELETE };

/* auth is the Authorization header value (PVEAPIToken=...); it is copied
 * and wiped again on free. opts->token_file is not read here. */
int pve_http_new(struct pve_http **out, const struct phx_pve_opts *opts,
		 const char *auth, struct phx_err *err);
/* Every call must have returned. */
void pve_http_free(struct pve_http *h);

/* One API call. path is below /api2/json and must already be escaped.
 * GET and DELETE send params in the query string and no body; POST and
 * PUT send them form-encoded. Transient failures are retried with
 * backoff; everything else is returned at once. On success *data holds
 * the envelope's data (a new reference, NULL for null) when data is not
 * NULL. */
int pve_http_call(struct pve_http *h, enum pve_method m, const char *path,
		  const struct phx_kv *params, size_t n, json_object **data,
		  struct phx_err *err);

#endif
