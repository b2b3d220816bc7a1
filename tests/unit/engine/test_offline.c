/* The engine without a backend: every container is absent and every request
 * for backend work fails with "no backend configured". */
#include "backend/engine.h"
#include "backend/engine/engine_int.h"
#include "tests/unit/check_run.h"

#include <check.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/phx-engine-offline-XXXXXX";
static struct phx_doc *doc;
static struct phx_engine *eng;

static void setup(void)
{
	char path[256], err[256];
	struct phx_engine_cfg cfg = { 0 };
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(strcpy(dir, "/tmp/phx-engine-offline-XXXXXX")));
	snprintf(path, sizeof(path), "%s/configs.json", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	/* 203 gets a whole-entry write: it builds only when it names a source */
	fputs("{\"lxc_configs\": {\"203\": {\"template\": "
	      "\"local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst\"}, \"204\": {}}}\n", f);
	fclose(f);
	ck_assert_int_eq(phx_doc_open(&doc, path, err, sizeof(err)), 0);
	cfg.doc = doc;
	cfg.jobs = 2;
	ck_assert_msg(phx_engine_start(&eng, &cfg, err, sizeof(err)) == 0, "%s", err);
}

static void teardown(void)
{
	char cmd[300];

	phx_engine_stop(eng);
	phx_doc_close(doc);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void assert_status(uint32_t ctid, const char *want)
{
	char buf[512];

	phx_engine_status(eng, ctid, buf, sizeof(buf));
	ck_assert_str_eq(buf, want);
}

static void assert_log_matches(uint32_t ctid, const char *pattern)
{
	char *log = phx_engine_log(eng, ctid);
	regex_t re;

	ck_assert_int_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NEWLINE), 0);
	ck_assert_msg(regexec(&re, log, 0, NULL, 0) == 0, "log %s does not match %s", log, pattern);
	regfree(&re);
	free(log);
}

START_TEST(everything_absent)
{
	char status[128];
	bool failed = true;
	uint32_t *ids;
	char *s;

	assert_status(103, "absent");
	ck_assert(!phx_engine_exists(eng, 103));
	ck_assert(!phx_engine_is_template(eng, 103));
	ck_assert_uint_eq(phx_engine_backend_ctids(eng, &ids), 0);
	free(ids);
	ck_assert(phx_engine_settled(eng, 103, status, sizeof(status), &failed));
	ck_assert_str_eq(status, "absent");
	ck_assert(!failed);
	s = phx_engine_error(eng, 103);
	ck_assert_str_eq(s, "");
	free(s);
	s = phx_engine_log(eng, 103);
	ck_assert_str_eq(s, "");
	free(s);
	ck_assert_int_eq(phx_engine_wait(eng, 103, NULL, status, sizeof(status)), 0);
}
END_TEST

START_TEST(build_fails_without_backend)
{
	const char *keys[] = { "clone_from_ctid", "template", "is_template", NULL };
	char status[128];
	bool failed = false;

	for (size_t i = 0; i < 4; i++) {
		uint32_t ctid = 200 + i;
		uint64_t v0 = phx_engine_version(eng, ctid);
		char *err;

		phx_engine_changed(eng, ctid, keys[i]);
		assert_status(ctid, "failed: no backend configured");
		err = phx_engine_error(eng, ctid);
		ck_assert_str_eq(err, "no backend configured");
		free(err);
		ck_assert_uint_gt(phx_engine_version(eng, ctid), v0);
		assert_log_matches(ctid, "^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]Z "
				   "failed: no backend configured$");
		ck_assert(phx_engine_settled(eng, ctid, status, sizeof(status), &failed));
		ck_assert(failed);
		ck_assert_int_eq(phx_engine_wait(eng, ctid, NULL, status, sizeof(status)), -EIO);
		ck_assert_str_eq(status, "failed: no backend configured");
	}
	/* a whole entry with neither template nor clone_from asks for nothing */
	phx_engine_changed(eng, 204, NULL);
	assert_status(204, "absent");
}
END_TEST

START_TEST(attribute_write_changes_nothing)
{
	phx_engine_changed(eng, 103, "memory_mb");
	assert_status(103, "absent");
}
END_TEST

START_TEST(ctl_commands_fail_offline)
{
	const char *cmds[] = { "create", "start", "stop", "restart", "retry", "destroy" };
	char err[256];

	for (size_t i = 0; i < 6; i++) {
		err[0] = '\0';
		ck_assert_int_eq(phx_engine_ctl(eng, 300 + i, cmds[i], err, sizeof(err)), 0);
		assert_status(300 + i, "failed: no backend configured");
	}
	ck_assert_int_eq(phx_engine_ctl(eng, 310, "refresh\n", err, sizeof(err)), 0);
	assert_status(310, "absent");
}
END_TEST

START_TEST(unknown_ctl_is_einval)
{
	char err[256] = "";
	char *e;

	ck_assert_int_eq(phx_engine_ctl(eng, 103, "explode", err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "unknown ctl command 'explode' (one of: create, start, stop, "
			 "restart, retry, destroy, refresh, apply)");
	e = phx_engine_error(eng, 103);
	ck_assert_str_eq(e, err);
	free(e);
	assert_status(103, "absent");
	ck_assert_int_eq(phx_engine_ctl(eng, 103, "", err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "unknown ctl command '' (one of: create, start, stop, "
			 "restart, retry, destroy, refresh, apply)");
}
END_TEST

START_TEST(refused_and_note_are_recorded)
{
	char *s;

	phx_engine_note(eng, 104, "memory_mb set to %d", 2048);
	assert_log_matches(104, "Z memory_mb set to 2048$");
	phx_engine_refused(eng, 104, "clone cycle: 104 clones from 900");
	s = phx_engine_error(eng, 104);
	ck_assert_str_eq(s, "clone cycle: 104 clones from 900");
	free(s);
	assert_log_matches(104, "Z refused: clone cycle: 104 clones from 900$");
	assert_status(104, "absent");
}
END_TEST

START_TEST(log_is_bounded)
{
	char *s;
	size_t lines = 0;

	for (int i = 0; i < 1500; i++)
		phx_engine_note(eng, 105, "line %d", i);
	s = phx_engine_log(eng, 105);
	for (char *p = s; *p; p++)
		lines += *p == '\n';
	ck_assert_uint_eq(lines, 1000);
	ck_assert_ptr_nonnull(strstr(s, "Z line 500\n"));
	ck_assert_ptr_null(strstr(s, "Z line 499\n"));
	ck_assert_ptr_nonnull(strstr(s, "Z line 1499\n"));
	free(s);
}
END_TEST

/* mkdir then rmdir, as the FUSE side edits the document for them */
static int add_or_drop(json_object *root, void *arg, char *err, size_t errlen)
{
	const char *key = arg;
	json_object *configs = phx_doc_configs(root, true);

	(void)err;
	(void)errlen;
	if (key[0] == '-')
		json_object_object_del(configs, key + 1);
	else
		json_object_object_add(configs, key, json_object_new_object());
	return 0;
}

START_TEST(removed_entries_leave_no_record)
{
	char err[256], key[16];
	size_t before;

	pthread_mutex_lock(&eng->lock);
	before = eng->nrecs;
	pthread_mutex_unlock(&eng->lock);
	for (unsigned ct = 5000; ct < 5500; ct++) {
		snprintf(key, sizeof(key), "%u", ct);
		ck_assert_int_eq(phx_doc_edit_entry(doc, ct, add_or_drop, key, err, sizeof(err)), 0);
		phx_engine_note(eng, ct, "made by the test");
		snprintf(key, sizeof(key), "-%u", ct);
		ck_assert_int_eq(phx_doc_edit_entry(doc, ct, add_or_drop, key, err, sizeof(err)), 0);
	}
	/* the edits' feed is delivered before each edit returns */
	pthread_mutex_lock(&eng->lock);
	ck_assert_uint_le(eng->nrecs, before + 1);
	pthread_mutex_unlock(&eng->lock);
}
END_TEST

/* A record that another one waits for, clones from or holds as a clone
 * source outlives its entry's removal until that link goes; links to
 * itself keep nothing. */
START_TEST(a_record_others_point_at_is_kept)
{
	struct ct_rec *a, *b;

	pthread_mutex_lock(&eng->lock);
	a = rec_get(eng, 7000);
	ck_assert_ptr_nonnull(a);
	b = rec_get(eng, 7001);
	ck_assert_ptr_nonnull(b);
	{
		uint32_t *const links[] = { &a->waiting_for, &a->clone_src, &b->clone_holder };
		struct ct_rec *const from[] = { a, a, b };
		const uint32_t to[] = { 7001, 7001, 7000 };
		struct ct_rec *const kept[] = { b, b, a };

		for (size_t i = 0; i < 3; i++) {
			rec_link(eng, from[i], links[i], to[i]);
			ck_assert(!rec_forget(eng, kept[i]->ctid));
			ck_assert_ptr_eq(rec_find(eng, kept[i]->ctid), kept[i]);
			rec_link(eng, from[i], links[i], 0);
			ck_assert_uint_eq(kept[i]->linked, 0);
		}
	}
	/* both linked to b at once: b stays until the last one goes */
	rec_link(eng, a, &a->waiting_for, 7001);
	rec_link(eng, a, &a->clone_src, 7001);
	rec_link(eng, a, &a->waiting_for, 0);
	ck_assert(!rec_forget(eng, 7001));
	rec_link(eng, a, &a->clone_src, 0);
	/* b holding itself: nothing else needs it */
	rec_link(eng, b, &b->clone_holder, 7001);
	ck_assert(rec_forget(eng, 7001));
	ck_assert_ptr_null(rec_find(eng, 7001));
	ck_assert(rec_forget(eng, 7000));
	pthread_mutex_unlock(&eng->lock);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("engine_offline");
	TCase *tc = tcase_create("offline");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, everything_absent);
	tcase_add_test(tc, build_fails_without_backend);
	tcase_add_test(tc, attribute_write_changes_nothing);
	tcase_add_test(tc, ctl_commands_fail_offline);
	tcase_add_test(tc, unknown_ctl_is_einval);
	tcase_add_test(tc, refused_and_note_are_recorded);
	tcase_add_test(tc, log_is_bounded);
	tcase_add_test(tc, removed_entries_leave_no_record);
	tcase_add_test(tc, a_record_others_point_at_is_kept);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return phx_check_run(suite());
}
