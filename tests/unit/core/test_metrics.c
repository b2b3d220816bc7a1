/* Metrics: counters counted exactly under concurrency, histogram buckets
 * cumulative with +Inf equal to the count, and the exposition format. */
#include "backend/metrics.h"
#include "tests/unit/check_run.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 4
#define INCS 50000

static void *bump(void *arg)
{
	for (int i = 0; i < INCS; i++) {
		phx_metrics_inc(arg, PHX_C_API_REQUESTS);
		phx_metrics_observe(arg, PHX_H_API_SECONDS, 0.02);
	}
	return NULL;
}

static char *render(struct phx_metrics *m)
{
	struct strbuf b = STRBUF_INIT;
	char *s;

	phx_metrics_render(m, &b);
	ck_assert_int_eq(strbuf_finish(&b, &s, NULL), 0);
	return s;
}

START_TEST(counts_exact)
{
	struct phx_metrics *m = phx_metrics_new();
	pthread_t t[THREADS];
	char *s, want[128];

	for (int i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, bump, m), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	ck_assert_uint_eq(phx_metrics_counter(m, PHX_C_API_REQUESTS), THREADS * INCS);
	s = render(m);
	snprintf(want, sizeof(want), "\nphoenixfs_api_requests_total %d\n", THREADS * INCS);
	ck_assert_ptr_nonnull(strstr(s, want));
	snprintf(want, sizeof(want), "\nphoenixfs_api_request_seconds_bucket{le=\"0.01\"} 0\n");
	ck_assert_ptr_nonnull(strstr(s, want));
	snprintf(want, sizeof(want), "\nphoenixfs_api_request_seconds_bucket{le=\"0.025\"} %d\n",
		 THREADS * INCS);
	ck_assert_ptr_nonnull(strstr(s, want));
	snprintf(want, sizeof(want), "\nphoenixfs_api_request_seconds_bucket{le=\"+Inf\"} %d\n",
		 THREADS * INCS);
	ck_assert_ptr_nonnull(strstr(s, want));
	snprintf(want, sizeof(want), "\nphoenixfs_api_request_seconds_count %d\n", THREADS * INCS);
	ck_assert_ptr_nonnull(strstr(s, want));
	ck_assert_ptr_nonnull(strstr(s, "\nphoenixfs_api_request_seconds_sum 4000.000000\n"));
	free(s);
	phx_metrics_free(m);
}
END_TEST

START_TEST(format)
{
	struct phx_metrics *m = phx_metrics_new();
	struct strbuf b = STRBUF_INIT;
	const char *states[] = { "running", "failed" };
	unsigned long long n[] = { 7, 1 };
	char *s;

	phx_metrics_observe(m, PHX_H_HOOK_SECONDS, 4000); /* past every bound */
	phx_metrics_inc(NULL, PHX_C_BUILDS_DONE);          /* no metrics: fine */
	s = render(m);
	ck_assert_ptr_nonnull(strstr(s, "# HELP phoenixfs_builds_failed_total "));
	ck_assert_ptr_nonnull(strstr(s, "# TYPE phoenixfs_builds_failed_total counter\n"));
	ck_assert_ptr_nonnull(strstr(s, "# TYPE phoenixfs_hook_seconds histogram\n"));
	ck_assert_ptr_nonnull(strstr(s, "phoenixfs_hook_seconds_bucket{le=\"3600\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(s, "phoenixfs_hook_seconds_bucket{le=\"+Inf\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(s, "phoenixfs_hook_seconds_sum 4000.000000\n"));
	free(s);
	phx_metrics_render_gauge(&b, "phoenixfs_containers", "Containers by state.", "state",
				 states, n, 2);
	ck_assert_int_eq(strbuf_finish(&b, &s, NULL), 0);
	ck_assert_str_eq(s, "# HELP phoenixfs_containers Containers by state.\n"
			    "# TYPE phoenixfs_containers gauge\n"
			    "phoenixfs_containers{state=\"running\"} 7\n"
			    "phoenixfs_containers{state=\"failed\"} 1\n");
	free(s);
	phx_metrics_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("metrics");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, counts_exact);
	tcase_add_test(tc, format);
	suite_add_tcase(s, tc);
	return phx_check_run(s);
}
