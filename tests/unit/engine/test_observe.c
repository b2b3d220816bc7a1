/* What the engine lets people watch, against the fake Proxmox: the events
 * a build, an edit (through the mount or from another program), a refused
 * write and drift post; the counters; the drift of a container changed,
 * stopped or deleted by someone else, never our own fresh changes; and
 * putting drift back with `ctl apply` and reconcile=apply, which never
 * stops a container or takes an id someone holds. */
#include "harness.h"

#include "backend/engine/engine_int.h" /* eng_observe_hook, for build steps */
#include "backend/events.h"
#include "backend/metrics.h"
#include "tests/unit/check_run.h"

#include <unistd.h>

#define CT103 "\"103\": {\"name\": \"preexisting\", \"memory_mb\": 512, \"cores\": 1}"
#define CT120 "\"120\": {\"name\": \"ct120\", \"template\": \"" TMPL "\", " \
	"\"storage_pool\": \"local-lvm\", \"memory_mb\": 1024}"

static uint64_t cursor;

static void teardown(void)
{
	h_teardown();
}

/* Start the test: events from now on. */
static void watch(void)
{
	cursor = phx_events_now(phx_engine_events(h_eng));
}

static char seen_events[65536];

/* Read events until a line has every needle in it (at most 20 s);
 * everything read is kept in seen_events for later checks. */
static bool wait_event(const char *a, const char *b)
{
	char buf[8192];

	h_deadline = h_now() + 20;
	for (;;) {
		ssize_t n;

		for (char *p = seen_events; *p;) {
			char *end = strchr(p, '\n');

			if (end && strstr(p, a) && strstr(p, a) < end && (!b || (strstr(p, b) && strstr(p, b) < end)))
				return true;
			p = end ? end + 1 : p + strlen(p);
		}
		n = phx_events_read(phx_engine_events(h_eng), &cursor, buf, sizeof(buf) - 1, h_too_long);
		if (n <= 0)
			return false;
		buf[n] = '\0';
		if (strlen(seen_events) + (size_t)n < sizeof(seen_events))
			strcat(seen_events, buf);
	}
}

static void must_see(const char *a, const char *b)
{
	ck_assert_msg(wait_event(a, b), "no event with '%s' '%s' in:\n%s", a, b ? b : "", seen_events);
}

static unsigned long long counter(enum phx_counter c)
{
	return phx_metrics_counter(phx_engine_metrics(h_eng), c);
}

/* Poll the drift of ctid until it has needle (or, needle NULL, is empty). */
static void wait_drift(uint32_t ctid, const char *needle)
{
	double until = h_now() + 20;
	char *d = NULL;

	for (;;) {
		free(d);
		d = phx_engine_drift(h_eng, ctid);
		ck_assert_ptr_nonnull(d);
		if (needle ? strstr(d, needle) != NULL : *d == '\0')
			break;
		ck_assert_msg(h_now() < until, "%u: drift '%s', waited for '%s'", ctid, d,
			      needle ? needle : "(none)");
		usleep(20 * 1000);
	}
	free(d);
}

static void restart_engine(enum phx_reconcile mode)
{
	struct phx_engine_cfg cfg = { 0 };
	char err[256];

	phx_engine_stop(h_eng);
	cfg.doc = h_doc;
	cfg.driver = &h_drv;
	cfg.jobs = 2;
	cfg.refresh_ms = 50;
	cfg.journal_path = h_journal;
	cfg.reconcile = mode;
	ck_assert_msg(phx_engine_start(&h_eng, &cfg, err, sizeof(err)) == 0, "%s", err);
	seen_events[0] = '\0';
	watch();
}

static void existing_103(void)
{
	h_setup(CT103, 2, 1, 10);
	fake_add_ct(h_fake, "pve", 103, false, true, NULL);
	fake_outside_set(h_fake, 103, "memory", "512");
	fake_outside_set(h_fake, 103, "cores", "1");
	h_wait_refreshed(103);
	seen_events[0] = '\0';
	watch();
}

START_TEST(a_build_posts_its_states_and_is_counted)
{
	char err[256];

	h_setup(CT120, 2, 1, 20);
	seen_events[0] = '\0';
	watch();
	ck_assert_int_eq(phx_engine_ctl(h_eng, 120, "create", err, sizeof(err)), 0);
	h_wait_status(120, 0, "running");
	must_see(" 120 build started", NULL);
	must_see(" 120 state ", "-> creating: ");
	must_see(" 120 build done: running", NULL);
	must_see(" 120 state ", "-> running");
	ck_assert_uint_eq(counter(PHX_C_BUILDS_STARTED), 1);
	ck_assert_uint_eq(counter(PHX_C_BUILDS_DONE), 1);
	ck_assert_uint_eq(counter(PHX_C_BUILDS_FAILED), 0);
	/* every driver call is a request: the create, the task polls, the listings */
	ck_assert_uint_ge(counter(PHX_C_API_REQUESTS), fake_calls(h_fake, "create", 0) +
			  fake_calls(h_fake, "list_guests", 0));
	ck_assert_uint_eq(counter(PHX_C_API_REFUSED), 0);
	ck_assert_uint_gt(counter(PHX_C_EVENTS), 3);
}
END_TEST

START_TEST(a_failed_build_and_refused_calls_are_counted)
{
	char err[256];

	h_setup(CT120, 2, 1, 20);
	seen_events[0] = '\0';
	watch();
	fake_fail_call(h_fake, "create", 120, 1, PHX_E_REFUSED, "storage 'local-lvm' does not exist");
	ck_assert_int_eq(phx_engine_ctl(h_eng, 120, "create", err, sizeof(err)), 0);
	ck_assert_int_eq(h_wait(120, err, sizeof(err)), -EIO);
	must_see(" 120 build failed: ", "does not exist");
	must_see(" 120 state ", "-> failed: ");
	ck_assert_uint_eq(counter(PHX_C_BUILDS_STARTED), 1);
	ck_assert_uint_eq(counter(PHX_C_BUILDS_FAILED), 1);
	ck_assert_uint_eq(counter(PHX_C_BUILDS_DONE), 0);
	/* the fake answers 500 with the refusal */
	ck_assert_uint_ge(counter(PHX_C_API_REFUSED), 1);
	ck_assert_uint_eq(counter(PHX_C_API_NO_ANSWER), 0);
}
END_TEST

START_TEST(requests_without_an_answer_are_counted_apart)
{
	unsigned long long before;

	existing_103();
	before = counter(PHX_C_API_REQUESTS);
	fake_drop_call(h_fake, "list_guests", 0, 2);
	h_deadline = h_now() + 20;
	while (counter(PHX_C_API_NO_ANSWER) < 2 && !h_too_long())
		usleep(20 * 1000);
	ck_assert_uint_eq(counter(PHX_C_API_NO_ANSWER), 2);
	ck_assert_uint_eq(counter(PHX_C_API_REFUSED), 0);
	ck_assert_uint_ge(counter(PHX_C_API_REQUESTS), before + 2);
}
END_TEST

START_TEST(edits_carry_where_they_came_from)
{
	char err[256];

	existing_103();
	h_edit(103, "memory_mb", "1024");
	must_see(" 103 edited memory_mb: 512 -> 1024 (written through the mount)", NULL);
	ck_assert_uint_eq(counter(PHX_C_EDITS_MOUNT), 1);

	/* another program replaces the file (jq > tmp && mv tmp file) */
	h_replace_doc("\"103\": {\"name\": \"preexisting\", \"memory_mb\": 2048, \"cores\": 1}");
	ck_assert_int_eq(phx_doc_check_outside(h_doc), 1); /* the watcher's check */
	must_see(" 103 edited memory_mb: 1024 -> 2048 (edited in the file by another program)", NULL);
	ck_assert_uint_eq(counter(PHX_C_EDITS_OUTSIDE), 1);

	/* a refused write */
	ck_assert_int_eq(phx_engine_ctl(h_eng, 103, "explode", err, sizeof(err)), -EINVAL);
	must_see(" 103 refused unknown ctl command 'explode'", NULL);
	ck_assert_uint_eq(counter(PHX_C_WRITES_REFUSED), 1);
}
END_TEST

START_TEST(memory_changed_elsewhere_is_drift_until_applied)
{
	char err[256], buf[64];

	existing_103();
	wait_drift(103, NULL);
	fake_outside_set(h_fake, 103, "memory", "2048"); /* the GUI */
	wait_drift(103, "memory_mb file=512 proxmox=2048\n");
	must_see(" 103 drift found memory_mb file=512 proxmox=2048", NULL);
	ck_assert(h_log_has(103, "drift: memory_mb file=512 proxmox=2048"));
	/* reconcile=report: nothing is put back by itself */
	usleep(300 * 1000);
	fake_config(h_fake, 103, "memory", buf, sizeof(buf));
	ck_assert_str_eq(buf, "2048");
	ck_assert_uint_eq(fake_calls(h_fake, "set_config", 103), 0);

	ck_assert_int_eq(phx_engine_ctl(h_eng, 103, "apply", err, sizeof(err)), 0);
	h_wait_status(103, 0, "running");
	fake_config(h_fake, 103, "memory", buf, sizeof(buf));
	ck_assert_str_eq(buf, "512");
	must_see(" 103 reconcile putting back memory_mb (apply asked for)", NULL);
	must_see(" 103 drift gone memory_mb", NULL);
	wait_drift(103, NULL);
	/* nothing left: apply is accepted and asks for nothing */
	ck_assert_int_eq(phx_engine_ctl(h_eng, 103, "apply", err, sizeof(err)), 0);
	ck_assert_uint_eq(fake_calls(h_fake, "set_config", 103), 1);
}
END_TEST

START_TEST(the_entry_changed_to_agree_ends_the_drift)
{
	existing_103();
	fake_outside_set(h_fake, 103, "cores", "4");
	wait_drift(103, "cores file=1 proxmox=4\n");
	/* accepting Proxmox's value: the file changes, the drift goes at once */
	fake_freeze_listing(h_fake, true);
	h_edit(103, "cores", "4");
	h_wait_status(103, 0, "running");
	wait_drift(103, NULL);
	fake_freeze_listing(h_fake, false);
}
END_TEST

START_TEST(our_own_fresh_change_is_not_drift)
{
	char *d;

	existing_103();
	/* the listing lags: it keeps saying 512 after our PUT of 1024 */
	fake_freeze_listing(h_fake, true);
	h_edit(103, "memory_mb", "1024");
	h_wait_status(103, 0, "running");
	for (int i = 0; i < 10; i++) { /* a few refresh periods */
		d = phx_engine_drift(h_eng, 103);
		ck_assert_str_eq(d, "");
		free(d);
		usleep(60 * 1000);
	}
	fake_freeze_listing(h_fake, false);
	usleep(300 * 1000);
	d = phx_engine_drift(h_eng, 103);
	ck_assert_str_eq(d, "");
	free(d);
	/* never reported: every drift found is in the log */
	ck_assert(!h_log_has(103, "drift"));
}
END_TEST

START_TEST(stopped_by_hand_is_drift_stopped_by_ctl_is_not)
{
	char err[256];

	existing_103();
	fake_outside_power(h_fake, 103, false);
	wait_drift(103, "status file=running proxmox=stopped\n");
	must_see(" 103 drift found status file=running proxmox=stopped", NULL);
	ck_assert_int_eq(phx_engine_ctl(h_eng, 103, "start", err, sizeof(err)), 0);
	h_wait_status(103, 0, "running");
	wait_drift(103, NULL);

	ck_assert_int_eq(phx_engine_ctl(h_eng, 103, "stop", err, sizeof(err)), 0);
	h_wait_status(103, 0, "stopped");
	usleep(300 * 1000);
	wait_drift(103, NULL);
	/* kept across a restart of the engine (the journal) */
	restart_engine(PHX_RECONCILE_APPLY);
	h_wait_refreshed(103);
	usleep(300 * 1000);
	ck_assert(!fake_is_running(h_fake, 103));
	wait_drift(103, NULL);
	/* someone starts it by hand: reported, and never stopped by apply */
	fake_outside_power(h_fake, 103, true);
	wait_drift(103, "status file=stopped proxmox=running\n");
	usleep(300 * 1000);
	ck_assert(fake_is_running(h_fake, 103));
	ck_assert(h_log_has(103, "phoenixfs never stops a container someone started"));
}
END_TEST

START_TEST(reconcile_apply_puts_memory_and_power_back)
{
	char buf[64];

	existing_103();
	restart_engine(PHX_RECONCILE_APPLY);
	h_wait_refreshed(103);
	fake_outside_set(h_fake, 103, "memory", "4096");
	fake_outside_power(h_fake, 103, false);
	must_see(" 103 reconcile putting back ", "(reconcile=apply)");
	h_deadline = h_now() + 20;
	while (!fake_is_running(h_fake, 103) && !h_too_long())
		usleep(20 * 1000);
	ck_assert(fake_is_running(h_fake, 103));
	for (fake_config(h_fake, 103, "memory", buf, sizeof(buf)); strcmp(buf, "512") && !h_too_long();
	     fake_config(h_fake, 103, "memory", buf, sizeof(buf)))
		usleep(20 * 1000);
	ck_assert_str_eq(buf, "512");
	wait_drift(103, NULL);
	/* once put back, nothing more is asked */
	usleep(300 * 1000);
	ck_assert_uint_eq(fake_calls(h_fake, "set_config", 103), 1);
	ck_assert_uint_eq(fake_calls(h_fake, "start", 103), 1);
}
END_TEST

START_TEST(deleted_is_drift_and_rebuilt_only_from_an_entry_that_says_how)
{
	char err[256];

	h_setup(CT103 ", " CT120, 2, 1, 10);
	fake_add_ct(h_fake, "pve", 103, false, true, NULL);
	fake_outside_set(h_fake, 103, "memory", "512");
	ck_assert_int_eq(phx_engine_ctl(h_eng, 120, "create", err, sizeof(err)), 0);
	h_wait_status(120, 0, "running");
	restart_engine(PHX_RECONCILE_APPLY);
	h_wait_refreshed(103);

	fake_outside_delete(h_fake, 103); /* no template: cannot be rebuilt */
	wait_drift(103, "exists file=yes proxmox=no\n");
	must_see(" 103 drift found exists file=yes proxmox=no", NULL);
	usleep(300 * 1000);
	ck_assert(!fake_exists(h_fake, 103));
	ck_assert(h_log_has(103, "exists (the entry names nothing to build from)"));

	fake_outside_delete(h_fake, 120); /* names its template: rebuilt */
	must_see(" 120 drift found exists file=yes proxmox=no", NULL);
	must_see(" 120 reconcile putting back exists (rebuild from the entry)", NULL);
	h_deadline = h_now() + 20;
	while (!fake_is_running(h_fake, 120) && !h_too_long())
		usleep(20 * 1000);
	ck_assert(fake_is_running(h_fake, 120));
	ck_assert_uint_eq(fake_calls(h_fake, "create", 120), 2);
	wait_drift(120, NULL);
}
END_TEST

START_TEST(apply_waits_for_work_and_rebuilds_when_asked)
{
	char err[256];

	h_setup(CT120, 2, 1, 300);
	ck_assert_int_eq(phx_engine_ctl(h_eng, 120, "create", err, sizeof(err)), 0);
	/* while the build runs, apply is refused with why */
	ck_assert_int_eq(phx_engine_ctl(h_eng, 120, "apply", err, sizeof(err)), -EBUSY);
	ck_assert_msg(strstr(err, "work under way"), "%s", err);
	h_wait_status(120, 0, "running");
	fake_outside_delete(h_fake, 120);
	wait_drift(120, "exists file=yes proxmox=no\n");
	h_wait_status(120, 0, "absent");
	/* reconcile=report: only reported; apply rebuilds it from its entry */
	usleep(300 * 1000);
	ck_assert(!fake_exists(h_fake, 120));
	ck_assert_int_eq(phx_engine_ctl(h_eng, 120, "apply", err, sizeof(err)), 0);
	h_wait_status(120, 0, "running");
	ck_assert(fake_exists(h_fake, 120));
	ck_assert_uint_eq(fake_calls(h_fake, "create", 120), 2);
}
END_TEST

START_TEST(an_id_a_vm_holds_is_not_rebuilt)
{
	char err[256];

	h_setup(CT120, 2, 1, 10);
	ck_assert_int_eq(phx_engine_ctl(h_eng, 120, "create", err, sizeof(err)), 0);
	h_wait_status(120, 0, "running");
	restart_engine(PHX_RECONCILE_APPLY);
	h_wait_refreshed(120);
	fake_outside_delete(h_fake, 120);
	fake_add_vm(h_fake, "pve", 120); /* someone made a VM with its id */
	wait_drift(120, "exists file=yes proxmox=no\n");
	ck_assert_int_eq(phx_engine_ctl(h_eng, 120, "apply", err, sizeof(err)), 0);
	h_deadline = h_now() + 20;
	while (!h_log_has(120, "its id is taken") && !h_too_long())
		usleep(20 * 1000);
	ck_assert(h_log_has(120, "apply asked for: left as it is: exists (its id is taken"));
	ck_assert_uint_eq(fake_calls(h_fake, "create", 120), 1);
	ck_assert(!h_log_has(120, "putting back"));
}
END_TEST

START_TEST(hooks_are_timed)
{
	existing_103();
	eng_observe_hook(h_eng, 0.25, true);
	eng_observe_hook(h_eng, 2.5, false);
	ck_assert_uint_eq(counter(PHX_C_HOOKS_RUN), 2);
	ck_assert_uint_eq(counter(PHX_C_HOOKS_FAILED), 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("observe");
	TCase *tc = tcase_create("events");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, a_build_posts_its_states_and_is_counted);
	tcase_add_test(tc, a_failed_build_and_refused_calls_are_counted);
	tcase_add_test(tc, edits_carry_where_they_came_from);
	tcase_add_test(tc, hooks_are_timed);
	tcase_add_test(tc, requests_without_an_answer_are_counted_apart);
	suite_add_tcase(s, tc);
	tc = tcase_create("drift");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, memory_changed_elsewhere_is_drift_until_applied);
	tcase_add_test(tc, the_entry_changed_to_agree_ends_the_drift);
	tcase_add_test(tc, our_own_fresh_change_is_not_drift);
	tcase_add_test(tc, stopped_by_hand_is_drift_stopped_by_ctl_is_not);
	tcase_add_test(tc, reconcile_apply_puts_memory_and_power_back);
	tcase_add_test(tc, deleted_is_drift_and_rebuilt_only_from_an_entry_that_says_how);
	tcase_add_test(tc, apply_waits_for_work_and_rebuilds_when_asked);
	tcase_add_test(tc, an_id_a_vm_holds_is_not_rebuilt);
	suite_add_tcase(s, tc);
	return phx_check_run(s);
}
