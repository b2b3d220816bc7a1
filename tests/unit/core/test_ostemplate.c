/* OS templates given as host paths: mapped to a volume id through the
 * storage configuration the way pve-storage's path_to_volume_id does, and
 * each way it can fail said plainly. */
#include "backend/ostemplate.h"
#include "tests/unit/check_run.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct phx_storage v[] = {
	{ .id = "local", .type = "dir", .path = "/var/lib/vz", .content = "iso,vztmpl,backup" },
	{ .id = "local-lvm", .type = "lvmthin", .content = "rootdir,images" },
	{ .id = "FastData-ISO", .type = "dir", .path = "/fastData/shared-iso/",
	  .content = "iso,vztmpl", .nodes = "pve,pve2" },
	{ .id = "backups", .type = "dir", .path = "/srv/backups", .content = "backup" },
	{ .id = "old", .type = "dir", .path = "/srv/old", .content = "vztmpl", .disabled = true },
};
static const struct phx_storage_list list = { v, sizeof(v) / sizeof(v[0]) };

static int map(const char *path, const char *node, char *volid, char *err)
{
	return phx_ostemplate_volid(path, &list, node, volid, 256, err, 512);
}

START_TEST(maps_like_path_to_volume_id)
{
	char volid[256], err[512];

	ck_assert_int_eq(map("/var/lib/vz/template/cache/debian-12-standard_12.7-1_amd64.tar.zst",
			     "pve", volid, err), 0);
	ck_assert_str_eq(volid, "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst");
	/* mixed-case storage id kept as written; doubled slashes folded */
	ck_assert_int_eq(map("/fastData//shared-iso/template/cache/ubuntu-24.04-standard_24.04-2_amd64.TAR.GZ",
			     "pve2", volid, err), 0);
	ck_assert_str_eq(volid, "FastData-ISO:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.TAR.GZ");
	ck_assert_int_eq(map("/var/lib/vz/template/cache/plain.tar", NULL, volid, err), 0);
	ck_assert_str_eq(volid, "local:vztmpl/plain.tar");
	ck_assert(phx_ostemplate_is_path("/x"));
	ck_assert(!phx_ostemplate_is_path("local:vztmpl/x.tar.zst"));
}
END_TEST

START_TEST(each_refusal_says_why)
{
	char volid[256] = "", err[512];

	ck_assert_int_eq(map("/nowhere/template/cache/a.tar.zst", "pve", volid, err), -ENOENT);
	ck_assert_str_eq(err, "template /nowhere/template/cache/a.tar.zst: no storage of the cluster has the path /nowhere (GET /storage)");
	ck_assert_int_eq(map("/var/lib/vz/a.tar.zst", "pve", volid, err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "not in a storage's template directory"));
	ck_assert_int_eq(map("/srv/backups/template/cache/a.tar.zst", "pve", volid, err), -ENOENT);
	ck_assert_str_eq(err, "template /srv/backups/template/cache/a.tar.zst: storage 'backups' holds that directory but does not list vztmpl in its content");
	ck_assert_int_eq(map("/srv/old/template/cache/a.tar.zst", "pve", volid, err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "storage 'old' holds that directory but is disabled"));
	ck_assert_int_eq(map("/fastData/shared-iso/template/cache/a.tar.zst", "pve3", volid, err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "storage 'FastData-ISO' holds that directory but is not available on node pve3"));
	ck_assert_int_eq(map("/var/lib/vz/template/cache/notes.txt", "pve", volid, err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "'notes.txt' is not a container template's name"));
	ck_assert_int_eq(map("/var/lib/vz/template/cache/x.tar.zst.part", "pve", volid, err), -ENOENT);
	ck_assert_int_eq(map("/var/lib/vz/template/cache/../cache/a.tar.zst", "pve", volid, err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "without '.' or '..'"));
	ck_assert_int_eq(map("relative/template/cache/a.tar.zst", "pve", volid, err), -ENOENT);
	ck_assert_str_eq(volid, ""); /* never written on failure */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ostemplate");
	TCase *tc = tcase_create("ostemplate");

	tcase_add_test(tc, maps_like_path_to_volume_id);
	tcase_add_test(tc, each_refusal_says_why);
	suite_add_tcase(s, tc);
	return phx_check_run(s);
}
