/* The engine on the document's change feed, against the fake Proxmox: what
 * a committed change asks for follows the schema table, whoever made it;
 * an unchanged write asks for nothing; the fix of a failed build resumes
 * it; the template rule; parameters the table adds (nameservers,
 * searchdomain, the unprivileged default); a request that cannot reach the
 * journal is not reported as accepted. */
#include "harness.h"

#include "backend/engine/params.h"
#include "backend/schema.h"
#include "tests/unit/check_run.h"

#include <sys/stat.h>
#include <unistd.h>

static void teardown(void)
{
	h_teardown();
}

static void wait_failed(uint32_t ctid)
{
	char status[512];

	ck_assert_int_eq(h_wait(ctid, status, sizeof(status)), -EIO);
	ck_assert_msg(strncmp(status, "failed: ", 8) == 0, "%u: %s", ctid, status);
}

START_TEST(mount_and_outside_edits_reach_the_backend_alike)
{
	char *p;

	h_setup("\"103\": {\"name\": \"ct103\", \"memory_mb\": 512}", 2, 1, 10);
	fake_add_ct(h_fake, "pve", 103, false, true, NULL);
	h_wait_refreshed(103);

	/* through the mount: an edit of the document */
	h_edit(103, "memory_mb", "1024");
	h_wait_status(103, 0, "running");
	p = fake_last_params(h_fake, "set_config", 103);
	ck_assert_str_eq(p, "memory=1024");
	free(p);
	ck_assert(!h_log_has(103, "another program"));

	/* another program's edit of the file, found on reload */
	h_replace_doc("\"103\": {\"name\": \"ct103\", \"memory_mb\": 65536}");
	ck_assert_int_eq(phx_doc_check_outside(h_doc), 1);
	h_wait_status(103, 0, "running");
	p = fake_last_params(h_fake, "set_config", 103);
	ck_assert_str_eq(p, "memory=65536");
	free(p);
	ck_assert(h_log_has(103, "memory_mb: 1024 -> 65536 (edited in the file by another program)"));
	ck_assert_uint_eq(fake_calls(h_fake, "set_config", 103), 2);

	/* the value it already has: no request */
	h_edit(103, "memory_mb", "65536");
	h_replace_doc("\"103\": {\"name\": \"ct103\", \"memory_mb\": 65536}");
	phx_doc_check_outside(h_doc);
	h_wait_status(103, 0, "running");
	ck_assert_uint_eq(fake_calls(h_fake, "set_config", 103), 2);
}
END_TEST

START_TEST(restart_rows_are_set_and_flagged)
{
	char *p;

	h_setup("\"103\": {\"name\": \"ct103\"}", 2, 1, 10);
	fake_add_ct(h_fake, "pve", 103, false, true, NULL);
	h_wait_refreshed(103);
	h_edit(103, "nameservers", "\"10.0.0.13,1.1.1.1\"");
	h_wait_status(103, 0, "running");
	p = fake_last_params(h_fake, "set_config", 103);
	ck_assert_str_eq(p, "nameserver=10.0.0.13 1.1.1.1");
	free(p);
	ck_assert(h_log_has(103, "nameservers: Proxmox keeps the new value pending until 103 starts again"));
	/* the origin's layout: inside network_config */
	h_edit(103, "network_config", "{\"name\": \"eth0\", \"bridge\": \"vmbr0\", \"ip\": \"dhcp\", "
		 "\"searchdomain\": \"lab.example.com\"}");
	h_wait_status(103, 0, "running");
	p = fake_last_params(h_fake, "set_config", 103);
	ck_assert_str_eq(p, "net0=name=eth0,bridge=vmbr0,ip=dhcp&nameserver=10.0.0.13 1.1.1.1"
			 "&searchdomain=lab.example.com");
	free(p);
	/* a row applied only at build says so and asks for nothing */
	h_edit(103, "storage_pool", "\"local-lvm\"");
	ck_assert(h_log_has(103, "storage_pool only applies when the container is built"));
	ck_assert_uint_eq(fake_calls(h_fake, "set_config", 103), 2);
}
END_TEST

START_TEST(create_always_says_unprivileged)
{
	char *p;

	h_setup("\"200\": {\"template\": \"" TMPL "\", \"storage_pool\": \"local-lvm\", "
		"\"nameservers\": \"9.9.9.9\"}, "
		"\"201\": {\"template\": \"" TMPL "\", \"unprivileged\": false, "
		"\"network_config\": {\"name\": \"eth0\", \"bridge\": \"vmbr0\", \"nameservers\": \"8.8.8.8\"}}",
		2, 1, 10);
	phx_engine_changed(h_eng, 200, "template");
	phx_engine_changed(h_eng, 201, "template");
	h_wait_status(200, 0, "running");
	h_wait_status(201, 0, "running");
	p = fake_last_params(h_fake, "create", 200);
	/* PVE 8 makes a privileged container when it is left out */
	ck_assert_str_eq(p, "ostemplate=" TMPL "&storage=local-lvm&nameserver=9.9.9.9&unprivileged=1");
	free(p);
	p = fake_last_params(h_fake, "create", 201);
	ck_assert_str_eq(p, "ostemplate=" TMPL "&net0=name=eth0,bridge=vmbr0&nameserver=8.8.8.8"
			 "&unprivileged=0");
	free(p);
}
END_TEST

START_TEST(new_entry_from_outside_is_built)
{
	h_setup("\"103\": {\"name\": \"ct103\"}", 2, 1, 10);
	fake_add_ct(h_fake, "pve", 103, false, true, NULL);
	h_wait_refreshed(103);
	h_replace_doc("\"103\": {\"name\": \"ct103\"}, \"300\": {\"template\": \"" TMPL "\"}, "
		  "\"301\": {\"name\": \"nothing-to-build-from\"}");
	ck_assert_int_eq(phx_doc_check_outside(h_doc), 1);
	h_wait_status(300, 0, "running");
	ck_assert(h_log_has(300, "entry added (edited in the file by another program)"));
	ck_assert_uint_eq(fake_calls(h_fake, "create", 300), 1);
	/* an entry that names nothing to build from is desired state only */
	ck_assert_uint_eq(fake_calls(h_fake, "create", 301), 0);
	ck_assert(!fake_exists(h_fake, 301));
}
END_TEST

START_TEST(the_fix_of_a_failed_build_resumes_it)
{
	char status[256], e[256];

	h_setup("\"400\": {\"template\": \"" TMPL "\", \"memory_mb\": 512}", 2, 1, 10);
	fake_fail_task(h_fake, "vzstart", 400, "startup for container '400' failed");
	phx_engine_changed(h_eng, 400, "template");
	wait_failed(400);
	ck_assert(fake_exists(h_fake, 400));
	/* the write that fixes it (any change of the entry) resumes the build:
	 * configured again and started, not adopted as stopped */
	h_replace_doc("\"400\": {\"template\": \"" TMPL "\", \"memory_mb\": 1024}");
	ck_assert_int_eq(phx_doc_check_outside(h_doc), 1);
	ck_assert_int_eq(h_wait(400, status, sizeof(status)), 0);
	ck_assert_str_eq(status, "running");
	ck_assert(fake_is_running(h_fake, 400));
	ck_assert(h_log_has(400, "the failed build is resumed"));
	/* retry now: nothing failed */
	ck_assert_int_eq(phx_engine_ctl(h_eng, 400, "retry", e, sizeof(e)), -EINVAL);
}
END_TEST

START_TEST(retry_after_the_fix_is_accepted)
{
	char e[256];

	h_setup("\"401\": {\"template\": \"" TMPL "\"}", 2, 1, 300);
	fake_fail_task(h_fake, "vzstart", 401, "startup for container '401' failed");
	phx_engine_changed(h_eng, 401, "template");
	wait_failed(401);
	h_replace_doc("\"401\": {\"template\": \"" TMPL "\", \"cores\": 2}");
	ck_assert_int_eq(phx_doc_check_outside(h_doc), 1);
	/* under way (tasks take 300 ms): `echo retry > ctl` right after the
	 * fix is not refused */
	ck_assert_int_eq(phx_engine_ctl(h_eng, 401, "retry", e, sizeof(e)), 0);
	h_wait_status(401, 0, "running");
}
END_TEST

START_TEST(a_request_the_journal_cannot_hold_is_not_accepted)
{
	char e[256];

	h_setup("\"103\": {\"name\": \"ct103\"}", 2, 1, 10);
	fake_add_ct(h_fake, "pve", 103, false, true, NULL);
	h_wait_refreshed(103);
	/* the journal's path is now a directory: its rename fails */
	unlink(h_journal);
	ck_assert_int_eq(mkdir(h_journal, 0700), 0);
	ck_assert_int_lt(phx_engine_ctl(h_eng, 103, "stop", e, sizeof(e)), 0);
	ck_assert(h_log_has(103, "the request could not be written to the journal"));
	ck_assert_int_eq(rmdir(h_journal), 0);
}
END_TEST

START_TEST(template_rule_is_one_check)
{
	uint32_t exists[] = { 900, 901 }, templates[] = { 900 };
	struct phx_engine_facts f = { exists, 2, templates, 1 };
	char err[256] = "";

	/* un-templating a template: refused */
	ck_assert_int_eq(phx_engine_check_edit(&f, 900, true, false, err, sizeof(err)), -EPERM);
	ck_assert_str_eq(err, "900 is a template on the backend; a template cannot be turned "
			 "back into a container");
	/* not a template on the backend (yet): the entry may change its mind */
	ck_assert_int_eq(phx_engine_check_edit(&f, 901, true, false, err, sizeof(err)), 0);
	/* asking for a template, or keeping it: fine */
	ck_assert_int_eq(phx_engine_check_edit(&f, 900, true, true, err, sizeof(err)), 0);
	ck_assert_int_eq(phx_engine_check_edit(&f, 901, false, true, err, sizeof(err)), 0);
	ck_assert(phx_facts_exists(&f, 901));
	ck_assert(!phx_facts_exists(&f, 902));
	/* the one helper that reads an entry's wish */
	{
		json_object *a = json_tokener_parse("{\"is_template\": true}");
		json_object *b = json_tokener_parse("{\"is_template\": \"true\"}");
		json_object *c = json_tokener_parse("{\"is_template\": false}");
		json_object *d = json_tokener_parse("{}");

		ck_assert(phx_entry_wants_template(a));
		ck_assert(phx_entry_wants_template(b));
		ck_assert(!phx_entry_wants_template(c));
		ck_assert(!phx_entry_wants_template(d));
		ck_assert(!phx_entry_wants_template(NULL));
		json_object_put(a);
		json_object_put(b);
		json_object_put(c);
		json_object_put(d);
	}
}
END_TEST

START_TEST(an_incomplete_request_is_never_formed)
{
	struct kvbuf kv = { .n = 0 };

	for (int i = 0; i < KV_MAX; i++)
		kv_add(&kv, "k", "%d", i);
	ck_assert(!kv.failed);
	kv_add(&kv, "one-too-many", "x");
	ck_assert(kv.failed); /* the caller fails the step instead of sending */
	ck_assert_uint_eq(kv.n, KV_MAX);
	kv_free(&kv);
}
END_TEST

START_TEST(an_interface_too_long_for_net0_fails_the_step)
{
	char rate[1400], cfg[1700];

	/* a net0 longer than the request buffer must not be sent cut short
	 * (a valid rate may be written with any number of zeros) */
	memset(rate, '0', sizeof(rate) - 1);
	rate[0] = '1';
	rate[1] = '.';
	rate[sizeof(rate) - 1] = '\0';
	snprintf(cfg, sizeof(cfg), "\"103\": {\"network_config\": {\"name\": \"eth0\", "
		 "\"bridge\": \"vmbr0\", \"rate\": \"%s\"}}", rate);
	h_setup(cfg, 2, 1, 10);
	fake_add_ct(h_fake, "pve", 103, false, true, NULL);
	h_wait_refreshed(103);
	phx_engine_changed(h_eng, 103, "network_config");
	h_wait_status(103, -EIO, "failed: out of memory forming the config request of 103");
	ck_assert_uint_eq(fake_calls(h_fake, "set_config", 103), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("feed");
	TCase *tc = tcase_create("feed");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, mount_and_outside_edits_reach_the_backend_alike);
	tcase_add_test(tc, restart_rows_are_set_and_flagged);
	tcase_add_test(tc, create_always_says_unprivileged);
	tcase_add_test(tc, new_entry_from_outside_is_built);
	tcase_add_test(tc, the_fix_of_a_failed_build_resumes_it);
	tcase_add_test(tc, retry_after_the_fix_is_accepted);
	tcase_add_test(tc, a_request_the_journal_cannot_hold_is_not_accepted);
	tcase_add_test(tc, an_interface_too_long_for_net0_fails_the_step);
	suite_add_tcase(s, tc);
	tc = tcase_create("pure");
	tcase_add_test(tc, template_rule_is_one_check);
	tcase_add_test(tc, an_incomplete_request_is_never_formed);
	suite_add_tcase(s, tc);
	return phx_check_run(s);
}
