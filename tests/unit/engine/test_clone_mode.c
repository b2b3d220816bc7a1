/* Linked or full clone (engine/clone_mode.c): the pure decision. */
#include "backend/engine/clone_mode.h"
#include "tests/unit/check_run.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static struct clone_choice decide(bool tpl, const char *src, const char *type,
				  const char *want, const char *srcnode, const char *target)
{
	struct clone_facts f = {
		.source_is_template = tpl, .source_storage = src, .source_storage_type = type,
		.want_storage = want, .source_node = srcnode, .target_node = target,
	};
	struct clone_choice c;

	clone_mode_decide(&f, &c);
	return c;
}

START_TEST(linked_when_nothing_stands_in_the_way)
{
	struct clone_choice c = decide(true, "local-lvm", "lvmthin", NULL, "pve", NULL);

	ck_assert_int_eq(c.mode, CLONE_LINKED);
	ck_assert_str_eq(c.storage, "");
	ck_assert_str_eq(c.why, "linked clone on the template's storage local-lvm (lvmthin)");
	/* the same storage named, in another case: still linked, no storage */
	c = decide(true, "local-lvm", "lvmthin", "Local-LVM", "pve", "pve");
	ck_assert_int_eq(c.mode, CLONE_LINKED);
	ck_assert_str_eq(c.storage, "");
	for (const char *t[] = { "zfspool", "rbd", "btrfs", NULL }, **p = t; *p; p++)
		ck_assert_int_eq(decide(true, "s", *p, "", "pve", "").mode, CLONE_LINKED);
}
END_TEST

START_TEST(full_with_storage_when_the_pool_differs)
{
	struct clone_choice c = decide(true, "local-lvm", "lvmthin", "local-zfs", "pve", NULL);

	ck_assert_int_eq(c.mode, CLONE_FULL);
	ck_assert_str_eq(c.storage, "local-zfs");
	ck_assert_str_eq(c.why, "full clone: storage_pool local-zfs is not the template's "
			 "storage local-lvm");
}
END_TEST

START_TEST(full_when_the_storage_cannot_link)
{
	for (const char *t[] = { "dir", "nfs", "cifs", "cephfs", "lvm", "glusterfs", NULL },
	     **p = t; *p; p++) {
		struct clone_choice c = decide(true, "tpl", *p, NULL, "pve", NULL);

		ck_assert_int_eq(c.mode, CLONE_FULL);
		ck_assert_str_eq(c.storage, "");
		ck_assert_ptr_nonnull(strstr(c.why, "cannot make linked clones"));
	}
	/* a storage the list did not show (no Datastore.Audit): full */
	ck_assert_int_eq(decide(true, "hidden", "", NULL, "pve", NULL).mode, CLONE_FULL);
	ck_assert_str_eq(decide(true, "hidden", NULL, NULL, "pve", NULL).why,
			 "full clone: the type of storage hidden is not known (not in the "
			 "storage list)");
}
END_TEST

START_TEST(full_to_another_node)
{
	struct clone_choice c = decide(true, "shared-nfs", "nfs", "shared-nfs", "pve", "pve2");

	ck_assert_int_eq(c.mode, CLONE_FULL);
	ck_assert_str_eq(c.storage, "shared-nfs");
	ck_assert_str_eq(c.why, "full clone: it goes to node pve2, the template is on pve");
	/* even where linking could work */
	ck_assert_int_eq(decide(true, "ceph", "rbd", NULL, "pve", "pve2").mode, CLONE_FULL);
}
END_TEST

START_TEST(full_from_a_normal_container)
{
	struct clone_choice c = decide(false, "local-lvm", "lvmthin", "local-lvm", "pve", NULL);

	ck_assert_int_eq(c.mode, CLONE_FULL);
	ck_assert_str_eq(c.storage, "local-lvm");
	ck_assert_str_eq(c.why, "full clone: the source is not a template (to storage local-lvm)");
	c = decide(false, "", "", NULL, "pve", NULL);
	ck_assert_str_eq(c.why, "full clone: the source is not a template");
}
END_TEST

int main(void)
{
	Suite *su = suite_create("clone_mode");
	TCase *tc = tcase_create("decide");

	tcase_add_test(tc, linked_when_nothing_stands_in_the_way);
	tcase_add_test(tc, full_with_storage_when_the_pool_differs);
	tcase_add_test(tc, full_when_the_storage_cannot_link);
	tcase_add_test(tc, full_to_another_node);
	tcase_add_test(tc, full_from_a_normal_container);
	suite_add_tcase(su, tc);
	return phx_check_run(su);
}
