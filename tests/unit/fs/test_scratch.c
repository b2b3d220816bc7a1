/* Scratch files: create, read and write, rename, unlink while open, the
 * listing of a directory, and dropping a directory's files. */
#include "fs/scratch.h"
#include "tests/unit/check_run.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void count_name(void *arg, const char *name, const struct stat *st)
{
	(void)st;
	(void)name;
	(*(int *)arg)++;
}

START_TEST(create_write_read)
{
	struct phx_scratch *s = phx_scratch_new();
	struct phx_sfile *f;
	struct stat st;
	char buf[16];

	ck_assert_int_eq(phx_scratch_create(s, "/103/sedX", 0600, 1, 2, &f), 0);
	ck_assert_int_eq(phx_scratch_create(s, "/103/sedX", 0600, 1, 2, &(struct phx_sfile *){ 0 }),
			 -EEXIST);
	ck_assert_int_eq(phx_sfile_write(f, "hello", 5, 0), 5);
	ck_assert_int_eq(phx_sfile_write(f, "!", 1, 7), 1); /* a hole reads as zeros */
	ck_assert_int_eq(phx_sfile_read(f, buf, sizeof(buf), 0), 8);
	ck_assert_int_eq(memcmp(buf, "hello\0\0!", 8), 0);
	ck_assert(phx_scratch_stat(s, "/103/sedX", &st));
	ck_assert_int_eq(st.st_size, 8);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(phx_sfile_truncate(f, 2), 0);
	ck_assert_int_eq(phx_sfile_read(f, buf, sizeof(buf), 0), 2);
	phx_sfile_put(f);
	phx_scratch_free(s);
}
END_TEST

START_TEST(rename_and_unlink_while_open)
{
	struct phx_scratch *s = phx_scratch_new();
	struct phx_sfile *f, *g;
	size_t len;
	char *data, buf[8];

	ck_assert_int_eq(phx_scratch_create(s, "/103/a", 0644, 0, 0, &f), 0);
	phx_sfile_write(f, "v1", 2, 0);
	ck_assert_int_eq(phx_scratch_create(s, "/103/b", 0644, 0, 0, &g), 0);
	phx_sfile_put(g);
	/* rename replaces the scratch file there */
	ck_assert_int_eq(phx_scratch_rename(s, "/103/a", "/103/b"), 0);
	ck_assert(!phx_scratch_stat(s, "/103/a", &(struct stat){ 0 }));
	g = phx_scratch_get(s, "/103/b");
	ck_assert_ptr_eq(g, f);
	data = phx_sfile_content(g, &len);
	ck_assert_uint_eq(len, 2);
	ck_assert_int_eq(memcmp(data, "v1", 2), 0);
	free(data);
	phx_sfile_put(g);
	/* unlinked, the file lives on in its open reference */
	ck_assert_int_eq(phx_scratch_unlink(s, "/103/b"), 0);
	ck_assert_int_eq(phx_scratch_unlink(s, "/103/b"), -ENOENT);
	ck_assert_int_eq(phx_sfile_read(f, buf, sizeof(buf), 0), 2);
	phx_sfile_put(f);
	ck_assert_int_eq(phx_scratch_rename(s, "/103/none", "/103/c"), -ENOENT);
	phx_scratch_free(s);
}
END_TEST

START_TEST(list_and_drop_dir)
{
	struct phx_scratch *s = phx_scratch_new();
	struct phx_sfile *f;
	int n = 0;

	ck_assert_int_eq(phx_scratch_create(s, "/103/x", 0644, 0, 0, &f), 0);
	phx_sfile_put(f);
	ck_assert_int_eq(phx_scratch_create(s, "/103/network_config/y", 0644, 0, 0, &f), 0);
	phx_sfile_put(f);
	ck_assert_int_eq(phx_scratch_create(s, "/1030/z", 0644, 0, 0, &f), 0);
	phx_sfile_put(f);
	phx_scratch_list(s, "/103", count_name, &n);
	ck_assert_int_eq(n, 1); /* only what is directly inside */
	phx_scratch_drop_dir(s, "/103");
	ck_assert(!phx_scratch_stat(s, "/103/x", &(struct stat){ 0 }));
	ck_assert(!phx_scratch_stat(s, "/103/network_config/y", &(struct stat){ 0 }));
	ck_assert(phx_scratch_stat(s, "/1030/z", &(struct stat){ 0 }));
	phx_scratch_free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fs_scratch");
	TCase *tc = tcase_create("scratch");

	tcase_add_test(tc, create_write_read);
	tcase_add_test(tc, rename_and_unlink_while_open);
	tcase_add_test(tc, list_and_drop_dir);
	suite_add_tcase(s, tc);
	return phx_check_run(s);
}
