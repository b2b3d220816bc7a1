/* A mount's context without a mount: the document on a file in a temp
 * directory, an offline engine, the scratch store and the replacement
 * store, as fs/main.c puts them together. What the fs/ pieces need of
 * FUSE itself (the caller's pid, the session) is not used here. */
#ifndef PHX_FS_TEST_HARNESS_H
#define PHX_FS_TEST_HARNESS_H

#include "fs/phoenixfs.h"
#include "fs/replace.h"
#include "fs/scratch.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char h_dir[64];
static struct phx_fs h_fs;

/* configs: the lxc_configs object's members as JSON text */
static inline void h_setup(const char *configs)
{
	struct phx_engine_cfg cfg = { 0 };
	char path[128], journal[128], err[256];
	FILE *f;

	snprintf(h_dir, sizeof(h_dir), "/tmp/phx-fs-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(h_dir));
	snprintf(path, sizeof(path), "%s/configs.json", h_dir);
	snprintf(journal, sizeof(journal), "%s/journal", h_dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "{\"lxc_configs\": {%s}}\n", configs);
	fclose(f);
	memset(&h_fs, 0, sizeof(h_fs));
	phx_fs_init(&h_fs);
	ck_assert_msg(phx_doc_open(&h_fs.doc, path, err, sizeof(err)) == 0, "%s", err);
	cfg.doc = h_fs.doc;
	cfg.journal_path = journal;
	cfg.refresh_ms = 50;
	ck_assert_msg(phx_engine_start(&h_fs.engine, &cfg, err, sizeof(err)) == 0, "%s", err);
	h_fs.scratch = phx_scratch_new();
	h_fs.replace = phx_replace_new();
	h_fs.max_waiters = 4;
	ck_assert_ptr_nonnull(h_fs.scratch);
	ck_assert_ptr_nonnull(h_fs.replace);
}

static inline void h_teardown(void)
{
	char cmd[128];

	phx_engine_stop(h_fs.engine);
	phx_doc_close(h_fs.doc);
	phx_scratch_free(h_fs.scratch);
	phx_replace_free(h_fs.replace);
	phx_fs_destroy(&h_fs);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", h_dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* The JSON text of a value in the live document ("" when absent). */
static inline const char *h_value(uint32_t ctid, const char *path_in_entry, char *buf, size_t len)
{
	json_object *v;
	char copy[256], *save = NULL;

	snprintf(copy, sizeof(copy), "%s", path_in_entry);
	phx_doc_rdlock(h_fs.doc);
	v = phx_doc_entry(h_fs.doc, ctid);
	for (char *k = strtok_r(copy, "/", &save); v && k; k = strtok_r(NULL, "/", &save))
		if (!json_object_object_get_ex(v, k, &v))
			v = NULL;
	snprintf(buf, len, "%s", v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN) : "");
	phx_doc_unlock(h_fs.doc);
	return buf;
}

#define H_CONFIGS                                                                   \
	"\"900\": {\"name\": \"base\", \"memory_mb\": 2048, \"is_template\": true,"    \
	" \"network_config\": {\"name\": \"eth0\", \"bridge\": \"vmbr0\"},"             \
	" \"features\": [\"x\"], \"notes\": {\"a\": 1}},"                               \
	" \"103\": {\"name\": \"ca\", \"clone_from_ctid\": \"900\", \"memory_mb\": 1024," \
	" \"network_config\": {\"bridge\": \"vmbr0\"}, \"cores\": 2}"

#endif
