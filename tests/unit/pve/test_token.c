/* The token file rules: owner-only mode, one well-formed line, and no
 * part of the secret in any error text. */
#include "backend/pve/pve_token.h"
#include "tests/unit/check_run.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRET "3f2a1c9e-8b7d-4e6f-a5b4-c3d2e1f0a9b8"

static char dir[64];
static char path[128];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/phx-pve-token-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/token", dir);
}

static void teardown(void)
{
	unlink(path);
	rmdir(dir);
}

static void write_token(const char *text, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

static void refused(const char *want_fmt)
{
	char hdr[PVE_TOKEN_HDR_MAX], want[1024];
	struct phx_err e;

	snprintf(want, sizeof(want), want_fmt, path, path);
	ck_assert_int_eq(pve_token_load(path, hdr, &e), -1);
	ck_assert_int_eq(e.kind, PHX_E_AUTH);
	ck_assert_str_eq(e.msg, want);
	ck_assert_ptr_null(strstr(e.msg, SECRET));
	ck_assert_ptr_null(strstr(e.msg, "3f2a"));
	ck_assert_str_eq(hdr, "");
}

START_TEST(mode_0600_and_0400_accepted)
{
	char hdr[PVE_TOKEN_HDR_MAX];
	struct phx_err e;

	write_token("ci@pve!build=" SECRET "\n", 0600);
	ck_assert_int_eq(pve_token_load(path, hdr, &e), 0);
	ck_assert_str_eq(hdr, "PVEAPIToken=ci@pve!build=" SECRET);
	write_token("ci@pve!build=" SECRET, 0400);
	ck_assert_int_eq(pve_token_load(path, hdr, &e), 0);
	ck_assert_str_eq(hdr, "PVEAPIToken=ci@pve!build=" SECRET);
}
END_TEST

START_TEST(mode_open_to_others_refused)
{
	static const mode_t modes[] = { 0644, 0640, 0604, 0660, 0602, 0620, 0700, 0666 };

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		char fmt[256];

		write_token("ci@pve!build=" SECRET "\n", modes[i]);
		snprintf(fmt, sizeof(fmt), "token file %%s has mode %04o; it must be readable by its "
			 "owner only (chmod 600 %%s)", (unsigned)modes[i]);
		refused(fmt);
	}
}
END_TEST

START_TEST(empty_and_malformed_refused)
{
	write_token("", 0600);
	refused("token file %s: empty (expected one line USER@REALM!TOKENID=SECRET)");
	write_token("ci@pve!build " SECRET "\n", 0600);
	refused("token file %s: contains whitespace or control characters "
		"(expected one line USER@REALM!TOKENID=SECRET)");
	write_token("ci@pve:" SECRET "\n", 0600);
	refused("token file %s: no '!' before the token name (expected one line USER@REALM!TOKENID=SECRET)");
	write_token("PVEAPIToken=ci@pve!build=" SECRET "\n", 0600);
	refused("token file %s: starts with 'PVEAPIToken': write only USER@REALM!TOKENID=SECRET "
		"(expected one line USER@REALM!TOKENID=SECRET)");
}
END_TEST

START_TEST(missing_and_not_regular_refused)
{
	char hdr[PVE_TOKEN_HDR_MAX];
	struct phx_err e;

	unlink(path);
	refused("token file %s: No such file or directory");
	ck_assert_int_eq(pve_token_load(dir, hdr, &e), -1);
	ck_assert_int_eq(e.kind, PHX_E_AUTH);
	ck_assert_ptr_nonnull(strstr(e.msg, "is not a regular file"));
	ck_assert_int_eq(pve_token_load(NULL, hdr, &e), -1);
	ck_assert_str_eq(e.msg, "no token file given (pve_token_file)");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pve_token");
	TCase *t = tcase_create("file");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, mode_0600_and_0400_accepted);
	tcase_add_test(t, mode_open_to_others_refused);
	tcase_add_test(t, empty_and_malformed_refused);
	tcase_add_test(t, missing_and_not_regular_refused);
	suite_add_tcase(s, t);
	return phx_check_run(s);
}
