/* Shared setup for the engine's tests: a doc file in a temp directory, the
 * fake Proxmox, and an engine started on both. */
#ifndef PHX_ENGINE_TEST_HARNESS_H
#define PHX_ENGINE_TEST_HARNESS_H

#include "backend/engine.h"
#include "fake_driver.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TMPL "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"

static char h_dir[64];
static char h_journal[128];
static struct phx_doc *h_doc;
static struct phx_engine *h_eng;
static struct fake *h_fake;
static struct phx_driver h_drv;
static double h_deadline;

static double h_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool h_too_long(void)
{
	return h_now() > h_deadline;
}

static void h_start_engine(unsigned jobs)
{
	struct phx_engine_cfg cfg = { 0 };
	char err[256];

	cfg.doc = h_doc;
	cfg.driver = &h_drv;
	cfg.jobs = jobs;
	cfg.refresh_ms = 50;
	cfg.journal_path = h_journal;
	ck_assert_msg(phx_engine_start(&h_eng, &cfg, err, sizeof(err)) == 0, "%s", err);
}

/* A config file at path whose lxc_configs object has these members (JSON
 * text). */
static inline void h_write_configs(const char *path, const char *configs)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fprintf(f, "{\"lxc_configs\": {%s}}\n", configs);
	fclose(f);
}

/* doc: the lxc_configs object's members as JSON text. */
static void h_setup(const char *configs, unsigned jobs, size_t nnodes, unsigned task_ms)
{
	static const char *const nodes[] = { "pve", "pve2", "pve3" };
	char path[128], err[256];

	snprintf(h_dir, sizeof(h_dir), "/tmp/phx-engine-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(h_dir));
	snprintf(path, sizeof(path), "%s/configs.json", h_dir);
	snprintf(h_journal, sizeof(h_journal), "%s/engine-journal.json", h_dir);
	h_write_configs(path, configs);
	ck_assert_msg(phx_doc_open(&h_doc, path, err, sizeof(err)) == 0, "%s", err);
	h_fake = fake_new(nodes, nnodes, task_ms);
	h_drv = fake_driver(h_fake);
	h_start_engine(jobs);
}

static void h_teardown(void)
{
	char cmd[128];

	phx_engine_stop(h_eng);
	phx_doc_close(h_doc);
	fake_free(h_fake);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", h_dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Wait (at most 20 s) for ctid to settle; returns wait()'s result. */
static int h_wait(uint32_t ctid, char *status, size_t len)
{
	h_deadline = h_now() + 20;
	return phx_engine_wait(h_eng, ctid, h_too_long, status, len);
}

static void h_wait_status(uint32_t ctid, int want_rc, const char *want)
{
	char status[512];
	int rc = h_wait(ctid, status, sizeof(status));

	ck_assert_msg(rc == want_rc, "%u: wait returned %d (%s), wanted %d", ctid, rc, status,
		      want_rc);
	ck_assert_msg(strcmp(status, want) == 0, "%u: status '%s', wanted '%s'", ctid, status,
		      want);
}

/* Poll until the engine has seen the backend (its first listing). */
static void h_wait_refreshed(uint32_t some_existing_ctid)
{
	double until = h_now() + 10;

	while (!phx_engine_exists(h_eng, some_existing_ctid) && h_now() < until) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	ck_assert(phx_engine_exists(h_eng, some_existing_ctid));
}

static bool h_log_has(uint32_t ctid, const char *needle)
{
	char *log = phx_engine_log(h_eng, ctid);
	bool b = strstr(log, needle) != NULL;

	free(log);
	return b;
}

/* An edit of entry ctid as a write through the mount makes it: key set
 * to the JSON text's value, by the document's own edit path. */
struct h_set_arg {
	uint32_t ctid;
	const char *key;
	const char *json;
};

static inline int h_set_key(json_object *root, void *arg, char *err, size_t errlen)
{
	struct h_set_arg *a = arg;
	char id[16];
	json_object *e;

	(void)err;
	(void)errlen;
	snprintf(id, sizeof(id), "%u", a->ctid);
	e = json_object_object_get(phx_doc_configs(root, false), id);
	json_object_object_add(e, a->key, json_tokener_parse(a->json));
	return 0;
}

static inline void h_edit(uint32_t ctid, const char *key, const char *json)
{
	struct h_set_arg a = { ctid, key, json };
	char err[256];

	ck_assert_int_eq(phx_doc_edit_entry(h_doc, ctid, h_set_key, &a, err, sizeof(err)), 0);
}

/* Another program's edit of the file, as `jq ... > tmp && mv tmp file`
 * makes it: a new file at the path (configs: the lxc_configs object's
 * members as JSON text). The document sees it on its next check. */
static inline void h_replace_doc(const char *configs)
{
	char path[160], to[160];

	snprintf(path, sizeof(path), "%s/configs.json.new", h_dir);
	snprintf(to, sizeof(to), "%s/configs.json", h_dir);
	h_write_configs(path, configs);
	ck_assert_int_eq(rename(path, to), 0);
}

#endif
