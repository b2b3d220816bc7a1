/* The API token file (SPEC pve_token_file): one line
 * USER@REALM!TOKENID=SECRET, readable by its owner only. */
#ifndef PHX_PVE_TOKEN_H
#define PHX_PVE_TOKEN_H

#include "backend/driver.h"

#include <stddef.h>

/* Room for "PVEAPIToken=" and a token of any sensible length. */
#define PVE_TOKEN_HDR_MAX 512

/* Reads path and builds the Authorization header value into hdr. Refuses
 * (PHX_E_AUTH, the path in err, never the token) a file that is not a
 * regular file, whose mode lets group or others read or write it (only
 * 0600 and 0400 are accepted), that is empty, or malformed. */
int pve_token_load(const char *path, char hdr[PVE_TOKEN_HDR_MAX],
		   struct phx_err *err);

#endif
