/* The replacement by unlink and create: values created and not written,
 * values removed a moment ago, and putting one back in its place for the
 * program that removed it (only for that one). Also what a write may add:
 * a known key of an object directory, never a key named like the
 * directory's own files. */
#include "harness.h"

#include "fs/commit.h"
#include "fs/handle.h"
#include "fs/kind.h"
#include "fs/node.h"
#include "tests/unit/check_run.h"

#include <errno.h>
#include <fcntl.h>

static void setup(void) { h_setup(H_CONFIGS); }

static void add_name(void *arg, const char *name)
{
	strcat(arg, name);
	strcat(arg, " ");
}

START_TEST(created_is_counted)
{
	char names[256] = "";

	ck_assert(!phx_created_has(h_fs.replace, "/103/swap_mb"));
	ck_assert_int_eq(phx_created_add(h_fs.replace, "/103/swap_mb"), 0);
	ck_assert_int_eq(phx_created_add(h_fs.replace, "/103/swap_mb"), 0);
	ck_assert_int_eq(phx_created_add(h_fs.replace, "/103/network_config/name"), 0);
	phx_created_list(h_fs.replace, "/103/network_config", add_name, names);
	ck_assert_str_eq(names, "name ");
	names[0] = '\0';
	phx_created_list(h_fs.replace, "/103", add_name, names);
	ck_assert_str_eq(names, "swap_mb ");
	phx_created_drop(h_fs.replace, "/103/swap_mb");
	ck_assert(phx_created_has(h_fs.replace, "/103/swap_mb")); /* one handle left */
	phx_created_drop(h_fs.replace, "/103/swap_mb");
	ck_assert(!phx_created_has(h_fs.replace, "/103/swap_mb"));
}
END_TEST

START_TEST(removed_is_for_its_pid_only)
{
	int index = -1;
	json_object *v;

	ck_assert_int_eq(phx_removed_add(h_fs.replace, "/103/cores", 42, json_object_new_int(2), 3), 0);
	ck_assert_ptr_null(phx_removed_take(h_fs.replace, "/103/cores", 43, &index));
	ck_assert_ptr_null(phx_removed_take(h_fs.replace, "/103/memory_mb", 42, &index));
	v = phx_removed_take(h_fs.replace, "/103/cores", 42, &index);
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(json_object_get_int(v), 2);
	ck_assert_int_eq(index, 3);
	json_object_put(v);
	/* taken once */
	ck_assert_ptr_null(phx_removed_take(h_fs.replace, "/103/cores", 42, &index));
}
END_TEST

/* The keys of 103 in order, space-separated. */
static const char *keys_of_103(char *buf, size_t len)
{
	json_object *e;
	size_t o = 0;

	buf[0] = '\0';
	phx_doc_rdlock(h_fs.doc);
	e = phx_doc_entry(h_fs.doc, 103);
	json_object_object_foreach(e, k, v) {
		(void)v;
		o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? " " : "", k);
	}
	phx_doc_unlock(h_fs.doc);
	return buf;
}

START_TEST(put_back_in_place)
{
	char before[256], after[256], buf[64];
	struct phx_node n;

	keys_of_103(before, sizeof(before));
	ck_assert_int_eq(phx_node_resolve(&h_fs, "/103/memory_mb", &n), 0);
	ck_assert_int_eq(phx_replace_remove(&h_fs, &n, 42), 0);
	ck_assert_str_eq(h_value(103, "memory_mb", buf, sizeof(buf)), "");
	/* another program's create finds nothing to put back */
	ck_assert_int_eq(phx_node_resolve(&h_fs, "/103/memory_mb", &n), 0);
	ck_assert(!phx_replace_put_back(&h_fs, "/103/memory_mb", 43, &n));
	ck_assert_str_eq(h_value(103, "memory_mb", buf, sizeof(buf)), "");
	/* the remover's create puts it back where it was */
	ck_assert(phx_replace_put_back(&h_fs, "/103/memory_mb", 42, &n));
	ck_assert_int_eq(n.kind, NK_ATTR);
	ck_assert(n.present);
	ck_assert_str_eq(h_value(103, "memory_mb", buf, sizeof(buf)), "1024");
	ck_assert_str_eq(keys_of_103(after, sizeof(after)), before);
}
END_TEST

START_TEST(put_back_then_refused_leaves_the_old_value)
{
	char err[256] = "", buf[64];
	struct phx_node n;

	ck_assert_int_eq(phx_node_resolve(&h_fs, "/900/network_config/bridge", &n), 0);
	ck_assert_int_eq(phx_replace_remove(&h_fs, &n, 7), 0);
	ck_assert_int_eq(phx_node_resolve(&h_fs, "/900/network_config/bridge", &n), 0);
	ck_assert_int_eq(n.kind, NK_NONE);
	ck_assert(phx_replace_put_back(&h_fs, "/900/network_config/bridge", 7, &n));
	ck_assert_int_eq(n.kind, NK_KEY);
	ck_assert_int_eq(phx_value_commit(&h_fs, &n, "\"no good!\"\n", 11, err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(h_value(900, "network_config/bridge", buf, sizeof(buf)), "\"vmbr0\"");
}
END_TEST

/* echo '"eth1"' > 103/network_config/name when name is not there stores it */
START_TEST(known_key_is_created_by_a_write)
{
	char buf[64];
	struct phx_node n;
	struct phx_handle *h = NULL;

	ck_assert_int_eq(phx_node_resolve(&h_fs, "/103/network_config/name", &n), 0);
	ck_assert(n.new_key);
	ck_assert_int_eq(phx_kind(&n)->create(&h_fs, &n, 0644, O_WRONLY | O_CREAT | O_TRUNC, &h), 0);
	ck_assert(phx_created_has(h_fs.replace, "/103/network_config/name"));
	ck_assert_int_eq(h->kind->h_write(&h_fs, h, "\"eth1\"\n", 7, 0), 7);
	ck_assert_str_eq(h_value(103, "network_config/name", buf, sizeof(buf)), "\"eth1\"");
	ck_assert(!phx_created_has(h_fs.replace, "/103/network_config/name"));
	phx_handle_free(&h_fs, h);
	/* a name the row refuses is refused, and nothing is stored */
	ck_assert_int_eq(phx_node_resolve(&h_fs, "/103/network_config/gw", &n), 0);
	ck_assert(n.new_key);
	ck_assert_int_eq(phx_kind(&n)->create(&h_fs, &n, 0644, O_WRONLY | O_CREAT | O_TRUNC, &h), 0);
	ck_assert_int_eq(h->kind->h_write(&h_fs, h, "\"nope\"\n", 7, 0), -EINVAL);
	ck_assert_str_eq(h_value(103, "network_config/gw", buf, sizeof(buf)), "");
	phx_handle_free(&h_fs, h);
	ck_assert(!phx_created_has(h_fs.replace, "/103/network_config/gw"));
}
END_TEST

/* A key named like a file of the container directory is refused in a
 * write of config.json; one already there stays. */
START_TEST(reserved_keys_refused)
{
	static const char *const names[] = { "status", "log", "ctl", "error", "wait", "drift",
					     "config.json", "clone_from" };
	char err[512], data[256], buf[64];
	struct phx_node n;

	ck_assert_int_eq(phx_node_resolve(&h_fs, "/103/config.json", &n), 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int len = snprintf(data, sizeof(data), "{\"name\": \"ca\", \"%s\": 1}\n", names[i]);

		err[0] = '\0';
		ck_assert_int_eq(phx_value_commit(&h_fs, &n, data, (size_t)len, err, sizeof(err)),
				 -EINVAL);
		ck_assert_msg(strstr(err, names[i]) != NULL, "%s", err);
		ck_assert_str_eq(h_value(103, "memory_mb", buf, sizeof(buf)), "1024");
	}
	/* the whole document too */
	ck_assert_int_eq(phx_node_resolve(&h_fs, "/config.json", &n), 0);
	{
		const char *doc = "{\"lxc_configs\": {\"555\": {\"status\": \"x\"}}}\n";

		ck_assert_int_eq(phx_value_commit(&h_fs, &n, doc, strlen(doc), err, sizeof(err)),
				 -EINVAL);
		ck_assert_str_eq(h_value(103, "memory_mb", buf, sizeof(buf)), "1024");
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fs_replace");
	TCase *tc = tcase_create("replace");

	tcase_add_checked_fixture(tc, setup, h_teardown);
	tcase_add_test(tc, created_is_counted);
	tcase_add_test(tc, removed_is_for_its_pid_only);
	tcase_add_test(tc, put_back_in_place);
	tcase_add_test(tc, put_back_then_refused_leaves_the_old_value);
	tcase_add_test(tc, known_key_is_created_by_a_write);
	tcase_add_test(tc, reserved_keys_refused);
	suite_add_tcase(s, tc);
	return phx_check_run(s);
}
