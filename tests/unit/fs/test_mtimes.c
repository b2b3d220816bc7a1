/* The table of when each value last changed: fed by the document's change
 * feed, per key, per entry, and the base time of what did not change. */
#include "harness.h"

#include "fs/commit.h"
#include "fs/mtimes.h"
#include "fs/node.h"
#include "tests/unit/check_run.h"

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

/* Saved at unmount, restored at the next mount for entries whose text is
 * the same; an entry changed in between keeps the new base. */
START_TEST(kept_across_a_remount)
{
	struct timespec base = { 1000, 5 }, base2 = { 2000, 7 }, t103, t900;
	struct phx_mtimes *m = phx_mtimes_new(h_fs.doc, base), *m2;
	struct phx_node n;
	char err[256], path[128];

	snprintf(path, sizeof(path), "%s/times", h_dir);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(phx_node_resolve(&h_fs, "/103/memory_mb", &n), 0);
	ck_assert_int_eq(phx_value_commit(&h_fs, &n, "4096\n", 5, err, sizeof(err)), 0);
	ck_assert_int_eq(phx_node_resolve(&h_fs, "/900/cores", &n), 0);
	ck_assert_int_eq(phx_value_commit(&h_fs, &n, "3\n", 2, err, sizeof(err)), 0);
	t103 = phx_mtimes_get(m, 103, "memory_mb");
	t900 = phx_mtimes_get(m, 900, "cores");
	ck_assert_int_eq(phx_mtimes_save(m, path, err, sizeof(err)), 0);
	phx_mtimes_free(m);

	/* 900 changes while nothing records it (as an edit while unmounted) */
	ck_assert_int_eq(phx_node_resolve(&h_fs, "/900/memory_mb", &n), 0);
	ck_assert_int_eq(phx_value_commit(&h_fs, &n, "1024\n", 5, err, sizeof(err)), 0);
	m2 = phx_mtimes_new(h_fs.doc, base2);
	ck_assert_ptr_nonnull(m2);
	/* only 103 is as it was saved (the fixture's others never changed
	 * and come back too) */
	ck_assert_int_ge(phx_mtimes_load(m2, path), 1);
	ck_assert(same(phx_mtimes_get(m2, 103, "memory_mb"), t103));
	ck_assert(same(phx_mtimes_get(m2, 103, "cores"), base));
	ck_assert(same(phx_mtimes_get(m2, 900, "cores"), base2));
	ck_assert(!same(phx_mtimes_get(m2, 900, "cores"), t900));
	phx_mtimes_free(m2);

	/* a damaged or missing file restores nothing */
	m2 = phx_mtimes_new(h_fs.doc, base2);
	ck_assert_int_eq(phx_mtimes_load(m2, "/nonexistent/times"), 0);
	ck_assert(same(phx_mtimes_get(m2, 103, "memory_mb"), base2));
	phx_mtimes_free(m2);
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

	tcase_add_checked_fixture(tc, setup, h_teardown);
	tcase_add_test(tc, by_key_from_the_feed);
	tcase_add_test(tc, entry_wide_changes);
	tcase_add_test(tc, kept_across_a_remount);
	suite_add_tcase(s, tc);
	return phx_check_run(s);
}
