/* Inode numbers from paths: one number per path however it is reached,
 * the root's 1, and different names different numbers. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "fs/ino.h"
#include "tests/unit/check_run.h"

START_TEST(root_is_one)
{
	ck_assert_uint_eq(phx_ino_of_path("/"), 1);
	ck_assert_uint_eq(phx_ino_of_path(""), 1);
	ck_assert_uint_eq(phx_ino_of_child("/", "."), 1);
	ck_assert_uint_eq(phx_ino_of_child("/", ".."), 1);
	ck_assert_uint_eq(phx_ino_of_child("/103", ".."), 1);
}
END_TEST

START_TEST(one_number_per_path)
{
	/* readdir's d_ino and stat's st_ino must agree */
	ck_assert_uint_eq(phx_ino_of_child("/", "103"), phx_ino_of_path("/103"));
	ck_assert_uint_eq(phx_ino_of_child("/103", "memory_mb"), phx_ino_of_path("/103/memory_mb"));
	ck_assert_uint_eq(phx_ino_of_child("/103/", "memory_mb"), phx_ino_of_path("/103/memory_mb"));
	ck_assert_uint_eq(phx_ino_of_child("/103", "."), phx_ino_of_path("/103"));
	ck_assert_uint_eq(phx_ino_of_child("/103/network_config", ".."), phx_ino_of_path("/103"));
	ck_assert_uint_eq(phx_ino_of_path("/103/"), phx_ino_of_path("/103"));
}
END_TEST

static int cmp_ino(const void *a, const void *b)
{
	ino_t x = *(const ino_t *)a, y = *(const ino_t *)b;

	return x < y ? -1 : x > y;
}

START_TEST(names_differ)
{
	/* a fleet's worth of paths: no two share a number, none is 0 or 1 */
	enum { N = 2000, K = 25 };
	ino_t *seen = malloc(sizeof(*seen) * N * K);
	size_t n = 0;
	char dir[32], key[32];

	ck_assert_ptr_nonnull(seen);
	for (int c = 0; c < N; c++) {
		snprintf(dir, sizeof(dir), "/%d", 100 + c);
		for (int k = 0; k < K; k++) {
			snprintf(key, sizeof(key), "key%d", k);
			seen[n] = phx_ino_of_child(dir, key);
			ck_assert_uint_gt(seen[n], 1);
			n++;
		}
	}
	qsort(seen, n, sizeof(*seen), cmp_ino);
	for (size_t i = 1; i < n; i++)
		ck_assert_uint_ne(seen[i - 1], seen[i]);
	ck_assert_uint_ne(phx_ino_of_path("/103/memory_mb"), phx_ino_of_path("/103/memory_mb~"));
	ck_assert_uint_ne(phx_ino_of_path("/10/3"), phx_ino_of_path("/103"));
	free(seen);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fs_ino");
	TCase *tc = tcase_create("ino");

	tcase_add_test(tc, root_is_one);
	tcase_add_test(tc, one_number_per_path);
	tcase_add_test(tc, names_differ);
	suite_add_tcase(s, tc);
	return phx_check_run(s);
}
