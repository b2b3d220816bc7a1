/* Certificate, fingerprint and token files, made with GnuTLS on first
 * start and reused afterwards so that clients can pin them. */
#include "tls_setup.h"
#include "backend/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char *read_all(const char *path, size_t *len_out)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	if (!f)
		return NULL;
	do {
		if (len + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = len + 8192);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, 4096, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = 0;
	if (len_out)
		*len_out = len;
	return buf;
}

static void fingerprint_of(gnutls_x509_crt_t crt, char fp[PVESIM_FP_LEN])
{
	unsigned char md[32];
	size_t n = sizeof(md);
	fp[0] = 0;
	if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, md, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++)
		sprintf(fp + 3 * i, "%02X%s", md[i], i + 1 < n ? ":" : "");
}

static int make_cert(const char *node, gnutls_x509_crt_t crt,
		     gnutls_x509_privkey_t key, char *err, size_t errlen)
{
	unsigned char serial[16];
	unsigned char lo[4] = { 127, 0, 0, 1 };
	time_t now = time(NULL);
	int rc;

	if ((rc = gnutls_x509_privkey_generate(key, GNUTLS_PK_RSA, 2048, 0)) < 0)
		goto fail;
	gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial));
	serial[0] &= 0x7f;
	gnutls_x509_crt_set_version(crt, 3);
	gnutls_x509_crt_set_serial(crt, serial, sizeof(serial));
	gnutls_x509_crt_set_activation_time(crt, now - 3600);
	/* pve-ssl.pem is valid for at most two years */
	gnutls_x509_crt_set_expiration_time(crt, now + 2 * 365 * 86400);
	gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATIONAL_UNIT_NAME,
				      0, "PVE Cluster Node", 16);
	gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0,
				      "Proxmox Virtual Environment", 27);
	gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, node,
				      strlen(node));
	gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, lo,
					     sizeof(lo), GNUTLS_FSAN_APPEND);
	gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, "localhost",
					     9, GNUTLS_FSAN_APPEND);
	gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, node,
					     strlen(node), GNUTLS_FSAN_APPEND);
	gnutls_x509_crt_set_basic_constraints(crt, 0, -1);
	gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE |
					   GNUTLS_KEY_KEY_ENCIPHERMENT);
	gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0);
	if ((rc = gnutls_x509_crt_set_key(crt, key)) < 0)
		goto fail;
	if ((rc = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0)) < 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "certificate generation: %s", gnutls_strerror(rc));
	return -EIO;
}

int tls_prepare(const char *dir, const char *node, char **cert, char **key,
		char fp[PVESIM_FP_LEN], char *err, size_t errlen)
{
	char cpath[4096], kpath[4096], fpath[4096], line[PVESIM_FP_LEN + 2];
	gnutls_x509_crt_t crt = NULL;
	gnutls_x509_privkey_t pk = NULL;
	gnutls_datum_t d = { NULL, 0 };
	int rc = 0;

	snprintf(cpath, sizeof(cpath), "%s/cert.pem", dir);
	snprintf(kpath, sizeof(kpath), "%s/key.pem", dir);
	snprintf(fpath, sizeof(fpath), "%s/fingerprint", dir);
	*cert = *key = NULL;
	gnutls_x509_crt_init(&crt);
	*cert = read_all(cpath, NULL);
	*key = read_all(kpath, NULL);
	if (*cert && *key) {
		d.data = (unsigned char *)*cert;
		d.size = strlen(*cert);
		if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) < 0) {
			snprintf(err, errlen, "%s: not a PEM certificate", cpath);
			rc = -EINVAL;
			goto out;
		}
		d.data = NULL;
	} else {
		free(*cert);
		free(*key);
		*cert = *key = NULL;
		gnutls_x509_privkey_init(&pk);
		if ((rc = make_cert(node, crt, pk, err, errlen)))
			goto out;
		if (gnutls_x509_privkey_export2(pk, GNUTLS_X509_FMT_PEM, &d) < 0 ||
		    atomic_write_file(kpath, (char *)d.data, d.size, 0600, err, errlen)) {
			rc = -EIO;
			goto out;
		}
		*key = strndup((char *)d.data, d.size);
		gnutls_free(d.data);
		d.data = NULL;
		if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d) < 0 ||
		    atomic_write_file(cpath, (char *)d.data, d.size, 0644, err, errlen)) {
			rc = -EIO;
			goto out;
		}
		*cert = strndup((char *)d.data, d.size);
		gnutls_free(d.data);
		d.data = NULL;
	}
	fingerprint_of(crt, fp);
	snprintf(line, sizeof(line), "%s\n", fp);
	rc = atomic_write_file(fpath, line, strlen(line), 0644, err, errlen);
out:
	if (d.data)
		gnutls_free(d.data);
	if (pk)
		gnutls_x509_privkey_deinit(pk);
	gnutls_x509_crt_deinit(crt);
	if (rc) {
		free(*cert);
		free(*key);
		*cert = *key = NULL;
	}
	return rc;
}

int token_prepare(const char *dir, char *token, size_t len, char *err,
		  size_t errlen)
{
	char path[4096], buf[256];
	unsigned char r[16];
	char *text;
	int rc;

	snprintf(path, sizeof(path), "%s/token", dir);
	text = read_all(path, NULL);
	if (text) {
		text[strcspn(text, "\r\n")] = 0;
		snprintf(token, len, "%s", text);
		free(text);
		if (!strchr(token, '!') || !strrchr(token, '=')) {
			snprintf(err, errlen, "%s: not USER@REALM!TOKENID=SECRET", path);
			return -EINVAL;
		}
		return 0;
	}
	if (gnutls_rnd(GNUTLS_RND_KEY, r, sizeof(r)) < 0) {
		snprintf(err, errlen, "no random bytes for the token");
		return -EIO;
	}
	r[6] = (r[6] & 0x0f) | 0x40; /* a version-4 UUID, like PVE's */
	r[8] = (r[8] & 0x3f) | 0x80;
	snprintf(token, len,
		 "root@pam!phoenixfs=%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9],
		 r[10], r[11], r[12], r[13], r[14], r[15]);
	snprintf(buf, sizeof(buf), "%s\n", token);
	rc = atomic_write_file(path, buf, strlen(buf), 0600, err, errlen);
	return rc;
}
