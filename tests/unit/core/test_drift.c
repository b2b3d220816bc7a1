/* Drift between an entry and the cluster listing's row for it. */
#include "backend/drift.h"
#include "tests/unit/check_run.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *entry_json =
	"{\"name\": \"edge\", \"memory_mb\": 4096, \"cores\": \"2\", \"storage_size_gb\": 32,"
	" \"network_config\": {\"ip\": \"dhcp\"}}";

static struct phx_guest agreeing(void)
{
	struct phx_guest g = { .vmid = 101, .node = "pve", .type = "lxc", .status = "running",
			       .name = "edge", .template_ = 0, .maxmem = 4096ULL << 20,
			       .maxdisk = 32ULL << 30, .maxcpu = 2 };
	return g;
}

static char *drift(json_object *e, const struct phx_guest *g, struct phx_drift_want w,
		   const char *const *skip, int *n)
{
	struct strbuf b = STRBUF_INIT;
	char *s;

	*n = phx_drift(e, g, &w, skip, &b);
	ck_assert_int_eq(strbuf_finish(&b, &s, NULL), 0);
	return s;
}

START_TEST(none_when_agreeing)
{
	json_object *e = json_tokener_parse(entry_json);
	struct phx_guest g = agreeing();
	char *s;
	int n;

	s = drift(e, &g, (struct phx_drift_want){ .exists = true, .running = true }, NULL, &n);
	ck_assert_int_eq(n, 0);
	ck_assert_str_eq(s, "");
	free(s);
	/* figures the listing has not published yet are not drift */
	g.maxmem = g.maxdisk = 0;
	g.maxcpu = 0;
	g.name[0] = '\0';
	g.template_ = -1;
	s = drift(e, &g, (struct phx_drift_want){ .exists = true, .running = true }, NULL, &n);
	ck_assert_int_eq(n, 0);
	free(s);
	json_object_put(e);
}
END_TEST

START_TEST(changed_in_the_gui)
{
	json_object *e = json_tokener_parse(entry_json);
	struct phx_guest g = agreeing();
	const char *skip[] = { "cores", NULL };
	char *s;
	int n;

	g.maxmem = 2048ULL << 20;
	g.maxdisk = (32ULL << 30) + (512ULL << 20); /* grown by half a GiB by hand */
	g.maxcpu = 4;
	snprintf(g.name, sizeof(g.name), "edge-old");
	snprintf(g.node, sizeof(g.node), "pve2");
	snprintf(g.status, sizeof(g.status), "stopped");
	s = drift(e, &g, (struct phx_drift_want){ .exists = true, .running = true, .node = "pve" },
		  NULL, &n);
	ck_assert_int_eq(n, 6);
	ck_assert_str_eq(s, "node file=pve proxmox=pve2\n"
			    "name file=edge proxmox=edge-old\n"
			    "memory_mb file=4096 proxmox=2048\n"
			    "storage_size_gb file=32 proxmox=32.50\n"
			    "cores file=2 proxmox=4\n"
			    "status file=running proxmox=stopped\n");
	free(s);
	/* what we changed ourselves after the listing is not compared */
	s = drift(e, &g, (struct phx_drift_want){ .exists = true, .running = true, .node = "pve" },
		  skip, &n);
	ck_assert_int_eq(n, 5);
	ck_assert_ptr_null(strstr(s, "cores"));
	free(s);
	json_object_put(e);
}
END_TEST

START_TEST(power_template_and_existence)
{
	json_object *e = json_tokener_parse(entry_json);
	struct phx_guest g = agreeing();
	char *s;
	int n;

	/* stopped by ctl: stopped is what we want */
	snprintf(g.status, sizeof(g.status), "stopped");
	s = drift(e, &g, (struct phx_drift_want){ .exists = true, .running = false }, NULL, &n);
	ck_assert_int_eq(n, 0);
	free(s);
	/* an operation holds a lock: its state is passing, not drift */
	snprintf(g.lock, sizeof(g.lock), "backup");
	s = drift(e, &g, (struct phx_drift_want){ .exists = true, .running = true }, NULL, &n);
	ck_assert_int_eq(n, 0);
	free(s);
	g.lock[0] = '\0';
	/* made a template by hand */
	g.template_ = 1;
	s = drift(e, &g, (struct phx_drift_want){ .exists = true, .running = true }, NULL, &n);
	ck_assert_str_eq(s, "is_template file=false proxmox=true\n");
	free(s);
	/* deleted by hand */
	s = drift(e, NULL, (struct phx_drift_want){ .exists = true, .running = true }, NULL, &n);
	ck_assert_str_eq(s, "exists file=yes proxmox=no\n");
	free(s);
	/* never built: absence is not drift */
	s = drift(e, NULL, (struct phx_drift_want){ .exists = false }, NULL, &n);
	ck_assert_int_eq(n, 0);
	free(s);
	json_object_put(e);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("drift");
	TCase *tc = tcase_create("drift");

	tcase_add_test(tc, none_when_agreeing);
	tcase_add_test(tc, changed_in_the_gui);
	tcase_add_test(tc, power_template_and_existence);
	suite_add_tcase(s, tc);
	return phx_check_run(s);
}
