/* Resource failures the engine and the document must survive and report:
 * realloc and pthread_create are wrapped at link time (-Wl,--wrap=...) and
 * made to fail where a test says. */
#include "harness.h"
#include "tests/unit/check_run.h"

#include <pthread.h>
#include <stdint.h>

int __real_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg);
int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg);
static _Atomic int fail_thread_create; /* the error to return, 0: none (atomic: other threads read it) */

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg)
{
	if (fail_thread_create) {
		errno = 0; /* pthread_create returns its error and leaves errno alone */
		return fail_thread_create;
	}
	return __real_pthread_create(t, a, fn, arg);
}

void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);

/* fail a first allocation (realloc(NULL, n)) of exactly this size */
static _Atomic size_t fail_first_alloc_of; /* atomic: every thread's realloc reads it */

void *__wrap_realloc(void *p, size_t n)
{
	if (fail_first_alloc_of && !p && n == fail_first_alloc_of)
		return NULL;
	return __real_realloc(p, n);
}

static void teardown(void)
{
	h_teardown();
}

/* A container waiting for its clone source is recorded among the source's
 * waiters, which release it when the source is built. When that record
 * cannot be made, it must fail at once: unrecorded, nothing would ever
 * release it and `wait` would hang. */
START_TEST(a_waiter_that_cannot_be_recorded_fails_instead_of_hanging)
{
	char e[256];

	h_setup("\"900\": {\"template\": \"" TMPL "\", \"is_template\": true}, "
		"\"103\": {\"clone_from_ctid\": \"900\"}", 2, 1, 10);
	fake_add_ct(h_fake, "pve", 150, false, false, NULL);
	h_wait_refreshed(150); /* planning happens after the first listing */
	fail_first_alloc_of = 4 * sizeof(uint32_t); /* rec_add_waiter's first array */
	phx_engine_changed(h_eng, 103, "clone_from_ctid");
	fail_first_alloc_of = 0;
	h_wait_status(103, -EIO, "failed: out of memory waiting for clone source 900");
	ck_assert(h_log_has(103, "out of memory waiting for clone source 900"));
	/* and once memory is there again, retry builds the chain */
	ck_assert_int_eq(phx_engine_ctl(h_eng, 103, "retry", e, sizeof(e)), 0);
	h_wait_status(103, 0, "running");
	h_wait_status(900, 0, "template");
}
END_TEST

/* The document's watcher thread that cannot start: its error is returned
 * (pthread_create's result, not errno), so phoenixfs refuses to run
 * without noticing outside edits. */
START_TEST(a_watcher_that_cannot_start_says_why)
{
	h_setup("\"103\": {}", 1, 1, 10);
	fail_thread_create = EAGAIN;
	ck_assert_int_eq(phx_doc_watch_start(h_doc, 100), -EAGAIN);
	fail_thread_create = 0;
	phx_doc_watch_stop(h_doc); /* nothing to join: must not hang or crash */
	ck_assert_int_eq(phx_doc_watch_start(h_doc, 100), 0);
	phx_doc_watch_stop(h_doc);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("oom");
	TCase *tc = tcase_create("oom");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, a_waiter_that_cannot_be_recorded_fails_instead_of_hanging);
	tcase_add_test(tc, a_watcher_that_cannot_start_says_why);
	suite_add_tcase(s, tc);
	return phx_check_run(s);
}
