/* SHA-256 against the FIPS 180-4 examples, and certificate fingerprints
 * against what `openssl x509 -fingerprint -sha256` printed for a real
 * self-signed certificate. */
#include "backend/pve/pve_fingerprint.h"
#include "tests/unit/check_run.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static void hash_is(const void *data, size_t len, const char *want)
{
	uint8_t d[PVE_FP_LEN];
	char text[PVE_FP_TEXT];

	pve_sha256(data, len, d);
	pve_fp_format(d, text);
	ck_assert_str_eq(text, want);
}

START_TEST(sha256_vectors)
{
	char *million;

	hash_is("", 0, "E3:B0:C4:42:98:FC:1C:14:9A:FB:F4:C8:99:6F:B9:24:"
		"27:AE:41:E4:64:9B:93:4C:A4:95:99:1B:78:52:B8:55");
	hash_is("abc", 3, "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:"
		"B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD");
	hash_is("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
		"24:8D:6A:61:D2:06:38:B8:E5:C0:26:93:0C:3E:60:39:"
		"A3:3C:E4:59:64:FF:21:67:F6:EC:ED:D4:19:DB:06:C1");
	million = malloc(1000000);
	ck_assert_ptr_nonnull(million);
	memset(million, 'a', 1000000);
	hash_is(million, 1000000, "CD:C7:6E:5C:99:14:FB:92:81:A1:C7:E2:84:D7:3E:67:"
		"F1:80:9A:48:A4:97:20:0E:04:6D:39:CC:C7:11:2C:D0");
	free(million);
}
END_TEST

START_TEST(fp_parse_forms)
{
	static const char upper[] = "25:2E:DB:1A:69:4A:F5:93:E2:23:B2:0D:B0:27:24:1E:"
				    "C6:70:74:9B:10:64:0B:CE:2F:31:F1:96:E9:BE:21:8B";
	static const char lower[] = "25:2e:db:1a:69:4a:f5:93:e2:23:b2:0d:b0:27:24:1e:"
				    "c6:70:74:9b:10:64:0b:ce:2f:31:f1:96:e9:be:21:8b";
	uint8_t a[PVE_FP_LEN], b[PVE_FP_LEN];
	char text[PVE_FP_TEXT];

	ck_assert_int_eq(pve_fp_parse(upper, a), 0);
	ck_assert_int_eq(pve_fp_parse(lower, b), 0);
	ck_assert_mem_eq(a, b, PVE_FP_LEN);
	pve_fp_format(b, text);
	ck_assert_str_eq(text, upper);

	/* 31 pairs, no colons, trailing text, bad digit, SHA-1 length */
	ck_assert_int_eq(pve_fp_parse("25:2E:DB:1A:69:4A:F5:93:E2:23:B2:0D:B0:27:24:1E:"
				      "C6:70:74:9B:10:64:0B:CE:2F:31:F1:96:E9:BE:21", a), -1);
	ck_assert_int_eq(pve_fp_parse("252EDB1A694AF593E223B20DB027241EC670749B10640BCE2F31F196E9BE218B", a), -1);
	ck_assert_int_eq(pve_fp_parse("25:2E:DB:1A:69:4A:F5:93:E2:23:B2:0D:B0:27:24:1E:"
				      "C6:70:74:9B:10:64:0B:CE:2F:31:F1:96:E9:BE:21:8B:", a), -1);
	ck_assert_int_eq(pve_fp_parse("G5:2E:DB:1A:69:4A:F5:93:E2:23:B2:0D:B0:27:24:1E:"
				      "C6:70:74:9B:10:64:0B:CE:2F:31:F1:96:E9:BE:21:8B", a), -1);
	ck_assert_int_eq(pve_fp_parse("", a), -1);
	ck_assert_int_eq(pve_fp_parse(NULL, a), -1);
}
END_TEST

/* A throwaway self-signed EC certificate (CN=localhost, no key kept). */
static const char cert_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBjjCCATSgAwIBAgIUXsUexJHkauCC3qKr/U64tkSSGeowCgYIKoZIzj0EAwIw\n"
	"FDESMBAGA1UEAwwJbG9jYWxob3N0MB4XDTI2MTEyNzExMjAyM1oXDTI2MTEzMDEx\n"
	"MjAyM1owFDESMBAGA1UEAwwJbG9jYWxob3N0MFkwEwYHKoZIzj0CAQYIKoZIzj0D\n"
	"AQcDQgAELNbOH2KXNmU+dlh0HvdRdVuXDOnBa4BTO36m4oDrJ2cxIUklftzXHaky\n"
	"RtdaZYaXa3xx/dh0ZcgIrgcFqTl1hqNkMGIwHQYDVR0OBBYEFP/Ji+31q8Jcv1y2\n"
	"GXjMBZRcBtdAMB8GA1UdIwQYMBaAFP/Ji+31q8Jcv1y2GXjMBZRcBtdAMA8GA1Ud\n"
	"EwEB/wQFMAMBAf8wDwYDVR0RBAgwBocEfwAAATAKBggqhkjOPQQDAgNIADBFAiEA\n"
	"pzZJ12JRYsVnOjXxRb1vB0aKK8Itz7nehU397RKz2rsCIDYW7/04zN/Py9JF0MbY\n"
	"J+H2kf1Ve3uttBtXxEKWxJpu\n"
	"-----END CERTIFICATE-----\n";

START_TEST(fp_of_certificate)
{
	uint8_t fp[PVE_FP_LEN];
	char text[PVE_FP_TEXT];
	char *broken;

	ck_assert_int_eq(pve_fp_of_pem(cert_pem, fp), 0);
	pve_fp_format(fp, text);
	ck_assert_str_eq(text, "25:2E:DB:1A:69:4A:F5:93:E2:23:B2:0D:B0:27:24:1E:"
			 "C6:70:74:9B:10:64:0B:CE:2F:31:F1:96:E9:BE:21:8B");

	ck_assert_int_eq(pve_fp_of_pem("no certificate here", fp), -1);
	ck_assert_int_eq(pve_fp_of_pem("-----BEGIN CERTIFICATE-----\nMIIB\n", fp), -1);
	broken = strdup(cert_pem);
	broken[100] = '*';
	ck_assert_int_eq(pve_fp_of_pem(broken, fp), -1);
	free(broken);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pve_fingerprint");
	TCase *t = tcase_create("sha256");

	tcase_add_test(t, sha256_vectors);
	tcase_add_test(t, fp_parse_forms);
	tcase_add_test(t, fp_of_certificate);
	suite_add_tcase(s, t);
	return phx_check_run(s);
}
