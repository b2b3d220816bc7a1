/* Certificate fingerprints as Proxmox prints them: SHA-256 of the DER
 * certificate, 32 uppercase hex pairs joined by ':' (proxmox-api.md §7).
 * Pure functions, no network: the driver checks the peer certificate with
 * them, the tests call them directly. */
#ifndef PHX_PVE_FINGERPRINT_H
#define PHX_PVE_FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>

#define PVE_FP_LEN 32
/* "AA:BB:...": 32 pairs, 31 colons, NUL */
#define PVE_FP_TEXT (PVE_FP_LEN * 3)

void pve_sha256(const void *data, size_t len, uint8_t out[PVE_FP_LEN]);

/* Parses a fingerprint given by the user: 32 hex pairs separated by ':'
 * (any case). Returns 0, or -1 when it is not that shape. */
int pve_fp_parse(const char *text, uint8_t out[PVE_FP_LEN]);

/* Formats as uppercase colon hex, the way `pvenode cert info` shows it. */
void pve_fp_format(const uint8_t fp[PVE_FP_LEN], char out[PVE_FP_TEXT]);

/* The fingerprint of the first certificate in PEM text (what libcurl's
 * CURLINFO_CERTINFO gives as "Cert:"). Returns 0, or -1 when there is no
 * well-formed PEM certificate. */
int pve_fp_of_pem(const char *pem, uint8_t out[PVE_FP_LEN]);

#endif
