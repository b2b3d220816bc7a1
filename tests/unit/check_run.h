/* The end of every unit test's main(): run the suite, report, and exit
 * non-zero when a test failed (meson counts the exit status). */
#ifndef PHX_TESTS_CHECK_RUN_H
#define PHX_TESTS_CHECK_RUN_H

#include <check.h>
#include <stdlib.h>

static inline int phx_check_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
