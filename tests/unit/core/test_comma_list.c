/* Comma-list membership: whole members only, first, middle and last. */
#include "backend/comma_list.h"
#include "tests/unit/check_run.h"

START_TEST(whole_members)
{
	ck_assert(phx_comma_list_has("local,local-lvm,shared", "local"));
	ck_assert(phx_comma_list_has("local,local-lvm,shared", "local-lvm"));
	ck_assert(phx_comma_list_has("local,local-lvm,shared", "shared"));
	ck_assert(!phx_comma_list_has("local,local-lvm,shared", "local-"));
	ck_assert(!phx_comma_list_has("local-lvm", "local"));
	ck_assert(!phx_comma_list_has("pve1,pve2", "pve"));
	ck_assert(!phx_comma_list_has("", "pve1"));
	ck_assert(!phx_comma_list_has(NULL, "pve1"));
	ck_assert(phx_comma_list_has("pve1,,pve2", "pve2"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("comma_list");
	TCase *tc = tcase_create("comma_list");

	tcase_add_test(tc, whole_members);
	suite_add_tcase(s, tc);
	return phx_check_run(s);
}
