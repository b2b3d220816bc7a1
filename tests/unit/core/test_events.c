/* The event stream: lines in order, a cursor per reader, the marker for a
 * reader that fell behind (and no growth), blocking and waking, close,
 * interruption, and many posters with nothing lost or counted twice. */
#include "backend/events.h"
#include "tests/unit/check_run.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static size_t count_lines(const char *s, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += s[i] == '\n';
	return c;
}

START_TEST(lines_in_order)
{
	struct phx_events *ev = phx_events_new(16);
	uint64_t cur = phx_events_now(ev);
	char buf[4096];
	ssize_t n;

	phx_events_post(ev, 900, "state", "running");
	phx_events_post(ev, 0, "mounted", "%s", "/phoenix");
	phx_events_post(ev, 103, "edited", "memory_mb 1024 -> 2048 (by another program)\nforged 1 x");
	n = phx_events_read(ev, &cur, buf, sizeof(buf), NULL);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_uint_eq(count_lines(buf, (size_t)n), 3);
	ck_assert_ptr_nonnull(strstr(buf, "Z 900 state running\n"));
	ck_assert_ptr_nonnull(strstr(buf, "Z - mounted /phoenix\n"));
	ck_assert_ptr_nonnull(strstr(buf, "Z 103 edited memory_mb 1024 -> 2048 (by another program) forged 1 x\n"));
	/* a time stamp starts each line: 2026-12-01T05:38:23.123Z */
	ck_assert_int_eq(buf[4], '-');
	ck_assert_int_eq(buf[10], 'T');
	ck_assert_int_eq(buf[23], 'Z');
	ck_assert_uint_eq(cur, 3);
	phx_events_free(ev);
}
END_TEST

START_TEST(new_reader_sees_only_new)
{
	struct phx_events *ev = phx_events_new(16);
	char buf[4096];
	uint64_t cur;
	ssize_t n;

	phx_events_post(ev, 900, "state", "old");
	cur = phx_events_now(ev);
	phx_events_post(ev, 900, "state", "new");
	n = phx_events_read(ev, &cur, buf, sizeof(buf), NULL);
	buf[n] = '\0';
	ck_assert_ptr_null(strstr(buf, "old"));
	ck_assert_ptr_nonnull(strstr(buf, "new"));
	phx_events_free(ev);
}
END_TEST

START_TEST(fell_behind_marker)
{
	struct phx_events *ev = phx_events_new(4);
	uint64_t cur = 0;
	char buf[4096];
	ssize_t n;

	for (int i = 0; i < 10; i++)
		phx_events_post(ev, 100 + (uint32_t)i, "state", "n%d", i);
	n = phx_events_read(ev, &cur, buf, sizeof(buf), NULL);
	buf[n] = '\0';
	ck_assert_ptr_nonnull(strstr(buf, " - dropped 6 events (reader fell behind)\n"));
	ck_assert_uint_eq(count_lines(buf, (size_t)n), 5);
	ck_assert_ptr_null(strstr(buf, " n5\n"));
	ck_assert_ptr_nonnull(strstr(buf, " 106 state n6\n"));
	ck_assert_ptr_nonnull(strstr(buf, " 109 state n9\n"));
	ck_assert_uint_eq(cur, 10);
	phx_events_free(ev);
}
END_TEST

START_TEST(small_buffer_takes_whole_lines)
{
	struct phx_events *ev = phx_events_new(8);
	uint64_t cur = 0;
	char buf[4096];
	ssize_t n;

	phx_events_post(ev, 101, "state", "aaaaaaaaaa");
	phx_events_post(ev, 102, "state", "bbbbbbbbbb");
	n = phx_events_read(ev, &cur, buf, 60, NULL); /* room for one line */
	ck_assert_uint_eq(count_lines(buf, (size_t)n), 1);
	ck_assert_int_eq(buf[n - 1], '\n');
	ck_assert_uint_eq(cur, 1);
	n = phx_events_read(ev, &cur, buf, 60, NULL);
	ck_assert_uint_eq(count_lines(buf, (size_t)n), 1);
	ck_assert_uint_eq(cur, 2);
	phx_events_free(ev);
}
END_TEST

struct reader {
	struct phx_events *ev;
	uint64_t cur;
	ssize_t got;
	char buf[4096];
};

static void *read_one(void *arg)
{
	struct reader *r = arg;

	r->got = phx_events_read(r->ev, &r->cur, r->buf, sizeof(r->buf), NULL);
	return NULL;
}

START_TEST(blocked_reader_wakes)
{
	struct reader r = { .ev = phx_events_new(8) };
	pthread_t t;

	r.cur = phx_events_now(r.ev);
	ck_assert_int_eq(pthread_create(&t, NULL, read_one, &r), 0);
	phx_events_post(r.ev, 910, "state", "cloning");
	pthread_join(t, NULL);
	ck_assert_int_gt(r.got, 0);
	r.buf[r.got] = '\0';
	ck_assert_ptr_nonnull(strstr(r.buf, "910 state cloning"));

	/* close ends a blocked read with 0 (end of file) */
	ck_assert_int_eq(pthread_create(&t, NULL, read_one, &r), 0);
	phx_events_close(r.ev);
	pthread_join(t, NULL);
	ck_assert_int_eq(r.got, 0);
	phx_events_free(r.ev);
}
END_TEST

static int polls;
static bool interrupt_third(void)
{
	return ++polls >= 3;
}

START_TEST(interrupted_read)
{
	struct phx_events *ev = phx_events_new(8);
	uint64_t cur = phx_events_now(ev);
	char buf[512];

	polls = 0;
	ck_assert_int_eq(phx_events_read(ev, &cur, buf, sizeof(buf), interrupt_third), -EINTR);
	ck_assert_int_eq(polls, 3);
	phx_events_free(ev);
}
END_TEST

#define POSTERS 4
#define POSTS 20000

static void *post_many(void *arg)
{
	struct phx_events *ev = arg;

	for (int i = 0; i < POSTS; i++)
		phx_events_post(ev, 100, "tick", "%d", i);
	return NULL;
}

START_TEST(many_posters_nothing_lost)
{
	struct reader r = { .ev = phx_events_new(256) };
	pthread_t t[POSTERS];
	unsigned long long seen = 0, dropped = 0;

	r.cur = 0;
	for (int i = 0; i < POSTERS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, post_many, r.ev), 0);
	while (seen + dropped < (unsigned long long)POSTERS * POSTS) {
		ssize_t n = phx_events_read(r.ev, &r.cur, r.buf, sizeof(r.buf) - 1, NULL);
		char *p;

		ck_assert_int_gt(n, 0);
		r.buf[n] = '\0';
		for (p = r.buf; (p = strchr(p, '\n')); p++)
			seen++;
		for (p = r.buf; (p = strstr(p, " - dropped ")); p++) {
			dropped += strtoull(p + 11, NULL, 10);
			seen--; /* the marker is not an event */
		}
	}
	for (int i = 0; i < POSTERS; i++)
		pthread_join(t[i], NULL);
	ck_assert_uint_eq(seen + dropped, (unsigned long long)POSTERS * POSTS);
	ck_assert_uint_eq(r.cur, (uint64_t)POSTERS * POSTS);
	phx_events_free(r.ev);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("events");
	TCase *tc = tcase_create("events");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, lines_in_order);
	tcase_add_test(tc, new_reader_sees_only_new);
	tcase_add_test(tc, fell_behind_marker);
	tcase_add_test(tc, small_buffer_takes_whole_lines);
	tcase_add_test(tc, blocked_reader_wakes);
	tcase_add_test(tc, interrupted_read);
	tcase_add_test(tc, many_posters_nothing_lost);
	suite_add_tcase(s, tc);
	return phx_check_run(s);
}
