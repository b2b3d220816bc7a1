/* Path resolution: what every path names, the errors on the way, and a
 * node that stays right when copied and its original is gone. */
#include "harness.h"

#include "fs/kind.h"
#include "fs/node.h"
#include "tests/unit/check_run.h"

#include <errno.h>

static struct phx_node n;

static void setup(void) { h_setup(H_CONFIGS); }

static int resolve(const char *path)
{
	return phx_node_resolve(&h_fs, path, &n);
}

START_TEST(root_names)
{
	ck_assert_int_eq(resolve("/"), 0);
	ck_assert_int_eq(n.kind, NK_ROOT);
	ck_assert_str_eq(phx_node_name(&n), "/");
	ck_assert_int_eq(resolve("/config.json"), 0);
	ck_assert_int_eq(n.kind, NK_ROOT_CONFIG);
	for (const char *const *p = (const char *const[]){ "status", "events", "metrics", "tree",
							   "graph.dot", NULL }; *p; p++) {
		char path[32];

		snprintf(path, sizeof(path), "/%s", *p);
		ck_assert_int_eq(resolve(path), 0);
		ck_assert_msg(n.kind == NK_ROOT_GEN, "%s", path);
		ck_assert_ptr_eq(phx_kind(&n), &phx_kind_root_gen);
	}
	/* any other name at the root is a scratch file's; nothing is below it */
	ck_assert_int_eq(resolve("/notes.txt"), 0);
	ck_assert_int_eq(n.kind, NK_NONE);
	ck_assert_uint_eq(n.ctid, 0);
	ck_assert_ptr_eq(phx_kind(&n), &phx_kind_scratch);
	ck_assert_int_eq(resolve("/notes.txt/x"), -ENOENT);
}
END_TEST

START_TEST(container_names)
{
	ck_assert_int_eq(resolve("/103"), 0);
	ck_assert_int_eq(n.kind, NK_CT);
	ck_assert(n.present);
	ck_assert_uint_eq(n.ctid, 103);
	/* a CTID with no entry and no container names a directory that is
	 * not there (mkdir makes it); nothing below it resolves */
	ck_assert_int_eq(resolve("/777"), 0);
	ck_assert_int_eq(n.kind, NK_CT);
	ck_assert(!n.present && !n.on_backend);
	ck_assert_int_eq(resolve("/777/memory_mb"), -ENOENT);
	/* leading zeros are not a CTID */
	ck_assert_int_eq(resolve("/0103"), 0);
	ck_assert_int_eq(n.kind, NK_NONE);

	ck_assert_int_eq(resolve("/103/memory_mb"), 0);
	ck_assert_int_eq(n.kind, NK_ATTR);
	ck_assert(n.present);
	ck_assert_str_eq(n.attr->key, "memory_mb");
	ck_assert_int_eq(resolve("/103/swap_mb"), 0);
	ck_assert_int_eq(n.kind, NK_ATTR);
	ck_assert(!n.present);
	ck_assert_int_eq(resolve("/103/clone_from"), 0);
	ck_assert_str_eq(n.attr->key, "clone_from_ctid");
	/* is_template exists only while true */
	ck_assert_int_eq(resolve("/900/is_template"), 0);
	ck_assert(n.present);
	ck_assert_int_eq(resolve("/103/is_template"), 0);
	ck_assert(!n.present);
	ck_assert_int_eq(resolve("/103/config.json"), 0);
	ck_assert_int_eq(n.kind, NK_CT_CONFIG);
	for (const char *const *p = (const char *const[]){ "status", "error", "log", "wait", "ctl",
							   "drift", NULL }; *p; p++) {
		char path[32];

		snprintf(path, sizeof(path), "/103/%s", *p);
		ck_assert_int_eq(resolve(path), 0);
		ck_assert_msg(n.kind == NK_GEN, "%s", path);
		ck_assert_ptr_eq(phx_kind(&n), &phx_kind_gen);
	}
	/* below an attribute file there is nothing (the kernel does not ask) */
	ck_assert_int_eq(resolve("/103/memory_mb/x"), -ENOENT);
}
END_TEST

START_TEST(keys_and_object_directories)
{
	char buf[PHX_NAME_MAX + 1];

	ck_assert_int_eq(resolve("/900/network_config"), 0);
	ck_assert_int_eq(n.kind, NK_KEYDIR);
	ck_assert_str_eq(phx_node_key(&n, buf), "network_config");
	ck_assert_int_eq(resolve("/900/network_config/name"), 0);
	ck_assert_int_eq(n.kind, NK_KEY);
	ck_assert_int_eq(n.nkeys, 2);
	ck_assert_str_eq(phx_node_keyname(&n, 0, buf), "network_config");
	ck_assert_str_eq(phx_node_keyname(&n, 1, buf), "name");
	ck_assert_int_eq(resolve("/900/features"), 0);
	ck_assert_int_eq(n.kind, NK_KEY);
	ck_assert_int_eq(resolve("/900/notes/a"), 0);
	ck_assert_int_eq(n.kind, NK_KEY);
	ck_assert_int_eq(resolve("/900/notes/b/c"), -ENOENT);
	ck_assert_int_eq(resolve("/900/features/x"), -ENOTDIR);

	/* a key network_config knows, not there yet: a write creates it */
	ck_assert_int_eq(resolve("/103/network_config/name"), 0);
	ck_assert_int_eq(n.kind, NK_NONE);
	ck_assert(n.new_key);
	ck_assert_ptr_eq(phx_kind(&n), &phx_kind_new_key);
	/* an editor's temporary file there stays a scratch file */
	ck_assert_int_eq(resolve("/103/network_config/sedAb12Cd"), 0);
	ck_assert(!n.new_key);
	ck_assert_ptr_eq(phx_kind(&n), &phx_kind_scratch);
	/* an object that is no row of the table knows no keys */
	ck_assert_int_eq(resolve("/900/notes/name"), 0);
	ck_assert(!n.new_key);
	/* a new name directly in the entry is a scratch file's */
	ck_assert_int_eq(resolve("/103/4913"), 0);
	ck_assert_int_eq(n.kind, NK_NONE);
	ck_assert(!n.new_key);
}
END_TEST

START_TEST(reserved_names)
{
	/* the directory's own names are never an entry's keys */
	ck_assert(phx_node_name_reserved("status"));
	ck_assert(phx_node_name_reserved("drift"));
	ck_assert(phx_node_name_reserved("config.json"));
	ck_assert(phx_node_name_reserved("clone_from")); /* the file of clone_from_ctid */
	ck_assert(!phx_node_name_reserved("memory_mb")); /* its own key */
	ck_assert(!phx_node_name_reserved("notes"));
}
END_TEST

START_TEST(too_long)
{
	char path[PATH_MAX + 16];
	size_t o = 0;

	o += (size_t)snprintf(path, sizeof(path), "/900/");
	memset(path + o, 'a', PHX_NAME_MAX + 1);
	path[o + PHX_NAME_MAX + 1] = '\0';
	ck_assert_int_eq(resolve(path), -ENAMETOOLONG);
	path[o + PHX_NAME_MAX] = '\0';
	ck_assert_int_eq(resolve(path), 0); /* 255 bytes is a name */
	o = (size_t)snprintf(path, sizeof(path), "/900");
	for (int i = 0; i < PHX_KEYS_MAX + 1; i++)
		o += (size_t)snprintf(path + o, sizeof(path) - o, "/k");
	ck_assert_int_eq(resolve(path), -ENAMETOOLONG);
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	ck_assert_int_eq(resolve(path), -ENAMETOOLONG);
}
END_TEST

/* A node holds no pointer into itself: a plain copy is as good as the
 * original however the original's memory is reused, for as long as the
 * path lives. The node is small (no path buffers on the stack). */
START_TEST(copies_are_safe)
{
	char *path = strdup("/900/network_config/bridge"), buf[PHX_NAME_MAX + 1];
	struct phx_node *orig = malloc(sizeof(*orig)), copy;

	ck_assert_int_eq(phx_node_resolve(&h_fs, path, orig), 0);
	copy = *orig;
	memset(orig, 0x5a, sizeof(*orig));
	free(orig);
	ck_assert_int_eq(copy.kind, NK_KEY);
	ck_assert_str_eq(phx_node_name(&copy), "bridge");
	ck_assert_str_eq(phx_node_keyname(&copy, 0, buf), "network_config");
	ck_assert_str_eq(phx_node_keyname(&copy, 1, buf), "bridge");
	phx_doc_rdlock(h_fs.doc);
	ck_assert_str_eq(json_object_get_string(phx_node_value(&copy, phx_doc_root(h_fs.doc))),
			 "vmbr0");
	phx_doc_unlock(h_fs.doc);
	ck_assert_uint_lt(sizeof(struct phx_node), 512);
	free(path);
}
END_TEST

/* Every kind has its table, and every table answers getattr. */
START_TEST(every_kind_has_a_table)
{
	static const char *const paths[] = {
		"/", "/config.json", "/status", "/103", "/103/memory_mb", "/103/config.json",
		"/103/log", "/900/features", "/900/network_config", "/103/x",
		"/103/network_config/name",
	};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		const struct phx_kind *k;

		ck_assert_int_eq(resolve(paths[i]), 0);
		k = phx_kind(&n);
		ck_assert_ptr_nonnull(k);
		ck_assert_ptr_nonnull(k->getattr);
		ck_assert_ptr_nonnull(k->what);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fs_node");
	TCase *tc = tcase_create("resolve");

	tcase_add_checked_fixture(tc, setup, h_teardown);
	tcase_add_test(tc, root_names);
	tcase_add_test(tc, container_names);
	tcase_add_test(tc, keys_and_object_directories);
	tcase_add_test(tc, reserved_names);
	tcase_add_test(tc, too_long);
	tcase_add_test(tc, copies_are_safe);
	tcase_add_test(tc, every_kind_has_a_table);
	suite_add_tcase(s, tc);
	return phx_check_run(s);
}
