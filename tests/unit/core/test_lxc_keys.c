/* The keys of lxc-manager.sh's create: each validator's good and bad
 * values (the formats of pve-container, pve-firewall and the origin's
 * scripts), the features parameter, and the combinations Proxmox refuses. */
#include "backend/lxc_keys.h"
#include "tests/unit/check_run.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef int (*check_fn)(json_object *, char *, size_t);

static void good(check_fn f, const char *json)
{
	json_object *v = json_tokener_parse(json);
	char err[256] = "";

	ck_assert_msg(f(v, err, sizeof(err)) == 0, "%s refused: %s", json, err);
	json_object_put(v);
}

static void bad(check_fn f, const char *json, const char *why)
{
	json_object *v = json_tokener_parse(json);
	char err[256] = "";

	ck_assert_msg(f(v, err, sizeof(err)) == -EINVAL, "%s accepted", json);
	ck_assert_msg(strstr(err, why), "%s: '%s' lacks '%s'", json, err, why);
	json_object_put(v);
}

START_TEST(features_and_scripts)
{
	good(phx_check_features, "[\"base_setup\", \"nvidia\", \"vllm\"]");
	good(phx_check_features, "null");
	good(phx_check_features, "[]");
	bad(phx_check_features, "[\"../x\"]", "feature name");
	bad(phx_check_features, "[\"-x\"]", "feature name");
	bad(phx_check_features, "[\"a b\"]", "feature name");
	bad(phx_check_features, "[1]", "feature name");
	bad(phx_check_features, "\"nvidia\"", "must be a list");
	bad(phx_check_features, "[\"a\", \"a\"]", "listed twice");
	good(phx_check_app_script, "\"app_inference.sh\"");
	good(phx_check_app_script, "\"apps/proxy.sh\"");
	good(phx_check_app_script, "\"\"");
	bad(phx_check_app_script, "\"/bin/sh\"", "relative path");
	bad(phx_check_app_script, "\"a/../b\"", "relative path");
	bad(phx_check_app_script, "\"a//b\"", "relative path");
	bad(phx_check_app_script, "\".hidden\"", "relative path");
	bad(phx_check_app_script, "3", "script name");
}
END_TEST

START_TEST(deps_and_pct_options)
{
	good(phx_check_deps, "[\"103\", 1002]");
	good(phx_check_deps, "null");
	bad(phx_check_deps, "[\"10x\"]", "guest id");
	bad(phx_check_deps, "[99]", "guest id");
	bad(phx_check_deps, "\"103\"", "must be a list");
	good(phx_check_pct_options, "[\"nesting=1\", \"keyctl=0\", \"fuse=yes\", \"mount=nfs;cifs\"]");
	good(phx_check_pct_options, "null");
	bad(phx_check_pct_options, "[\"nesting\"]", "FLAG=VALUE");
	bad(phx_check_pct_options, "[\"nesting=2\"]", "boolean");
	bad(phx_check_pct_options, "[\"mount=nfs,cifs\"]", "file system types");
	bad(phx_check_pct_options, "[\"apparmor=1\"]", "not a Proxmox container feature");
	bad(phx_check_pct_options, "[1]", "must be a string");
}
END_TEST

START_TEST(firewall)
{
	good(phx_check_firewall, "{\"enabled\": true, \"rules\": [{\"type\": \"in\", \"action\": "
	     "\"ACCEPT\", \"source\": \"10.0.0.0/24\", \"proto\": \"tcp\", \"port\": \"22\", "
	     "\"comment\": \"ssh\"}, {\"type\": \"out\", \"action\": \"DROP\", \"dest\": "
	     "\"10.0.0.1-10.0.0.9\", \"proto\": \"udp\", \"dport\": \"53,5000:5010\"}, "
	     "{\"type\": \"group\", \"action\": \"webservers\"}, {\"type\": \"in\", \"action\": "
	     "\"ACCEPT\", \"source\": \"+trusted\", \"iface\": \"net0\", \"proto\": \"icmp\"}], "
	     "\"options\": {\"policy_in\": \"DROP\", \"dhcp\": true, \"log_level_in\": \"info\"}}");
	good(phx_check_firewall, "{\"enabled\": false}");
	good(phx_check_firewall, "{\"enabled\": true, \"rules\": [{\"type\": \"in\", \"action\": "
	     "\"ACCEPT\", \"proto\": \"tcp\", \"port\": 8000}]}");
	bad(phx_check_firewall, "[]", "must be an object");
	bad(phx_check_firewall, "{\"enabled\": 1}", "enabled must be true or false");
	bad(phx_check_firewall, "{\"on\": true}", "'on' is not a key");
	bad(phx_check_firewall, "{\"rules\": [{\"action\": \"ACCEPT\"}]}", "type: missing");
	bad(phx_check_firewall, "{\"rules\": [{\"type\": \"in\"}]}", "action: missing");
	bad(phx_check_firewall, "{\"rules\": [{\"type\": \"forward\", \"action\": \"ACCEPT\"}]}",
	    "invalid rule type");
	bad(phx_check_firewall, "{\"rules\": [{\"type\": \"in\", \"action\": \"accept\"}]}",
	    "unknown action");
	bad(phx_check_firewall, "{\"rules\": [{\"type\": \"in\", \"action\": \"ACCEPT\", "
	    "\"dport\": \"22\"}]}", "'dport' requires this property");
	bad(phx_check_firewall, "{\"rules\": [{\"type\": \"in\", \"action\": \"ACCEPT\", "
	    "\"proto\": \"icmp\", \"sport\": \"22\"}]}", "does not support ports");
	bad(phx_check_firewall, "{\"rules\": [{\"type\": \"in\", \"action\": \"ACCEPT\", "
	    "\"proto\": \"tcp\", \"dport\": \"90:80\"}]}", "is not a port");
	bad(phx_check_firewall, "{\"rules\": [{\"type\": \"in\", \"action\": \"ACCEPT\", "
	    "\"source\": \"10.0.0.300\"}]}", "source:");
	bad(phx_check_firewall, "{\"rules\": [{\"type\": \"in\", \"action\": \"ACCEPT\", "
	    "\"dest\": \"10.0.0.0/40\"}]}", "dest:");
	bad(phx_check_firewall, "{\"rules\": [{\"type\": \"in\", \"action\": \"ACCEPT\", "
	    "\"iface\": \"eth0\"}]}", "iface");
	bad(phx_check_firewall, "{\"rules\": [{\"type\": \"in\", \"action\": \"ACCEPT\", "
	    "\"proto\": \"256\"}]}", "proto");
	bad(phx_check_firewall, "{\"rules\": [{\"type\": \"in\", \"action\": \"ACCEPT\", "
	    "\"to\": \"x\"}]}", "'to' is not a field");
	bad(phx_check_firewall, "{\"options\": {\"policy_in\": \"allow\"}}", "policy_in");
	bad(phx_check_firewall, "{\"options\": {\"dhcp\": \"yes\"}}", "dhcp must be");
	bad(phx_check_firewall, "{\"options\": {\"log_level_in\": \"loud\"}}", "log level");
	bad(phx_check_firewall, "{\"options\": {\"nosuch\": 1}}", "not a container firewall option");
}
END_TEST

START_TEST(helpers_and_conflicts)
{
	json_object *e = json_tokener_parse("{\"pct_options\": [\"nesting=1\", \"keyctl=1\"], "
					    "\"firewall\": {\"enabled\": true}}");
	char buf[64], err[256];

	ck_assert(phx_pct_features(e, buf, sizeof(buf)));
	ck_assert_str_eq(buf, "nesting=1,keyctl=1");
	ck_assert(phx_firewall_enabled(e));
	json_object_put(e);
	e = json_tokener_parse("{\"pct_options\": [], \"firewall\": {\"enabled\": false}}");
	ck_assert(!phx_pct_features(e, buf, sizeof(buf)));
	ck_assert(!phx_firewall_enabled(e));
	json_object_put(e);

	e = json_tokener_parse("{\"is_template\": true, \"template_snapshot_name\": \"golden\"}");
	ck_assert_int_eq(phx_entry_conflicts(e, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "has snapshots"));
	json_object_put(e);
	e = json_tokener_parse("{\"is_template\": true, \"enable_lifecycle_snapshots\": true}");
	ck_assert_int_eq(phx_entry_conflicts(e, err, sizeof(err)), -EINVAL);
	json_object_put(e);
	e = json_tokener_parse("{\"is_template\": true, \"enable_lifecycle_snapshots\": false}");
	ck_assert_int_eq(phx_entry_conflicts(e, err, sizeof(err)), 0);
	json_object_put(e);
	e = json_tokener_parse("{\"template_snapshot_name\": \"golden\", "
			       "\"enable_lifecycle_snapshots\": true}");
	ck_assert_int_eq(phx_entry_conflicts(e, err, sizeof(err)), 0);
	json_object_put(e);
	ck_assert(phx_snapname_ok("golden"));
	ck_assert(!phx_snapname_ok("1golden"));
	ck_assert(!phx_snapname_ok("g"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lxc_keys");
	TCase *tc = tcase_create("lxc_keys");

	tcase_add_test(tc, features_and_scripts);
	tcase_add_test(tc, deps_and_pct_options);
	tcase_add_test(tc, firewall);
	tcase_add_test(tc, helpers_and_conflicts);
	suite_add_tcase(s, tc);
	return phx_check_run(s);
}
