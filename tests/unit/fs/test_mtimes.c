/* The table of when each value last changed: fed by the document's change
 * feed, per key, per entry, and the base time of what did not change. */
#include "harness.h"

#include "fs/commit.h"
#include "fs/mtimes.h"
#include "fs/node.h"

static bool same(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

static void setup(void) { h_setup(H_CONFIGS); }

START_TEST(by_key_from_the_feed)
{
	struct timespec base = { 1000, 123456789 }, t;
	struct phx_mtimes *m = phx_mtimes_new(h_fs.doc, base);
	struct phx_node n;
	char err[256];

	ck_assert_ptr_nonnull(m);
	ck_assert(same(phx_mtimes_get(m, 103, "memory_mb"), base));
	ck_assert_int_eq(phx_node_resolve(&h_fs, "/103/memory_mb", &n), 0);
	ck_assert_int_eq(phx_value_commit(&h_fs, &n, "4096\n", 5, err, sizeof(err)), 0);
	t = phx_mtimes_get(m, 103, "memory_mb");
	ck_assert(!same(t, base));
	ck_assert_int_gt(t.tv_sec, base.tv_sec);
	/* the others keep theirs; the entry as a whole changed */
	ck_assert(same(phx_mtimes_get(m, 103, "cores"), base));
	ck_assert(same(phx_mtimes_get(m, 900, "memory_mb"), base));
	ck_assert(same(phx_mtimes_get(m, 103, NULL), t));
	/* an unchanged write publishes nothing: the time stays */
	ck_assert_int_eq(phx_value_commit(&h_fs, &n, "4096\n", 5, err, sizeof(err)), 0);
	ck_assert(same(phx_mtimes_get(m, 103, "memory_mb"), t));
	phx_mtimes_free(m);
}
END_TEST

START_TEST(entry_wide_changes)
{
	struct timespec base = { 1000, 0 }, t1 = { 2000, 5 }, t2 = { 3000, 7 };
	struct phx_mtimes *m = phx_mtimes_new(NULL, base);

	phx_mtimes_touch(m, 140, "cores", t2);
	phx_mtimes_touch(m, 140, NULL, t1); /* the entry added, earlier */
	ck_assert(same(phx_mtimes_get(m, 140, "cores"), t2));
	ck_assert(same(phx_mtimes_get(m, 140, "memory_mb"), t1));
	ck_assert(same(phx_mtimes_get(m, 140, NULL), t1));
	ck_assert(same(phx_mtimes_get(m, 140 + 4096, "cores"), base)); /* same bucket */
	phx_mtimes_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fs_mtimes");
	TCase *tc = tcase_create("mtimes");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, h_teardown);
	tcase_add_test(tc, by_key_from_the_feed);
	tcase_add_test(tc, entry_wide_changes);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
