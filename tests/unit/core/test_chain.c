/* Clone chains: cycles (ELOOP) and unknown sources (ENOENT) over the whole
 * chain, ended by containers that exist on the backend. */
#include "backend/chain.h"
#include "tests/unit/check_run.h"

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

START_TEST(build_order)
{
	/* the real config's shape: 101 and 102 need 103, 901 needs a VM (1002)
	 * the file does not name; 910 clones 901 */
	json_object *c = configs("{\"900\": {},"
				 " \"901\": {\"clone_from_ctid\": \"900\", \"dependencies\": [\"1002\"]},"
				 " \"910\": {\"clone_from_ctid\": \"901\"},"
				 " \"103\": {\"clone_from_ctid\": \"900\"},"
				 " \"101\": {\"clone_from_ctid\": 900, \"dependencies\": [\"103\", 910]},"
				 " \"102\": {\"clone_from_ctid\": \"900\", \"dependencies\": [\"103\", \"101\"]}}");
	json_object *e;
	uint32_t deps[4];
	char err[256];

	ck_assert_int_eq(phx_order_check_all(c, err, sizeof(err)), 0);
	ck_assert_int_eq(phx_chain_deps(json_object_object_get(c, "101"), deps, 4, err, sizeof(err)), 2);
	ck_assert_uint_eq(deps[0], 103);
	ck_assert_uint_eq(deps[1], 910);

	/* 900 now waits for 102, a clone of 900: the shortest way round */
	json_object_object_add(json_object_object_get(c, "900"), "dependencies",
			       json_tokener_parse("[\"102\"]"));
	ck_assert_int_eq(phx_order_check(c, 900, err, sizeof(err)), -ELOOP);
	ck_assert_str_eq(err, "build order cycle: 900 waits for 102 (dependency), which waits for 900 (clone source)");
	/* 901 waits for 101: 101 -> 910 -> 901, a longer way */
	json_object_object_add(json_object_object_get(c, "900"), "dependencies", NULL);
	json_object_object_add(json_object_object_get(c, "901"), "dependencies",
			       json_tokener_parse("[\"1002\", \"102\"]"));
	ck_assert_int_eq(phx_order_check(c, 901, err, sizeof(err)), -ELOOP);
	ck_assert_str_eq(err, "build order cycle: 901 waits for 102 (dependency), which waits for 101 (dependency),"
			      " which waits for 910 (dependency), which waits for 901 (clone source)");
	ck_assert_int_eq(phx_order_check_all(c, err, sizeof(err)), -ELOOP);
	json_object_object_add(json_object_object_get(c, "901"), "dependencies",
			       json_tokener_parse("[\"1002\"]"));
	json_object_object_del(json_object_object_get(c, "900"), "dependencies");

	/* depending on itself */
	e = json_object_object_get(c, "103");
	json_object_object_add(e, "dependencies", json_tokener_parse("[103]"));
	ck_assert_int_eq(phx_order_check(c, 103, err, sizeof(err)), -ELOOP);
	ck_assert_str_eq(err, "build order cycle: 103 waits for 103 (dependency)");

	/* malformed lists are refused, not skipped */
	json_object_object_add(e, "dependencies", json_tokener_parse("[\"abc\"]"));
	ck_assert_int_eq(phx_order_check(c, 103, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "dependencies[0] is not a container id");
	json_object_object_add(e, "dependencies", json_object_new_string("103"));
	ck_assert_int_eq(phx_order_check(c, 103, err, sizeof(err)), -EINVAL);
	json_object_object_add(e, "dependencies", NULL); /* null: none */
	ck_assert_int_eq(phx_order_check(c, 103, err, sizeof(err)), 0);
	json_object_put(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("chain");
	TCase *tc = tcase_create("chain");

	tcase_add_test(tc, chains);
	tcase_add_test(tc, whole_document);
	tcase_add_test(tc, build_order);
	suite_add_tcase(s, tc);
	return phx_check_run(s);
}
