/* The planner and the builds against the fake Proxmox: ordering, sharing,
 * cycles, failure propagation, retry, the parallelism bound, serialized
 * clones, conversion seen in the config, lost answers, wait. */
#include "harness.h"
#include "tests/unit/check_run.h"

#include <string.h>
#include <unistd.h>

#define E900_TPL "\"900\": {\"name\": \"base\", \"is_template\": true, \"template\": \"" TMPL "\", " \
	"\"storage_pool\": \"local-lvm\", \"storage_size_gb\": 8, \"memory_mb\": 2048, " \
	"\"unprivileged\": true}"
#define LEAF(id, src) "\"" #id "\": {\"name\": \"leaf" #id "\", \"clone_from_ctid\": \"" #src "\", " \
	"\"memory_mb\": 1024, \"swap_mb\": 256, \"cores\": 1, \"storage_pool\": \"local-lvm\", " \
	"\"network_config\": {\"name\": \"eth0\", \"bridge\": \"vmbr0\", \"ip\": \"10.0.0.5/24\", " \
	"\"gw\": \"10.0.0.1\"}, \"mac_address\": \"52:54:00:00:00:01\", \"start_at_boot\": true, " \
	"\"boot_order\": 1, \"boot_delay\": 5}"

static void teardown(void)
{
	h_teardown();
}

START_TEST(seed_scenario_template_then_linked_clone)
{
	char *p, buf[256];

	h_setup(E900_TPL ", " LEAF(103, 900), 4, 1, 30);
	phx_engine_changed(h_eng, 103, "clone_from_ctid");
	h_wait_status(103, 0, "running");
	h_wait_status(900, 0, "template");
	ck_assert(phx_engine_is_template(h_eng, 900));
	ck_assert(fake_is_template(h_fake, 900));
	ck_assert(fake_is_running(h_fake, 103));
	ck_assert_uint_eq(fake_calls(h_fake, "create", 0), 1);
	ck_assert_uint_eq(fake_calls(h_fake, "clone", 0), 1);
	ck_assert_uint_eq(fake_calls(h_fake, "template", 900), 1);
	ck_assert_uint_lt(fake_created_seq(h_fake, 900), fake_created_seq(h_fake, 103));

	p = fake_last_params(h_fake, "create", 900);
	ck_assert_str_eq(p, "ostemplate=" TMPL "&rootfs=local-lvm:8&hostname=base&memory=2048"
			 "&unprivileged=1");
	free(p);
	p = fake_last_params(h_fake, "clone", 103);
	ck_assert_str_eq(p, "full=0"); /* linked: no storage */
	free(p);
	p = fake_last_params(h_fake, "set_config", 103);
	/* in the order of the schema table's rows */
	ck_assert_str_eq(p, "hostname=leaf103&memory=1024&swap=256&cores=1&onboot=1"
			 "&startup=order=1,up=5&net0=name=eth0,"
			 "bridge=vmbr0,ip=10.0.0.5/24,gw=10.0.0.1,hwaddr=52:54:00:00:00:01");
	free(p);
	fake_config(h_fake, 103, "hostname", buf, sizeof(buf));
	ck_assert_str_eq(buf, "leaf103");
	ck_assert(h_log_has(103, "cloning 103 from 900 on pve: linked clone on the template's storage local-lvm (lvmthin)"));
	ck_assert(h_log_has(103, "task: vzclone of 103"));
	ck_assert(h_log_has(900, "converted: template: 1 in the config"));
}
END_TEST

START_TEST(three_level_chain)
{
	h_setup(E900_TPL ", \"901\": {\"name\": \"mid\", \"clone_from_ctid\": 900, "
		"\"is_template\": true}, " LEAF(103, 901), 4, 1, 20);
	phx_engine_changed(h_eng, 103, "clone_from_ctid");
	h_wait_status(103, 0, "running");
	h_wait_status(901, 0, "template");
	h_wait_status(900, 0, "template");
	ck_assert_uint_eq(fake_calls(h_fake, "create", 0), 1);
	ck_assert_uint_eq(fake_calls(h_fake, "clone", 0), 2);
	ck_assert_uint_lt(fake_created_seq(h_fake, 900), fake_created_seq(h_fake, 901));
	ck_assert_uint_lt(fake_created_seq(h_fake, 901), fake_created_seq(h_fake, 103));
}
END_TEST

START_TEST(two_leaves_share_one_source_build)
{
	char status[256];

	h_setup(E900_TPL ", " LEAF(103, 900) ", " LEAF(104, 900) ", " LEAF(105, 900), 4, 1, 40);
	phx_engine_changed(h_eng, 103, "clone_from_ctid");
	phx_engine_changed(h_eng, 104, "clone_from_ctid");
	phx_engine_changed(h_eng, 105, NULL);
	/* while 900 builds, the leaves wait for it (planning starts after the
	 * first listing, which a slow run may not have had yet) */
	for (int i = 0; i < 5000; i++) {
		ck_assert(!phx_engine_settled(h_eng, 104, status, sizeof(status), NULL));
		if (strcmp(status, "queued: waiting for 900") == 0)
			break;
		usleep(1000);
	}
	ck_assert_str_eq(status, "queued: waiting for 900");
	h_wait_status(103, 0, "running");
	h_wait_status(104, 0, "running");
	h_wait_status(105, 0, "running");
	ck_assert_uint_eq(fake_calls(h_fake, "create", 900), 1);
	ck_assert_uint_eq(fake_calls(h_fake, "template", 900), 1);
	ck_assert_uint_eq(fake_guests(h_fake), 4);
	/* clones from one source never overlap (its disk lock) */
	ck_assert_uint_eq(fake_max_clones_per_source(h_fake), 1);
}
END_TEST

/* lxc-manager.sh's design: the source is no template; it builds, takes the
 * snapshot its own entry names, and its clones are full clones from it,
 * each waiting until it exists; the source keeps running. */
#define E900_SNAP "\"900\": {\"name\": \"base\", \"template\": \"" TMPL "\", " \
	"\"storage_pool\": \"local-lvm\", \"memory_mb\": 2048, " \
	"\"template_snapshot_name\": \"golden\", \"enable_lifecycle_snapshots\": true}"
START_TEST(clones_wait_for_the_source_snapshot)
{
	char status[256], *p;

	h_setup(E900_SNAP ", " LEAF(103, 900) ", " LEAF(104, 900), 4, 1, 40);
	phx_engine_changed(h_eng, 103, "clone_from_ctid");
	phx_engine_changed(h_eng, 104, "clone_from_ctid");
	for (int i = 0; i < 5000; i++) {
		ck_assert(!phx_engine_settled(h_eng, 104, status, sizeof(status), NULL));
		if (strcmp(status, "queued: waiting for snapshot golden of 900") == 0)
			break;
		usleep(1000);
	}
	ck_assert_str_eq(status, "queued: waiting for snapshot golden of 900");
	h_wait_status(103, 0, "running");
	h_wait_status(104, 0, "running");
	h_wait_status(900, 0, "running");
	ck_assert(fake_is_running(h_fake, 900));
	ck_assert(!fake_is_template(h_fake, 900));
	ck_assert_uint_eq(fake_calls(h_fake, "create", 900), 1);
	ck_assert_uint_eq(fake_calls(h_fake, "template", 0), 0);
	/* golden once; pre-configured and final-form once each (none existed) */
	ck_assert_uint_eq(fake_calls(h_fake, "snapshot", 900), 3);
	ck_assert_uint_eq(fake_calls(h_fake, "delete_snapshot", 900), 0);
	for (uint32_t c = 103; c <= 104; c++) {
		p = fake_last_params(h_fake, "clone", c);
		ck_assert_str_eq(p, "full=1&storage=local-lvm&snapname=golden");
		free(p);
		ck_assert(h_log_has(c, "(full clone from snapshot golden)"));
	}
	ck_assert_uint_eq(fake_max_clones_per_source(h_fake), 1);
	/* a second create of 900 takes the lifecycle snapshots again (delete
	 * first) and keeps golden */
	{
		char e[256];

		ck_assert_int_eq(phx_engine_ctl(h_eng, 900, "create", e, sizeof(e)), 0);
	}
	h_wait_status(900, 0, "running");
	ck_assert_uint_eq(fake_calls(h_fake, "delete_snapshot", 900), 2);
	ck_assert_uint_eq(fake_calls(h_fake, "snapshot", 900), 5);
	ck_assert_uint_eq(fake_calls(h_fake, "create", 900), 1);
}
END_TEST

START_TEST(cycle_in_the_doc_fails_instead_of_hanging)
{
	char *err;

	h_setup("\"103\": {\"clone_from_ctid\": \"104\"}, \"104\": {\"clone_from_ctid\": \"103\"}",
		2, 1, 10);
	phx_engine_changed(h_eng, 103, "clone_from_ctid");
	/* 103 first: it is asked for, so it is unsettled until it fails; 104
	 * is only planned once the first listing is in (slow under ASan) */
	h_wait_status(103, -EIO, "failed: dependency 104 failed: clone cycle: the chain from "
		      "103 leads back to 103");
	h_wait_status(104, -EIO, "failed: clone cycle: the chain from 103 leads back to 103");
	err = phx_engine_error(h_eng, 103);
	ck_assert_str_eq(err, "dependency 104 failed: clone cycle: the chain from 103 leads "
			 "back to 103");
	free(err);
	ck_assert_uint_eq(fake_guests(h_fake), 0);
}
END_TEST

START_TEST(missing_source_without_entry_fails)
{
	h_setup(LEAF(103, 999), 2, 1, 10);
	phx_engine_changed(h_eng, 103, "clone_from_ctid");
	h_wait_status(103, -EIO, "failed: clone source 999 of 103 has no entry and no container");
}
END_TEST

START_TEST(failure_propagates_and_retry_rebuilds)
{
	char *err;

	h_setup(E900_TPL ", " LEAF(103, 900) ", " LEAF(104, 900), 2, 1, 20);
	fake_fail_task(h_fake, "vzcreate", 900, "storage 'local-lvm' is full");
	phx_engine_changed(h_eng, 103, "clone_from_ctid");
	phx_engine_changed(h_eng, 104, "clone_from_ctid");
	/* the leaves first: asked for, they are unsettled until they fail,
	 * while 900 is planned only once the first listing is in */
	h_wait_status(103, -EIO, "failed: dependency 900 failed: create of 900 failed: "
		      "unable to create CT 900 - storage 'local-lvm' is full");
	h_wait_status(900, -EIO, "failed: create of 900 failed: unable to create CT 900 - "
		      "storage 'local-lvm' is full");
	h_wait_status(104, -EIO, "failed: dependency 900 failed: create of 900 failed: "
		      "unable to create CT 900 - storage 'local-lvm' is full");
	err = phx_engine_error(h_eng, 900);
	ck_assert_str_eq(err, "create of 900 failed: unable to create CT 900 - storage "
			 "'local-lvm' is full");
	free(err);
	ck_assert(h_log_has(900, "task: TASK ERROR: unable to create CT 900"));
	ck_assert(!fake_exists(h_fake, 900));

	/* retry on a leaf re-asks for its source too */
	{
		char e[256];

		ck_assert_int_eq(phx_engine_ctl(h_eng, 103, "retry", e, sizeof(e)), 0);
	}
	h_wait_status(103, 0, "running");
	h_wait_status(900, 0, "template");
	ck_assert_uint_eq(fake_calls(h_fake, "create", 900), 2);
	/* 104 stays failed until asked again */
	h_wait_status(104, -EIO, "failed: dependency 900 failed: create of 900 failed: "
		      "unable to create CT 900 - storage 'local-lvm' is full");
}
END_TEST

START_TEST(retry_of_nothing_is_refused)
{
	char e[256];

	h_setup(E900_TPL, 2, 1, 10);
	ck_assert_int_eq(phx_engine_ctl(h_eng, 900, "retry", e, sizeof(e)), -EINVAL);
	ck_assert_str_eq(e, "nothing to retry: 900 has not failed");
	ck_assert_int_eq(phx_engine_ctl(h_eng, 900, "start", e, sizeof(e)), -ENOENT);
	ck_assert_str_eq(e, "900 does not exist on the backend (echo create > ctl builds it)");
}
END_TEST

START_TEST(parallelism_is_bounded_by_jobs)
{
	char doc[4096] = "";
	size_t used = 0;

	for (int i = 0; i < 8; i++)
		used += snprintf(doc + used, sizeof(doc) - used,
				 "%s\"%d\": {\"template\": \"" TMPL "\"}", i ? ", " : "", 200 + i);
	h_setup(doc, 3, 1, 60);
	for (int i = 0; i < 8; i++)
		phx_engine_changed(h_eng, 200 + i, "template");
	for (int i = 0; i < 8; i++)
		h_wait_status(200 + i, 0, "running");
	ck_assert_uint_eq(fake_max_tasks(h_fake), 3);
	ck_assert_uint_eq(fake_calls(h_fake, "create", 0), 8);
}
END_TEST

START_TEST(clones_from_one_existing_source_are_serialized)
{
	char doc[4096] = "";
	size_t used = 0;

	for (int i = 0; i < 5; i++)
		used += snprintf(doc + used, sizeof(doc) - used,
				 "%s\"%d\": {\"clone_from_ctid\": 900}", i ? ", " : "", 300 + i);
	h_setup(doc, 4, 1, 40);
	fake_add_ct(h_fake, "pve", 900, true, false, NULL);
	h_wait_refreshed(900);
	for (int i = 0; i < 5; i++)
		phx_engine_changed(h_eng, 300 + i, "clone_from_ctid");
	for (int i = 0; i < 5; i++)
		h_wait_status(300 + i, 0, "running");
	ck_assert_uint_eq(fake_max_clones_per_source(h_fake), 1);
	ck_assert_uint_eq(fake_calls(h_fake, "clone", 0), 5);
}
END_TEST

START_TEST(touch_is_template_stops_and_converts_seen_in_config)
{
	h_setup("\"500\": {\"is_template\": true}", 2, 1, 40);
	fake_add_ct(h_fake, "pve", 500, false, true, NULL);
	h_wait_refreshed(500);
	/* the listing never reports the template: only the config can say */
	fake_set_listing_lag(h_fake, true);
	phx_engine_changed(h_eng, 500, "is_template");
	h_wait_status(500, 0, "template");
	ck_assert(fake_is_template(h_fake, 500));
	ck_assert_uint_eq(fake_calls(h_fake, "stop", 500), 1);
	ck_assert_uint_eq(fake_calls(h_fake, "template", 500), 1);
	ck_assert(phx_engine_is_template(h_eng, 500));
}
END_TEST

START_TEST(exists_after_lost_answer_is_our_success)
{
	h_setup(E900_TPL ", " LEAF(103, 900), 2, 1, 30);
	fake_lose_answer(h_fake, "create", 900);
	fake_lose_answer(h_fake, "clone", 103);
	phx_engine_changed(h_eng, 103, "clone_from_ctid");
	h_wait_status(103, 0, "running");
	h_wait_status(900, 0, "template");
	ck_assert_uint_eq(fake_calls(h_fake, "create", 900), 1);
	ck_assert_uint_eq(fake_calls(h_fake, "clone", 103), 1);
	ck_assert(h_log_has(900, "already exists after our own request"));
}
END_TEST

START_TEST(transient_errors_are_retried)
{
	h_setup("\"200\": {\"template\": \"" TMPL "\"}", 2, 1, 10);
	fake_fail_call(h_fake, "create", 200, 2, PHX_E_TRANSIENT, "couldn't connect to server");
	phx_engine_changed(h_eng, 200, "template");
	h_wait_status(200, 0, "running");
	ck_assert_uint_eq(fake_calls(h_fake, "create", 200), 3);
	ck_assert(h_log_has(200, "create: couldn't connect to server; trying again in 200 ms"));
}
END_TEST

START_TEST(refusals_fail_at_once)
{
	h_setup("\"200\": {\"template\": \"" TMPL "\"}", 2, 1, 10);
	fake_fail_call(h_fake, "create", 200, 1, PHX_E_REFUSED,
		       "storage 'local' does not support container directories");
	phx_engine_changed(h_eng, 200, "template");
	h_wait_status(200, -EIO, "failed: create of 200 failed: storage 'local' does not "
		      "support container directories");
	ck_assert_uint_eq(fake_calls(h_fake, "create", 200), 1);
}
END_TEST

START_TEST(locked_source_is_waited_out)
{
	h_setup("\"301\": {\"clone_from_ctid\": 900}", 2, 1, 20);
	fake_add_ct(h_fake, "pve", 900, true, false, NULL);
	h_wait_refreshed(900);
	fake_fail_call(h_fake, "clone", 301, 1, PHX_E_LOCKED, "CT is locked (backup)");
	phx_engine_changed(h_eng, 301, "clone_from_ctid");
	h_wait_status(301, 0, "running");
	ck_assert(h_log_has(301, "clone: CT is locked (backup); waiting for the lock on 900 to go"));
}
END_TEST

START_TEST(attribute_change_applied)
{
	char *p;

	h_setup("\"103\": {\"memory_mb\": 4096, \"cores\": 2, \"name\": \"ca\"}", 2, 1, 10);
	fake_add_ct(h_fake, "pve", 103, false, true, NULL);
	h_wait_refreshed(103);
	phx_engine_changed(h_eng, 103, "memory_mb");
	h_wait_status(103, 0, "running");
	p = fake_last_params(h_fake, "set_config", 103);
	ck_assert_str_eq(p, "memory=4096");
	free(p);
	/* keys that only matter at creation change nothing */
	phx_engine_changed(h_eng, 103, "storage_pool");
	ck_assert(h_log_has(103, "storage_pool only applies when the container is built"));
	ck_assert_uint_eq(fake_calls(h_fake, "set_config", 103), 1);
}
END_TEST

START_TEST(ctl_stop_start_destroy)
{
	char e[256];

	h_setup("\"103\": {}", 2, 1, 10);
	fake_add_ct(h_fake, "pve", 103, false, true, NULL);
	h_wait_refreshed(103);
	ck_assert_int_eq(phx_engine_ctl(h_eng, 103, "stop", e, sizeof(e)), 0);
	h_wait_status(103, 0, "stopped");
	ck_assert_int_eq(phx_engine_ctl(h_eng, 103, "start", e, sizeof(e)), 0);
	h_wait_status(103, 0, "running");
	ck_assert_int_eq(phx_engine_ctl(h_eng, 103, "restart", e, sizeof(e)), 0);
	h_wait_status(103, 0, "running");
	ck_assert_int_eq(phx_engine_ctl(h_eng, 103, "destroy", e, sizeof(e)), 0);
	h_wait_status(103, 0, "absent");
	ck_assert(!fake_exists(h_fake, 103));
	ck_assert(!phx_engine_exists(h_eng, 103));
	char *p = fake_last_params(h_fake, "destroy", 103);
	ck_assert_str_eq(p, "purge=1");
	free(p);
}
END_TEST

START_TEST(more_than_one_node_needs_a_choice)
{
	h_setup("\"200\": {\"template\": \"" TMPL "\"}, \"201\": {\"template\": \"" TMPL "\", "
		"\"node\": \"pve2\"}", 2, 2, 10);
	phx_engine_changed(h_eng, 200, "template");
	phx_engine_changed(h_eng, 201, "template");
	h_wait_status(200, -EIO, "failed: cannot choose a node for 200: the cluster has 2 nodes "
		      "(pve, pve2); set its node, or mount with pve_node=");
	h_wait_status(201, 0, "running");
}
END_TEST

START_TEST(wait_is_interruptible_and_settled_reports)
{
	char status[256];
	bool failed = true;

	h_setup("\"200\": {\"template\": \"" TMPL "\"}", 1, 1, 300);
	phx_engine_changed(h_eng, 200, "template");
	ck_assert(!phx_engine_settled(h_eng, 200, status, sizeof(status), &failed));
	ck_assert(strncmp(status, "queued", 6) == 0 || strncmp(status, "creating", 8) == 0);
	h_deadline = h_now() + 0.15;
	ck_assert_int_eq(phx_engine_wait(h_eng, 200, h_too_long, status, sizeof(status)), -EINTR);
	h_wait_status(200, 0, "running");
	ck_assert(phx_engine_settled(h_eng, 200, status, sizeof(status), &failed));
	ck_assert(!failed);
}
END_TEST

START_TEST(journal_resumes_after_stop_without_duplicates)
{
	char status[256];

	h_setup(E900_TPL ", " LEAF(103, 900), 2, 1, 400);
	phx_engine_changed(h_eng, 103, "clone_from_ctid");
	/* stop while 900's create task runs, as a crash would */
	{
		double until = h_now() + 5;

		while (!fake_exists(h_fake, 900) && h_now() < until) {
			struct timespec ts = { 0, 5 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
	}
	ck_assert(fake_exists(h_fake, 900));
	phx_engine_stop(h_eng);
	h_start_engine(2);
	ck_assert(!phx_engine_settled(h_eng, 103, status, sizeof(status), NULL));
	h_wait_status(103, 0, "running");
	h_wait_status(900, 0, "template");
	ck_assert_uint_eq(fake_calls(h_fake, "create", 900), 1);
	ck_assert_uint_eq(fake_calls(h_fake, "clone", 103), 1);
	ck_assert(h_log_has(900, "locked (create) by a running task"));
}
END_TEST

START_TEST(stale_create_lock_is_explained)
{
	h_setup("\"200\": {\"template\": \"" TMPL "\"}", 2, 1, 10);
	char e[256];

	fake_add_ct(h_fake, "pve", 200, false, false, "create");
	h_wait_refreshed(200);
	ck_assert_int_eq(phx_engine_ctl(h_eng, 200, "create", e, sizeof(e)), 0);
	h_wait_status(200, -EIO, "failed: 200 is left half-made and locked (create) by an earlier "
		      "create that did not finish, and Proxmox will not remove it (CT is locked "
		      "(create)): run `pct unlock 200` on pve, then echo retry > ctl");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("engine_plan");
	TCase *tc = tcase_create("plan");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, seed_scenario_template_then_linked_clone);
	tcase_add_test(tc, three_level_chain);
	tcase_add_test(tc, two_leaves_share_one_source_build);
	tcase_add_test(tc, clones_wait_for_the_source_snapshot);
	tcase_add_test(tc, cycle_in_the_doc_fails_instead_of_hanging);
	tcase_add_test(tc, missing_source_without_entry_fails);
	tcase_add_test(tc, failure_propagates_and_retry_rebuilds);
	tcase_add_test(tc, retry_of_nothing_is_refused);
	tcase_add_test(tc, parallelism_is_bounded_by_jobs);
	tcase_add_test(tc, clones_from_one_existing_source_are_serialized);
	tcase_add_test(tc, touch_is_template_stops_and_converts_seen_in_config);
	tcase_add_test(tc, exists_after_lost_answer_is_our_success);
	tcase_add_test(tc, transient_errors_are_retried);
	tcase_add_test(tc, refusals_fail_at_once);
	tcase_add_test(tc, locked_source_is_waited_out);
	tcase_add_test(tc, attribute_change_applied);
	tcase_add_test(tc, ctl_stop_start_destroy);
	tcase_add_test(tc, more_than_one_node_needs_a_choice);
	tcase_add_test(tc, wait_is_interruptible_and_settled_reports);
	tcase_add_test(tc, journal_resumes_after_stop_without_duplicates);
	tcase_add_test(tc, stale_create_lock_is_explained);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return phx_check_run(suite());
}
