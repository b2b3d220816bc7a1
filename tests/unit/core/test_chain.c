/* Clone chains: cycles (ELOOP) and unknown sources (ENOENT) over the whole
 * chain, ended by containers that exist on the backend. */
#include "backend/chain.h"

#include <check.h>
#include <errno.h>
#include <string.h>

static json_object *configs(const char *json)
{
	json_object *v = json_tokener_parse(json);

	ck_assert_ptr_nonnull(v);
	return v;
}

static bool backend_has_800(void *arg, uint32_t ctid)
{
	(void)arg;
	return ctid == 800;
}

START_TEST(chains)
{
	json_object *c = configs("{\"900\": {\"template\": \"local:vztmpl/x\"},"
				 " \"901\": {\"clone_from_ctid\": \"900\"},"
				 " \"902\": {\"clone_from_ctid\": 901},"
				 " \"103\": {},"
				 " \"104\": {\"clone_from_ctid\": \"555\"},"
				 " \"105\": {\"clone_from_ctid\": \"800\"},"
				 " \"106\": {\"clone_from_ctid\": \"bogus\"}}");
	char err[256];

	ck_assert_int_eq(phx_chain_check(c, 103, 902, NULL, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(phx_chain_check(c, 900, 902, NULL, NULL, err, sizeof(err)), -ELOOP);
	ck_assert_ptr_nonnull(strstr(err, "cycle"));
	ck_assert_int_eq(phx_chain_check(c, 103, 103, NULL, NULL, err, sizeof(err)), -ELOOP);
	ck_assert_ptr_nonnull(strstr(err, "itself"));
	ck_assert_int_eq(phx_chain_check(c, 103, 555, NULL, NULL, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "555"));
	/* a missing link deeper in the chain is found too */
	ck_assert_int_eq(phx_chain_check(c, 103, 104, NULL, NULL, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "needed by 104"));
	/* a source that exists on the backend ends the chain */
	ck_assert_int_eq(phx_chain_check(c, 103, 800, backend_has_800, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(phx_chain_check(c, 103, 105, backend_has_800, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(phx_chain_check(c, 103, 105, NULL, NULL, err, sizeof(err)), -ENOENT);
	ck_assert_int_eq(phx_chain_check(c, 103, 106, NULL, NULL, err, sizeof(err)), -EINVAL);
	json_object_put(c);
}
END_TEST

START_TEST(whole_document)
{
	json_object *c = configs("{\"900\": {\"clone_from_ctid\": \"901\"},"
				 " \"901\": {\"clone_from_ctid\": \"900\"}}");
	char err[256];

	ck_assert_int_eq(phx_chain_check_all(c, NULL, NULL, err, sizeof(err)), -ELOOP);
	json_object_put(c);
	/* a cycle that does not pass through the container being written */
	c = configs("{\"900\": {\"clone_from_ctid\": \"901\"},"
		    " \"901\": {\"clone_from_ctid\": \"900\"}, \"103\": {}}");
	ck_assert_int_eq(phx_chain_check(c, 103, 900, NULL, NULL, err, sizeof(err)), -ELOOP);
	json_object_put(c);
	c = configs("{\"900\": {}, \"901\": {\"clone_from_ctid\": \"900\"}}");
	ck_assert_int_eq(phx_chain_check_all(c, NULL, NULL, err, sizeof(err)), 0);
	json_object_put(c);
	ck_assert_int_eq(phx_chain_check_all(NULL, NULL, NULL, err, sizeof(err)), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("chain");
	TCase *tc = tcase_create("chain");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, chains);
	tcase_add_test(tc, whole_document);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
