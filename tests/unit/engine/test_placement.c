/* placement_pick: the online node with the storage and the most free
 * memory, and why; none fits: why not. */
#include "backend/engine/placement.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define GIB (1024ULL * 1024 * 1024)

static struct phx_node_load nodes[3];
static struct phx_node_load_list list = { nodes, 3 };
static char node[64], why[700];

static void setup(void)
{
	memset(nodes, 0, sizeof(nodes));
	strcpy(nodes[0].name, "pve1");
	nodes[0].online = true;
	nodes[0].maxmem = 32 * GIB;
	nodes[0].mem = 20 * GIB;          /* 12 free */
	strcpy(nodes[0].storages, "local,local-lvm,shared");
	strcpy(nodes[1].name, "pve2");
	nodes[1].online = true;
	nodes[1].maxmem = 64 * GIB;
	nodes[1].mem = 4 * GIB;           /* 60 free, no local-lvm */
	strcpy(nodes[1].storages, "local,shared");
	strcpy(nodes[2].name, "pve3");
	nodes[2].online = true;
	nodes[2].maxmem = 32 * GIB;
	nodes[2].mem = 2 * GIB;           /* 30 free */
	strcpy(nodes[2].storages, "local,local-lvm-x,local-lvm,shared");
	list.n = 3;
}

START_TEST(most_free_memory_with_the_storage)
{
	ck_assert_int_eq(placement_pick(&list, "local-lvm", node, sizeof(node), why, sizeof(why)), 0);
	ck_assert_str_eq(node, "pve3");
	ck_assert_str_eq(why, "most free memory: 30.0 of 32.0 GiB, has local-lvm; "
			 "pve1 12.0 GiB free; pve2 lacks local-lvm");
	/* no storage named: the most free memory overall */
	ck_assert_int_eq(placement_pick(&list, NULL, node, sizeof(node), why, sizeof(why)), 0);
	ck_assert_str_eq(node, "pve2");
	ck_assert_int_eq(placement_pick(&list, "shared", node, sizeof(node), why, sizeof(why)), 0);
	ck_assert_str_eq(node, "pve2");
}
END_TEST

START_TEST(offline_and_figureless_nodes_are_left_out)
{
	nodes[2].online = false;
	ck_assert_int_eq(placement_pick(&list, "local-lvm", node, sizeof(node), why, sizeof(why)), 0);
	ck_assert_str_eq(node, "pve1");
	ck_assert(strstr(why, "; pve3 offline") != NULL);
	/* no figures (no Sys.Audit on the node): not a candidate */
	nodes[0].maxmem = 0;
	ck_assert_int_eq(placement_pick(&list, "local-lvm", node, sizeof(node), why, sizeof(why)), -1);
	ck_assert_str_eq(why, "no online node with storage 'local-lvm' reports its memory (3 nodes listed)");
}
END_TEST

START_TEST(a_storage_name_is_matched_whole)
{
	ck_assert_int_eq(placement_pick(&list, "local-lvm-x", node, sizeof(node), why, sizeof(why)), 0);
	ck_assert_str_eq(node, "pve3");
	ck_assert_int_eq(placement_pick(&list, "lvm", node, sizeof(node), why, sizeof(why)), -1);
}
END_TEST

START_TEST(a_tie_goes_to_the_first_listed)
{
	nodes[0].mem = 2 * GIB;
	ck_assert_int_eq(placement_pick(&list, "local-lvm", node, sizeof(node), why, sizeof(why)), 0);
	ck_assert_str_eq(node, "pve1");
}
END_TEST

int main(void)
{
	Suite *su = suite_create("engine_placement");
	TCase *tc = tcase_create("pick");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, most_free_memory_with_the_storage);
	tcase_add_test(tc, offline_and_figureless_nodes_are_left_out);
	tcase_add_test(tc, a_storage_name_is_matched_whole);
	tcase_add_test(tc, a_tie_goes_to_the_first_listed);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
