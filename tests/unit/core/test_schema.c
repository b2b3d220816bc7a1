/* The attribute table and its parsers: every type, its edges, and that a
 * stored value keeps its JSON type. */
#include "backend/schema.h"
#include "tests/unit/check_run.h"

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse(const char *file, const char *text, json_object *old, json_object **out)
{
	char err[256];

	return phx_attr_parse(phx_attr_by_file(file), text, strlen(text), old, out, err, sizeof(err));
}

static void expect_ok(const char *file, const char *text, const char *json)
{
	json_object *v = NULL;

	ck_assert_msg(parse(file, text, NULL, &v) == 0, "%s <- '%s' refused", file, text);
	ck_assert_str_eq(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), json);
	json_object_put(v);
}

static void expect_bad(const char *file, const char *text)
{
	json_object *v = NULL;

	ck_assert_msg(parse(file, text, NULL, &v) == -EINVAL, "%s <- '%s' accepted", file, text);
	ck_assert_ptr_null(v);
}

START_TEST(table_is_consistent)
{
	ck_assert_uint_le(phx_nattrs, PHX_ATTRS_MAX);
	for (size_t i = 0; i < phx_nattrs; i++) {
		const struct phx_attr *a = &phx_attrs[i];

		ck_assert_ptr_eq(phx_schema_row(a->key), a);
		ck_assert_ptr_nonnull(a->what);
		if (a->file) {
			ck_assert_ptr_eq(phx_attr_by_file(a->file), a);
			ck_assert_ptr_eq(phx_attr_by_key(a->key), a);
		} else {
			/* no file of its own: the FUSE side must not find it */
			ck_assert_ptr_null(phx_attr_by_key(a->key));
		}
		/* a row that applies to an existing container says how */
		if (a->apply != PHX_AT_BUILD)
			ck_assert_ptr_nonnull(a->pve);
		/* a default is only sent with a parameter to send it as */
		if (a->pve_default)
			ck_assert_ptr_nonnull(a->pve);
	}
	ck_assert_ptr_null(phx_attr_by_file("clone_from_ctid"));
	ck_assert_ptr_eq(phx_attr_by_key("clone_from_ctid"), phx_attr_by_file("clone_from"));
}
END_TEST

START_TEST(integers)
{
	expect_ok("memory_mb", "4096\n", "4096");
	expect_ok("memory_mb", "  2048  \n", "2048");
	expect_ok("memory_mb", "16", "16");
	expect_ok("swap_mb", "0\n", "0");
	expect_bad("memory_mb", "15\n");
	expect_bad("memory_mb", "abc\n");
	expect_bad("memory_mb", "-1\n");
	expect_bad("memory_mb", "1e3\n");
	expect_bad("memory_mb", "0x10\n");
	expect_bad("memory_mb", "04096\n");
	expect_bad("memory_mb", "40 96\n");
	expect_bad("memory_mb", "4096\n1\n");
	expect_bad("memory_mb", "\n");
	expect_bad("memory_mb", "");
	expect_bad("memory_mb", "99999999999999999999999\n");
	expect_bad("cores", "0\n");
	expect_bad("cores", "8193\n");
	expect_ok("cores", "8192\n", "8192");
}
END_TEST

START_TEST(integers_keep_string_type)
{
	json_object *old = json_object_new_string("2048"), *v = NULL;

	ck_assert_int_eq(parse("memory_mb", "4096\n", old, &v), 0);
	ck_assert(json_object_is_type(v, json_type_string));
	ck_assert_str_eq(json_object_get_string(v), "4096");
	json_object_put(v);
	json_object_put(old);
	/* a new clone_from is stored as a string, as the existing scripts do */
	expect_ok("clone_from", "900\n", "\"900\"");
	old = json_object_new_int(900);
	ck_assert_int_eq(parse("clone_from", "901\n", old, &v), 0);
	ck_assert(json_object_is_type(v, json_type_int));
	json_object_put(v);
	json_object_put(old);
}
END_TEST

START_TEST(ctids)
{
	expect_ok("clone_from", "100", "\"100\"");
	expect_ok("clone_from", "999999999", "\"999999999\"");
	expect_bad("clone_from", "99");
	expect_bad("clone_from", "1000000000");
	expect_bad("clone_from", "0900");
	expect_bad("clone_from", "ct900");
}
END_TEST

START_TEST(booleans)
{
	json_object *v = (json_object *)1;

	expect_ok("start_at_boot", "true\n", "true");
	expect_ok("start_at_boot", "false\n", "false");
	expect_ok("unprivileged", "1", "true");
	expect_ok("unprivileged", "0", "false");
	expect_bad("unprivileged", "yes please");
	expect_bad("unprivileged", "TRUE");
	/* is_template exists only while true: false means "remove the key" */
	ck_assert_int_eq(parse("is_template", "false\n", NULL, &v), 0);
	ck_assert_ptr_null(v);
	expect_ok("is_template", "true\n", "true");
}
END_TEST

START_TEST(strings)
{
	expect_ok("name", "Copy-Base\n", "\"Copy-Base\"");
	expect_ok("name", "web.example.org", "\"web.example.org\"");
	expect_bad("name", "-lead");
	expect_bad("name", "trail-");
	expect_bad("name", "has space");
	expect_bad("name", "under_score");
	expect_bad("name", "a..b");
	expect_ok("storage_pool", "local-lvm", "\"local-lvm\"");
	/* pve-common parse_storage_id matches case-insensitively */
	expect_ok("storage_pool", "FastPool-CT-Disks", "\"FastPool-CT-Disks\"");
	expect_ok("storage_pool", "quickOS-lxc-disks", "\"quickOS-lxc-disks\"");
	expect_bad("storage_pool", "x");
	expect_bad("storage_pool", "1pool");
	expect_bad("storage_pool", "pool-");
	expect_bad("storage_pool", "po ol");
	expect_ok("template", "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
		  "\"local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst\"");
	expect_ok("template", "/var/lib/vz/template/cache/x.tar.zst",
		  "\"/var/lib/vz/template/cache/x.tar.zst\"");
	expect_bad("template", "debian.tar.zst");
	expect_bad("template", "local:");
	expect_ok("template", "Images:vztmpl/x.tar.zst", "\"Images:vztmpl/x.tar.zst\"");
	expect_bad("template", "9images:vztmpl/x.tar.zst");
	expect_bad("template", "local:vztmpl/a b");
	expect_ok("mac_address", "BC:24:11:00:00:01", "\"BC:24:11:00:00:01\"");
	expect_ok("mac_address", "\n", "\"\"");
	expect_bad("mac_address", "01:24:11:00:00:01"); /* multicast */
	expect_bad("mac_address", "BC:24:11:00:00");
	expect_bad("mac_address", "BC-24-11-00-00-01");
	expect_ok("template_snapshot_name", "base_v1", "\"base_v1\"");
	expect_bad("template_snapshot_name", "1base");
	expect_ok("node", "pve1", "\"pve1\"");
	expect_bad("node", "pve1.example.org");
}
END_TEST


START_TEST(address_and_domain_lists)
{
	expect_ok("nameservers", "10.0.0.13\n", "\"10.0.0.13\"");
	expect_ok("nameservers", "10.0.0.13, 1.1.1.1\n", "\"10.0.0.13, 1.1.1.1\"");
	expect_ok("nameservers", "10.0.0.13;2001:db8::1 fe80::1%eth0\n",
		  "\"10.0.0.13;2001:db8::1 fe80::1%eth0\"");
	expect_bad("nameservers", "10.0.0.300\n");
	expect_bad("nameservers", "10.0.0.1/24\n");
	expect_bad("nameservers", "dns.example.com\n");
	expect_bad("nameservers", ",\n");
	expect_bad("nameservers", "fe80::1%\n");
	expect_ok("searchdomain", "lab.example.com corp.example.org\n",
		  "\"lab.example.com corp.example.org\"");
	expect_bad("searchdomain", "bad_name\n");
	expect_bad("searchdomain", "a..b\n");
	{
		/* a NUL is no separator */
		json_object *v = NULL;
		char err[256];

		ck_assert_int_eq(phx_attr_parse(phx_attr_by_file("searchdomain"), "a\0b", 3, NULL,
						&v, err, sizeof(err)), -EINVAL);
		ck_assert_ptr_null(v);
	}
}
END_TEST

static int net(const char *json, char *err, size_t errlen)
{
	json_object *v = json_tokener_parse(json);
	int rc;

	ck_assert_ptr_nonnull(v);
	rc = phx_attr_check(phx_schema_row("network_config"), v, err, errlen);
	json_object_put(v);
	return rc;
}

START_TEST(network_config_as_proxmox_checks_it)
{
	static const char *const good[] = {
		"{}",
		"{\"name\": \"eth0\", \"bridge\": \"vmbr0\", \"ip\": \"10.0.0.200/24\", \"gw\": \"10.0.0.1\"}",
		"{\"ip\": \"dhcp\", \"ip6\": \"auto\"}",
		"{\"ip\": \"10.0.0.5/08\", \"ip6\": \"fd00::5/128\"}",
		"{\"ip\": \"manual\", \"ip6\": \"fd00::5/64\", \"gw6\": \"fd00::1\"}",
		"{\"tag\": 1, \"mtu\": 64, \"rate\": 0}",
		"{\"tag\": \"4094\", \"mtu\": 65535, \"rate\": 12.5, \"firewall\": true}",
		"{\"firewall\": 0, \"rate\": \"1.5\"}",
		"{\"firewall\": \"yes\", \"nameservers\": \"8.8.8.8\", \"other\": [1, 2]}",
		"{\"gw\": null}",
	};
	static const struct { const char *json, *why; } bad[] = {
		{ "[]", "must be a JSON object" },
		{ "{\"ip\": \"10.0.0.5\"}", "network_config.ip: '10.0.0.5' is not an IPv4 address with its prefix" },
		{ "{\"ip\": \"10.0.0.5/33\"}", "network_config.ip: '10.0.0.5/33'" },
		{ "{\"ip\": \"10.0.0.5/7\"}", "network_config.ip" },
		{ "{\"ip\": \"010.0.0.5/24\"}", "network_config.ip" },
		{ "{\"ip\": \"fd00::5/64\"}", "network_config.ip" },
		{ "{\"ip\": 5}", "network_config.ip: '5'" },
		{ "{\"gw\": \"10.0.0.256\"}", "network_config.gw" },
		{ "{\"ip6\": \"fd00::5/129\"}", "network_config.ip6" },
		{ "{\"ip6\": \"10.0.0.5/24\"}", "network_config.ip6" },
		{ "{\"gw6\": \"10.0.0.1\"}", "network_config.gw6: '10.0.0.1' is not an IPv6 address" },
		{ "{\"tag\": 0}", "network_config.tag: '0' is not a VLAN tag, 1 to 4094" },
		{ "{\"tag\": 4095}", "network_config.tag" },
		{ "{\"tag\": \"ten\"}", "network_config.tag" },
		{ "{\"mtu\": 63}", "network_config.mtu: '63' is not an MTU, 64 to 65535" },
		{ "{\"mtu\": 65536}", "network_config.mtu" },
		{ "{\"rate\": -1}", "network_config.rate: '-1' is not a rate limit" },
		{ "{\"rate\": \"fast\"}", "network_config.rate" },
		{ "{\"firewall\": \"maybe\"}", "network_config.firewall: 'maybe' is not true or false" },
		{ "{\"firewall\": 2}", "network_config.firewall" },
		{ "{\"bridge\": \"vm br0\"}", "network_config.bridge: 'vm br0' is not a bridge name" },
		{ "{\"name\": \"eth0;x\"}", "network_config.name" },
		{ "{\"name\": \"eth\\u00000\"}", "network_config.name" },
		{ "{\"name\": {}}", "network_config.name: '(an object or array)'" },
		{ "{\"nameservers\": \"x\"}", "network_config.nameservers must be" },
	};
	char err[256];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(net(good[i], err, sizeof(err)) == 0, "%s refused: %s", good[i], err);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(net(bad[i].json, err, sizeof(err)) == -EINVAL, "%s accepted", bad[i].json);
		ck_assert_msg(strstr(err, bad[i].why), "%s: '%s' lacks '%s'", bad[i].json, err, bad[i].why);
	}
}
END_TEST

START_TEST(rows_say_what_reaches_proxmox)
{
	const struct phx_attr *ns = phx_schema_row("nameservers"), *mem = phx_schema_row("memory_mb");
	const struct phx_attr *up = phx_schema_row("unprivileged"), *tpl = phx_schema_row("template");
	json_object *entry = json_tokener_parse("{\"network_config\": {\"nameservers\": \"8.8.8.8\"}}");

	ck_assert_str_eq(ns->pve, "nameserver");
	ck_assert_int_eq(ns->apply, PHX_RESTART);
	ck_assert_str_eq(phx_schema_row("searchdomain")->pve, "searchdomain");
	ck_assert_int_eq(mem->apply, PHX_LIVE);
	ck_assert_int_eq(up->apply, PHX_AT_BUILD);
	ck_assert_str_eq(up->pve_default, "1");
	ck_assert(tpl->flags & PHX_A_BUILDS);
	ck_assert(phx_schema_row("clone_from_ctid")->flags & PHX_A_BUILDS);
	ck_assert(!(mem->flags & PHX_A_BUILDS));
	/* the origin's layout: read from network_config when the entry lacks it */
	ck_assert_str_eq(json_object_get_string(phx_entry_value(entry, ns)), "8.8.8.8");
	json_object_object_add(entry, "nameservers", json_object_new_string("1.1.1.1"));
	ck_assert_str_eq(json_object_get_string(phx_entry_value(entry, ns)), "1.1.1.1");
	ck_assert_ptr_null(phx_entry_value(entry, mem));
	json_object_put(entry);
	/* a whole entry with a bad network_config is refused as a whole */
	entry = json_tokener_parse("{\"network_config\": {\"tag\": 5000}}");
	{
		char err[256];

		ck_assert_int_eq(phx_entry_check(entry, err, sizeof(err)), -EINVAL);
		ck_assert_ptr_nonnull(strstr(err, "network_config.tag"));
	}
	json_object_put(entry);
}
END_TEST

START_TEST(format_and_check)
{
	const struct phx_attr *mem = phx_attr_by_file("memory_mb");
	json_object *v = json_object_new_int(2048);
	char *s = phx_attr_format(mem, v), err[256];

	ck_assert_str_eq(s, "2048\n");
	free(s);
	ck_assert_int_eq(phx_attr_check(mem, v, err, sizeof(err)), 0);
	json_object_put(v);
	v = json_object_new_string("lots");
	ck_assert_int_eq(phx_attr_check(mem, v, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "memory_mb"));
	json_object_put(v);
	v = json_tokener_parse("{\"memory_mb\": 8, \"extra\": [1, 2]}");
	ck_assert_int_eq(phx_entry_check(v, err, sizeof(err)), -EINVAL);
	json_object_put(v);
	v = json_tokener_parse("{\"memory_mb\": 512, \"extra\": [1, 2], \"mac_address\": \"\"}");
	ck_assert_int_eq(phx_entry_check(v, err, sizeof(err)), 0);
	json_object_put(v);
}
END_TEST

/* One rule both ways: a string or key the write side accepts is exactly
 * one the load accepts, for every byte sequence tried (shapes of UTF-8
 * json-c checks: lead bytes, continuations, cut sequences, overlong and
 * surrogate forms it lets through, bytes it never allows). */
START_TEST(write_and_load_agree_on_utf8)
{
	static const char *const seqs[] = {
		"plain", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xff\xfe", "a\xc3",
		"\xc3", "\x80", "\xe2\x82", "\xf0\x9f\x98", "\xc0\x80", "\xed\xa0\x80",
		"\xf8\x88\x80\x80\x80", "\xc3\xa9\xc3", "\xf4\x90\x80\x80", "x\xbf",
	};
	char err[256], text[64];
	size_t where;
	const char *why;

	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		json_object *s = json_object_new_string(seqs[i]), *loaded;
		bool write_ok = phx_json_acceptable(s, 4, "k", err, sizeof(err)) == 0;
		bool key_ok = phx_key_acceptable(seqs[i], err, sizeof(err)) == 0;

		snprintf(text, sizeof(text), "{\"k\": \"%s\"}", seqs[i]);
		loaded = phx_json_parse(text, strlen(text), &where, &why);
		ck_assert_msg(write_ok == (loaded != NULL), "string %zu: write %d, load %d", i,
			      write_ok, loaded != NULL);
		json_object_put(loaded);
		snprintf(text, sizeof(text), "{\"%s\": 1}", seqs[i]);
		loaded = phx_json_parse(text, strlen(text), &where, &why);
		ck_assert_msg(key_ok == (loaded != NULL), "key %zu: write %d, load %d", i,
			      key_ok, loaded != NULL);
		json_object_put(loaded);
		json_object_put(s);
	}
}
END_TEST

/* The depth limit: a value at level depth holds PHX_JSON_MAX_DEPTH - depth
 * + 1 levels, the same count for parse_at and acceptable; one more level
 * around a value at the limit is refused with the reason. */
START_TEST(write_and_load_agree_on_depth)
{
	char text[128], err[256];
	size_t where;
	const char *why;

	for (int depth = 1; depth <= PHX_JSON_MAX_DEPTH; depth++) {
		for (int levels = 1; levels + depth - 1 <= PHX_JSON_MAX_DEPTH + 1; levels++) {
			bool fits = depth + levels - 1 <= PHX_JSON_MAX_DEPTH;
			json_object *v;
			int n = 0;

			for (int k = 0; k < levels; k++)
				text[n++] = '[';
			for (int k = 0; k < levels; k++)
				text[n++] = ']';
			text[n] = '\0';
			v = phx_json_parse_at(text, (size_t)n, depth, &where, &why);
			ck_assert_msg((v != NULL) == fits, "depth %d levels %d", depth, levels);
			if (!v)
				continue;
			ck_assert_int_eq(phx_json_acceptable(v, depth, "k", err, sizeof(err)), 0);
			if (depth + levels - 1 == PHX_JSON_MAX_DEPTH) {
				ck_assert_int_eq(phx_json_acceptable(v, depth + 1, "k", err,
								     sizeof(err)), -EINVAL);
				ck_assert_ptr_nonnull(strstr(err, "nested more than 32 levels"));
			}
			json_object_put(v);
		}
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("schema");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, table_is_consistent);
	tcase_add_test(tc, integers);
	tcase_add_test(tc, integers_keep_string_type);
	tcase_add_test(tc, ctids);
	tcase_add_test(tc, booleans);
	tcase_add_test(tc, strings);
	tcase_add_test(tc, format_and_check);
	tcase_add_test(tc, address_and_domain_lists);
	tcase_add_test(tc, network_config_as_proxmox_checks_it);
	tcase_add_test(tc, rows_say_what_reaches_proxmox);
	tcase_add_test(tc, write_and_load_agree_on_utf8);
	tcase_add_test(tc, write_and_load_agree_on_depth);
	suite_add_tcase(s, tc);
	return phx_check_run(s);
}
