/* First-start material in the state directory: a self-signed certificate
 * and key (cert.pem, key.pem), its SHA-256 fingerprint as `pvenode cert
 * info` prints it (fingerprint), and the API token (token, mode 0600). */
#ifndef PVESIM_TLS_SETUP_H
#define PVESIM_TLS_SETUP_H

#include <stddef.h>

#define PVESIM_FP_LEN 96

/* Loads or makes cert.pem/key.pem; returns 0 or -errno with err set.
 * *cert and *key are malloc'd PEM strings. */
int tls_prepare(const char *dir, const char *node, char **cert, char **key,
		char fp[PVESIM_FP_LEN], char *err, size_t errlen);

/* Loads or makes `token`: "root@pam!phoenixfs=<uuid>". */
int token_prepare(const char *dir, char *token, size_t len, char *err,
		  size_t errlen);

#endif
