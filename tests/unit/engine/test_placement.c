/* placement_pick: the online node with the storage and the most free
 * memory, less what this mount holds there for containers the listing does
 * not count yet, and why; a tie goes to fewer holds, then the name; none
 * fits: why not. */
#include "backend/engine/placement.h"
#include "tests/unit/check_run.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define GIB (1024ULL * 1024 * 1024)

static struct phx_node_load nodes[3];
static struct phx_node_load_list list = { nodes, 3, NULL, 0 };
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
	ck_assert_int_eq(placement_pick(&list, NULL, 0, "local-lvm", node, sizeof(node), why, sizeof(why)), 0);
	ck_assert_str_eq(node, "pve3");
	ck_assert_str_eq(why, "most free memory: 30.0 of 32.0 GiB, has local-lvm; "
			 "pve1 12.0 GiB free; pve2 lacks local-lvm");
	/* no storage named: the most free memory overall */
	ck_assert_int_eq(placement_pick(&list, NULL, 0, NULL, node, sizeof(node), why, sizeof(why)), 0);
	ck_assert_str_eq(node, "pve2");
	ck_assert_int_eq(placement_pick(&list, NULL, 0, "shared", node, sizeof(node), why, sizeof(why)), 0);
	ck_assert_str_eq(node, "pve2");
}
END_TEST

START_TEST(offline_and_figureless_nodes_are_left_out)
{
	nodes[2].online = false;
	ck_assert_int_eq(placement_pick(&list, NULL, 0, "local-lvm", node, sizeof(node), why, sizeof(why)), 0);
	ck_assert_str_eq(node, "pve1");
	ck_assert(strstr(why, "; pve3 offline") != NULL);
	/* no figures (no Sys.Audit on the node): not a candidate */
	nodes[0].maxmem = 0;
	ck_assert_int_eq(placement_pick(&list, NULL, 0, "local-lvm", node, sizeof(node), why, sizeof(why)), -1);
	ck_assert_str_eq(why, "no online node with storage 'local-lvm' reports its memory (3 nodes listed)");
}
END_TEST

START_TEST(a_storage_name_is_matched_whole)
{
	ck_assert_int_eq(placement_pick(&list, NULL, 0, "local-lvm-x", node, sizeof(node), why, sizeof(why)), 0);
	ck_assert_str_eq(node, "pve3");
	ck_assert_int_eq(placement_pick(&list, NULL, 0, "lvm", node, sizeof(node), why, sizeof(why)), -1);
}
END_TEST

START_TEST(held_memory_counts_against_its_node)
{
	/* pve3 has the most free (30) but holds 20 GiB for two containers
	 * placed and not yet running there: pve1's 12 wins */
	struct place_hold holds[] = {
		{ 601, "pve3", 16 * GIB }, { 602, "pve3", 4 * GIB }, { 603, "pve1", GIB / 2 },
	};

	ck_assert_int_eq(placement_pick(&list, holds, 3, "local-lvm", node, sizeof(node),
					why, sizeof(why)), 0);
	ck_assert_str_eq(node, "pve1");
	ck_assert_str_eq(why, "most free memory: 11.5 of 32.0 GiB (12.0 listed less 0.5 held "
			 "for 1 placed, not yet running), has local-lvm; pve2 lacks local-lvm; "
			 "pve3 10.0 GiB free (30.0 less 20.0 held for 2 placed)");
	/* the holds of other nodes do not count against pve2 */
	ck_assert_int_eq(placement_pick(&list, holds, 3, NULL, node, sizeof(node),
					why, sizeof(why)), 0);
	ck_assert_str_eq(node, "pve2");
	ck_assert_str_eq(why, "most free memory: 60.0 of 64.0 GiB; pve1 11.5 GiB free "
			 "(12.0 less 0.5 held for 1 placed); pve3 10.0 GiB free (30.0 less 20.0 held for 2 placed)");
	/* held beyond what is free: below zero, and still compared */
	holds[0].bytes = 40 * GIB;
	nodes[0].mem = 31 * GIB; /* pve1: 1 free, 0.5 held */
	ck_assert_int_eq(placement_pick(&list, holds, 3, "local-lvm", node, sizeof(node),
					why, sizeof(why)), 0);
	ck_assert_str_eq(node, "pve1");
	ck_assert(strstr(why, "; pve3 -14.0 GiB free (30.0 less 44.0 held for 2 placed)") != NULL);
}
END_TEST

START_TEST(a_tie_goes_to_fewer_holds_then_the_name)
{
	struct place_hold holds[] = { { 601, "pve1", GIB } };

	/* pve1 and pve3 both 30 free: the name decides */
	nodes[0].mem = 2 * GIB;
	ck_assert_int_eq(placement_pick(&list, NULL, 0, "local-lvm", node, sizeof(node),
					why, sizeof(why)), 0);
	ck_assert_str_eq(node, "pve1");
	ck_assert_str_eq(why, "most free memory: 30.0 of 32.0 GiB, has local-lvm; pve2 lacks "
			 "local-lvm; pve3 30.0 GiB free; tied with pve3 (fewer placements "
			 "held, then name order, decide)");
	/* listed in another order: still the name, not the first listed */
	nodes[1] = nodes[0];
	nodes[0] = nodes[2];
	nodes[2] = nodes[1];
	list.n = 3;
	ck_assert_int_eq(placement_pick(&list, NULL, 0, "local-lvm", node, sizeof(node),
					why, sizeof(why)), 0);
	ck_assert_str_eq(node, "pve1");
	/* equal free memory, but pve1 holds more placements: pve3 */
	nodes[2].mem = 1 * GIB; /* pve1: 31 listed, 30 after its hold */
	ck_assert_int_eq(placement_pick(&list, holds, 1, "local-lvm", node, sizeof(node),
					why, sizeof(why)), 0);
	ck_assert_str_eq(node, "pve3");
	ck_assert(strstr(why, "; tied with pve1 (") != NULL);
}
END_TEST

START_TEST(a_batch_placed_at_once_spreads)
{
	/* equal nodes, nothing running yet: 12 containers of 512 MiB placed
	 * before any shows in the listing take the nodes in turn */
	struct place_hold holds[12];
	unsigned on[3] = { 0, 0, 0 };

	for (int i = 0; i < 3; i++) {
		nodes[i].maxmem = 32 * GIB;
		nodes[i].mem = GIB;
	}
	for (unsigned i = 0; i < 12; i++) {
		ck_assert_int_eq(placement_pick(&list, holds, i, NULL, node, sizeof(node),
						why, sizeof(why)), 0);
		ck_assert_str_eq(node, nodes[i % 3].name);
		holds[i].ctid = 600 + i;
		strcpy(holds[i].node, node);
		holds[i].bytes = 512ULL << 20;
		on[node[3] - '1']++;
	}
	ck_assert_uint_eq(on[0], 4);
	ck_assert_uint_eq(on[1], 4);
	ck_assert_uint_eq(on[2], 4);
	/* the last one's why counts the three others' holds */
	ck_assert_str_eq(why, "most free memory: 29.5 of 32.0 GiB (31.0 listed less 1.5 held for "
			 "3 placed, not yet running); pve1 29.0 GiB free (31.0 less 2.0 held for 4 placed); "
			 "pve2 29.0 GiB free (31.0 less 2.0 held for 4 placed)");
}
END_TEST

START_TEST(listed_running_is_where_the_listing_shows_it)
{
	struct phx_guest_seen seen[] = {
		{ 601, "pve1", true }, { 602, "pve2", false }, { 603, "pve3", true },
	};

	list.guests = seen;
	list.nguests = 3;
	ck_assert(placement_listed_running(&list, 601, "pve1"));
	/* made but stopped: uses no memory yet */
	ck_assert(!placement_listed_running(&list, 602, "pve2"));
	/* running elsewhere (moved): not on the node it was held on */
	ck_assert(!placement_listed_running(&list, 603, "pve1"));
	/* not listed yet */
	ck_assert(!placement_listed_running(&list, 604, "pve1"));
	list.guests = NULL;
	list.nguests = 0;
}
END_TEST

int main(void)
{
	Suite *su = suite_create("engine_placement");
	TCase *tc = tcase_create("pick");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, most_free_memory_with_the_storage);
	tcase_add_test(tc, offline_and_figureless_nodes_are_left_out);
	tcase_add_test(tc, a_storage_name_is_matched_whole);
	tcase_add_test(tc, held_memory_counts_against_its_node);
	tcase_add_test(tc, a_tie_goes_to_fewer_holds_then_the_name);
	tcase_add_test(tc, a_batch_placed_at_once_spreads);
	tcase_add_test(tc, listed_running_is_where_the_listing_shows_it);
	suite_add_tcase(su, tc);
	return phx_check_run(su);
}
