/* Handles: the write buffer, when it commits, what it refuses at write,
 * the size of an unflushed value by name, and a handle that keeps its own
 * path. */
#include "harness.h"

#include "fs/handle.h"
#include "fs/kind.h"
#include "tests/unit/check_run.h"

#include <errno.h>

static void setup(void) { h_setup(H_CONFIGS); }

static struct phx_handle *open_on(const char *path, bool writable)
{
	char *copy = strdup(path);
	struct phx_node n;
	struct phx_handle *h;

	ck_assert_int_eq(phx_node_resolve(&h_fs, copy, &n), 0);
	h = phx_handle_new(&h_fs, &n, writable);
	ck_assert_ptr_nonnull(h);
	/* the handle keeps its own copy of the path */
	memset(copy, 'x', strlen(copy));
	free(copy);
	ck_assert_str_eq(h->node.path, path);
	ck_assert_ptr_eq(h->kind, phx_kind(&h->node));
	return h;
}

START_TEST(whole_value_commits_at_write)
{
	struct phx_handle *h = open_on("/103/memory_mb", true);
	char buf[64];

	h->fresh = true; /* as O_TRUNC */
	ck_assert_int_eq(phx_handle_write(&h_fs, h, "4096\n", 5, 0), 5);
	ck_assert_str_eq(h_value(103, "memory_mb", buf, sizeof(buf)), "4096");
	ck_assert(!h->dirty);
	phx_handle_free(&h_fs, h);
}
END_TEST

START_TEST(chunks_commit_at_flush)
{
	struct phx_handle *h = open_on("/103/memory_mb", true);
	size_t len = 0;
	char buf[64];

	h->fresh = true;
	ck_assert_int_eq(phx_handle_write(&h_fs, h, "40", 2, 0), 2);
	ck_assert_int_eq(phx_handle_write(&h_fs, h, "96", 2, 2), 2);
	/* nothing decided yet: the doc keeps its value, stat by name sees the
	 * bytes written so far */
	ck_assert_str_eq(h_value(103, "memory_mb", buf, sizeof(buf)), "1024");
	ck_assert(phx_handle_unflushed_size(&h_fs, "/103/memory_mb", &len));
	ck_assert_uint_eq(len, 4);
	ck_assert(!phx_handle_unflushed_size(&h_fs, "/103/cores", &len));
	ck_assert_int_eq(phx_handle_commit(&h_fs, h), 0);
	ck_assert_str_eq(h_value(103, "memory_mb", buf, sizeof(buf)), "4096");
	ck_assert(!phx_handle_unflushed_size(&h_fs, "/103/memory_mb", &len));
	phx_handle_free(&h_fs, h);
	/* freed handles leave the mount's list */
	ck_assert_ptr_null(h_fs.handles);
}
END_TEST

START_TEST(refused_at_write_and_nothing_changes)
{
	struct phx_handle *h = open_on("/103/memory_mb", true);
	char buf[64];

	h->fresh = true;
	/* a letter can never become an integer: refused at the write itself */
	ck_assert_int_eq(phx_handle_write(&h_fs, h, "ab", 2, 0), -EINVAL);
	ck_assert(!h->dirty);
	ck_assert_int_eq(phx_handle_commit(&h_fs, h), 0); /* nothing left to commit */
	ck_assert_str_eq(h_value(103, "memory_mb", buf, sizeof(buf)), "1024");
	/* out of range, complete */
	h->fresh = true;
	ck_assert_int_eq(phx_handle_write(&h_fs, h, "8\n", 2, 0), -EINVAL);
	ck_assert_str_eq(h_value(103, "memory_mb", buf, sizeof(buf)), "1024");
	phx_handle_free(&h_fs, h);
}
END_TEST

START_TEST(value_limit)
{
	struct phx_handle *h = open_on("/900/features", true);
	char buf[64];

	h->fresh = true;
	ck_assert_int_eq(phx_handle_write(&h_fs, h, "x", 1, PHX_VALUE_MAX), -EFBIG);
	ck_assert_str_eq(h_value(900, "features", buf, sizeof(buf)), "[\"x\"]");
	phx_handle_free(&h_fs, h);
}
END_TEST

START_TEST(load_and_read)
{
	struct phx_handle *h = open_on("/900/network_config/bridge", true);
	char buf[64];
	ssize_t n;

	ck_assert_int_eq(phx_handle_load(&h_fs, h), 0);
	ck_assert_uint_eq(h->len, strlen("\"vmbr0\"\n"));
	ck_assert_int_eq(phx_handle_truncate(h, 0), 0);
	ck_assert_int_eq(phx_handle_write(&h_fs, h, "\"vmbr1\"", 7, 0), 7);
	/* a reader of the same handle sees what was written */
	n = phx_handle_read(&h_fs, h, buf, sizeof(buf), 0);
	ck_assert_int_eq(n, 7);
	ck_assert_int_eq(phx_handle_commit(&h_fs, h), 0);
	ck_assert_str_eq(h_value(900, "network_config/bridge", buf, sizeof(buf)), "\"vmbr1\"");
	phx_handle_free(&h_fs, h);
}
END_TEST

/* Generated files read their rendering; a read at offset 0 renders again. */
START_TEST(generated_read)
{
	struct phx_handle *h = open_on("/103/status", false);
	char buf[256];
	ssize_t n = h->kind->h_read(&h_fs, h, buf, sizeof(buf) - 1, 0);

	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "absent\n");
	phx_handle_free(&h_fs, h);
	h = open_on("/103/drift", false);
	ck_assert_int_eq(h->kind->h_read(&h_fs, h, buf, sizeof(buf), 0), 0);
	phx_handle_free(&h_fs, h);
}
END_TEST

/* Many writers on one handle each leave their bytes (the lock serialises
 * them), and stat by name never sees a torn length. */
static struct phx_handle *shared;

static void *writer(void *arg)
{
	long i = (long)arg;

	for (int k = 0; k < 200; k++) {
		pthread_mutex_lock(&shared->lock);
		phx_handle_write(&h_fs, shared, "1", 1, (off_t)(i * 200 + k));
		pthread_mutex_unlock(&shared->lock);
	}
	return NULL;
}

START_TEST(concurrent_writes)
{
	pthread_t t[4];
	size_t len = 0;

	shared = open_on("/900/notes/a", true);
	shared->fresh = false;
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, writer, (void *)i);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	ck_assert(phx_handle_unflushed_size(&h_fs, "/900/notes/a", &len));
	ck_assert_uint_eq(len, 800);
	for (size_t i = 0; i < 800; i++)
		ck_assert_int_eq(shared->buf[i], '1');
	phx_handle_free(&h_fs, shared);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fs_handle");
	TCase *tc = tcase_create("handle");

	tcase_add_checked_fixture(tc, setup, h_teardown);
	tcase_add_test(tc, whole_value_commits_at_write);
	tcase_add_test(tc, chunks_commit_at_flush);
	tcase_add_test(tc, refused_at_write_and_nothing_changes);
	tcase_add_test(tc, value_limit);
	tcase_add_test(tc, load_and_read);
	tcase_add_test(tc, generated_read);
	tcase_add_test(tc, concurrent_writes);
	suite_add_tcase(s, tc);
	return phx_check_run(s);
}
