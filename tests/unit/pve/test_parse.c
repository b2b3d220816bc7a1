/* Parsers of Proxmox VE answers, fed JSON and status lines of the shapes a
 * real server sends (docs/proxmox-api.md). */
#include "backend/pve/pve_parse.h"
#include "tests/unit/check_run.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static json_object *data_of(const char *body)
{
	json_object *d = NULL;
	struct phx_err err;

	ck_assert_int_eq(pve_parse_envelope(body, strlen(body), &d, &err), 0);
	return d;
}

static void reply(long http, const char *reason, const char *body, struct phx_err *err)
{
	memset(err, 0x55, sizeof(*err));
	pve_error_from_reply(http, reason, body, body ? strlen(body) : 0, err);
}

/* --- error envelopes (proxmox-api.md §1, §5) --- */

START_TEST(err_locked_with_message)
{
	struct phx_err e;

	reply(500, "CT is locked (disk)", "{\"data\":null,\"message\":\"CT is locked (disk)\\n\"}", &e);
	ck_assert_int_eq(e.kind, PHX_E_LOCKED);
	ck_assert_int_eq(e.http, 500);
	ck_assert_str_eq(e.msg, "CT is locked (disk)");
}
END_TEST

START_TEST(err_locked_old_server_reason_only)
{
	struct phx_err e;

	/* before libpve-http-server-perl 5.2: no "message" */
	reply(500, "CT is locked (create)", "{\"data\":null}", &e);
	ck_assert_int_eq(e.kind, PHX_E_LOCKED);
	ck_assert_str_eq(e.msg, "CT is locked (create)");
}
END_TEST

START_TEST(err_generic_500_is_transient)
{
	struct phx_err e;

	/* the server failing rather than a handler refusing: retry it */
	reply(500, "Internal Server Error (pvesim fault injection)",
	      "{\"data\":null,\"message\":\"Internal Server Error (pvesim fault injection)\\n\"}", &e);
	ck_assert_int_eq(e.kind, PHX_E_TRANSIENT);
	reply(500, "Internal Server Error", "{\"data\":null,\"message\":\"Internal Server Error\\n\"}", &e);
	ck_assert_int_eq(e.kind, PHX_E_TRANSIENT);
	/* a handler's own words stay a refusal */
	reply(500, "unable to create CT 100 - no such template",
	      "{\"data\":null,\"message\":\"unable to create CT 100 - no such template\\n\"}", &e);
	ck_assert_int_eq(e.kind, PHX_E_REFUSED);
}
END_TEST

START_TEST(err_exists)
{
	struct phx_err e;

	reply(500, "CT 103 already exists on node 'pve'",
	      "{\"data\":null,\"message\":\"CT 103 already exists on node 'pve'\\n\"}", &e);
	ck_assert_int_eq(e.kind, PHX_E_EXISTS);
	ck_assert_str_eq(e.msg, "CT 103 already exists on node 'pve'");
}
END_TEST

START_TEST(err_notfound_config)
{
	struct phx_err e;

	reply(500, "Configuration file 'nodes/pve/lxc/999.conf' does not exist",
	      "{\"data\":null,\"message\":\"Configuration file 'nodes/pve/lxc/999.conf' does not exist\\n\"}",
	      &e);
	ck_assert_int_eq(e.kind, PHX_E_NOTFOUND);
	ck_assert_str_eq(e.msg, "Configuration file 'nodes/pve/lxc/999.conf' does not exist");
}
END_TEST

START_TEST(err_404_without_text)
{
	struct phx_err e;

	reply(404, NULL, "", &e);
	ck_assert_int_eq(e.kind, PHX_E_NOTFOUND);
	ck_assert_str_eq(e.msg, "HTTP 404");
}
END_TEST

START_TEST(err_param_errors_with_message)
{
	struct phx_err e;

	reply(400, "Parameter verification failed.",
	      "{\"data\":null,\"errors\":{\"hostname\":\"invalid format - value does not look like a valid DNS name\\n\","
	      "\"memory\":\"value must have a minimum value of 16\"},"
	      "\"message\":\"Parameter verification failed.\\n\"}", &e);
	ck_assert_int_eq(e.kind, PHX_E_REFUSED);
	ck_assert_int_eq(e.http, 400);
	ck_assert_str_eq(e.msg, "Parameter verification failed. (hostname: invalid format - value does "
		"not look like a valid DNS name; memory: value must have a minimum value of 16)");
}
END_TEST

START_TEST(err_param_errors_old_server)
{
	struct phx_err e;

	reply(400, "Parameter verification failed.",
	      "{\"data\":null,\"errors\":{\"ostemplate\":\"property is missing and it is not optional\"}}", &e);
	ck_assert_int_eq(e.kind, PHX_E_REFUSED);
	ck_assert_str_eq(e.msg, "Parameter verification failed. (ostemplate: property is missing and it is not optional)");
}
END_TEST

START_TEST(err_param_exists_is_refusal)
{
	struct phx_err e;

	/* nextid's taken id is a refusal of the argument, not our guest */
	reply(400, "Parameter verification failed.",
	      "{\"data\":null,\"errors\":{\"vmid\":\"VM 105 already exists\"},"
	      "\"message\":\"Parameter verification failed.\\n\"}", &e);
	ck_assert_int_eq(e.kind, PHX_E_REFUSED);
	ck_assert_str_eq(e.msg, "Parameter verification failed. (vmid: VM 105 already exists)");
}
END_TEST

START_TEST(err_auth_401_empty_body)
{
	struct phx_err e;

	reply(401, "Authentication failed!", "", &e);
	ck_assert_int_eq(e.kind, PHX_E_AUTH);
	ck_assert_str_eq(e.msg, "Authentication failed!");
}
END_TEST

START_TEST(err_auth_403_mentions_does_not_exist)
{
	struct phx_err e;

	reply(403, "Permission check failed (pool 'p1' does not exist)",
	      "{\"data\":null,\"message\":\"Permission check failed (pool 'p1' does not exist)\\n\"}", &e);
	ck_assert_int_eq(e.kind, PHX_E_AUTH);
	ck_assert_str_eq(e.msg, "Permission check failed (pool 'p1' does not exist)");
}
END_TEST

START_TEST(err_embedded_newline)
{
	struct phx_err e;

	reply(403, "Permission check failed (URI '/access/ticket' not available with API token, need proper ticket.",
	      "{\"data\":null,\"message\":\"Permission check failed (URI '/access/ticket' not available with API "
	      "token, need proper ticket.\\n)\\n\"}", &e);
	ck_assert_int_eq(e.kind, PHX_E_AUTH);
	ck_assert_str_eq(e.msg, "Permission check failed (URI '/access/ticket' not available with API "
			 "token, need proper ticket. )");
}
END_TEST

START_TEST(err_flock_timeout_transient)
{
	struct phx_err e;

	reply(500, "can't lock file '/run/lock/lxc/pve-config-100.lock' - got timeout",
	      "{\"data\":null,\"message\":\"can't lock file '/run/lock/lxc/pve-config-100.lock' - got timeout\\n\"}",
	      &e);
	ck_assert_int_eq(e.kind, PHX_E_TRANSIENT);
	ck_assert_str_eq(e.msg, "can't lock file '/run/lock/lxc/pve-config-100.lock' - got timeout");
}
END_TEST

START_TEST(err_500_without_text_transient)
{
	struct phx_err e;

	reply(500, "Internal Server Error", "", &e);
	ck_assert_int_eq(e.kind, PHX_E_TRANSIENT);
	ck_assert_str_eq(e.msg, "Internal Server Error");
	reply(500, NULL, "{\"data\":null}", &e);
	ck_assert_int_eq(e.kind, PHX_E_TRANSIENT);
	ck_assert_str_eq(e.msg, "HTTP 500");
}
END_TEST

START_TEST(err_proxy_codes_transient)
{
	struct phx_err e;

	reply(595, "Connection refused", "", &e);
	ck_assert_int_eq(e.kind, PHX_E_TRANSIENT);
	ck_assert_str_eq(e.msg, "no answer from the node the call is for (pveproxy: 595 Connection refused)");
	/* the node comes from the request's path */
	pve_error_name_node(&e, "https://h:8006/api2/json/nodes/pve3/tasks/UPID%3Apve3%3A1/status");
	ck_assert_str_eq(e.msg, "no answer from node 'pve3' (pveproxy: 595 Connection refused)");
	ck_assert_int_eq(e.kind, PHX_E_TRANSIENT);
	reply(595, "Connection timed out", "", &e);
	pve_error_name_node(&e, "https://h:8006/api2/json/cluster/resources");
	ck_assert_str_eq(e.msg, "no answer from the node the call is for (pveproxy: 595 Connection timed out)");
	reply(500, "CT is locked (disk)", "", &e);
	pve_error_name_node(&e, "https://h:8006/api2/json/nodes/pve3/lxc");
	ck_assert_str_eq(e.msg, "CT is locked (disk)");
	/* a text that would otherwise classify (not found, exists) does not
	 * turn a failed hop into a refusal */
	reply(596, "Configuration file does not exist", "", &e);
	ck_assert_int_eq(e.kind, PHX_E_TRANSIENT);
	reply(596, "tls_process_server_certificate: certificate verify failed", "", &e);
	ck_assert_int_eq(e.kind, PHX_E_TRANSIENT);
	reply(503, "Service Unavailable", "", &e);
	ck_assert_int_eq(e.kind, PHX_E_TRANSIENT);
	reply(502, "Bad Gateway", "", &e);
	ck_assert_int_eq(e.kind, PHX_E_TRANSIENT);
}
END_TEST

START_TEST(err_other_500_refused)
{
	struct phx_err e;

	reply(500, "you can't convert a template to a template",
	      "{\"data\":null,\"message\":\"you can't convert a template to a template\\n\"}", &e);
	ck_assert_int_eq(e.kind, PHX_E_REFUSED);
	ck_assert_str_eq(e.msg, "you can't convert a template to a template");
}
END_TEST

START_TEST(err_501_plain_text_body)
{
	struct phx_err e;

	reply(501, "Unexpected content for method 'DELETE'", "Unexpected content for method 'DELETE'", &e);
	ck_assert_int_eq(e.kind, PHX_E_REFUSED);
	ck_assert_str_eq(e.msg, "Unexpected content for method 'DELETE'");
}
END_TEST

START_TEST(classify_table)
{
	ck_assert_int_eq(pve_classify(500, "VM is locked (backup)", true, false), PHX_E_LOCKED);
	ck_assert_int_eq(pve_classify(500, "snapshot 'x' does not exist", true, false), PHX_E_NOTFOUND);
	ck_assert_int_eq(pve_classify(500, "does not exist", true, true), PHX_E_REFUSED);
	ck_assert_int_eq(pve_classify(403, "CT is locked (disk)", true, false), PHX_E_AUTH);
	ck_assert_int_eq(pve_classify(599, "", false, false), PHX_E_TRANSIENT);
	ck_assert_int_eq(pve_classify(400, "x", true, false), PHX_E_REFUSED);
}
END_TEST

/* --- envelope --- */

START_TEST(envelope_shapes)
{
	json_object *d = (json_object *)1;
	struct phx_err e;
	const char *null_body = "{\"data\":null}";
	const char *trailing = "{\"data\":1} x";

	ck_assert_int_eq(pve_parse_envelope(null_body, strlen(null_body), &d, &e), 0);
	ck_assert_ptr_null(d);
	d = data_of("{\"data\":\"UPID:pve:00000001:00000002:66F1E2D3:vzcreate:100:root@pam:\"}\n");
	ck_assert_str_eq(json_object_get_string(d), "UPID:pve:00000001:00000002:66F1E2D3:vzcreate:100:root@pam:");
	json_object_put(d);

	/* damaged answers are worth another try; a wrong shape is not */
	ck_assert_int_eq(pve_parse_envelope("<html>", 6, &d, &e), -1);
	ck_assert_int_eq(e.kind, PHX_E_TRANSIENT);
	ck_assert_str_eq(e.msg, "protocol error: answer is not valid JSON");
	ck_assert_int_eq(pve_parse_envelope("{\"data\":[1,2", 12, &d, &e), -1);
	ck_assert_int_eq(e.kind, PHX_E_TRANSIENT);
	ck_assert_int_eq(pve_parse_envelope("{\"data\":1,", 11, &d, &e), -1);
	ck_assert_int_eq(e.kind, PHX_E_TRANSIENT);
	ck_assert_int_eq(pve_parse_envelope("{\"x\":1}", 7, &d, &e), -1);
	ck_assert_int_eq(e.kind, PHX_E_PROTOCOL);
	ck_assert_str_eq(e.msg, "answer has no \"data\" member");
	ck_assert_int_eq(pve_parse_envelope(trailing, strlen(trailing), &d, &e), -1);
	ck_assert_str_eq(e.msg, "protocol error: answer is not valid JSON");
	ck_assert_int_eq(pve_parse_envelope("", 0, &d, &e), -1);
	ck_assert_int_eq(e.kind, PHX_E_TRANSIENT);
	ck_assert_str_eq(e.msg, "protocol error: empty answer where JSON was expected");
}
END_TEST

/* --- /cluster/resources (proxmox-api.md §2) --- */

static const char resources[] =
	"{\"data\":["
	"{\"id\":\"lxc/900\",\"type\":\"lxc\",\"vmid\":900,\"node\":\"pve\",\"status\":\"stopped\","
	" \"name\":\"tmpl-base\",\"template\":1,\"maxcpu\":1,\"cpu\":0,\"maxmem\":536870912,\"mem\":0,"
	" \"maxdisk\":8589934592,\"disk\":0,\"netin\":0,\"netout\":0,\"diskread\":0,\"diskwrite\":0,\"uptime\":0},"
	"{\"id\":\"lxc/103\",\"type\":\"lxc\",\"vmid\":103,\"node\":\"pve2\",\"status\":\"unknown\",\"lock\":\"create\"},"
	"{\"id\":\"lxc/104\",\"type\":\"lxc\",\"vmid\":\"104\",\"node\":\"pve\",\"status\":\"running\","
	" \"name\":\"web01\",\"template\":0,\"tags\":\"prod;web\",\"lock\":\"disk\",\"uptime\":77},"
	"{\"id\":\"qemu/200\",\"type\":\"qemu\",\"vmid\":200,\"node\":\"pve\",\"status\":\"running\",\"name\":\"vm\",\"template\":0},"
	"{\"id\":\"node/pve\",\"type\":\"node\",\"node\":\"pve\",\"status\":\"online\"},"
	"{\"id\":\"storage/pve/local\",\"type\":\"storage\",\"node\":\"pve\",\"storage\":\"local\"}"
	"]}";

START_TEST(guests_realistic)
{
	json_object *d = data_of(resources);
	struct phx_guest_list l;
	struct phx_err e;

	ck_assert_int_eq(pve_parse_guests(d, &l, &e), 0);
	json_object_put(d);
	ck_assert_uint_eq(l.n, 4);

	ck_assert_uint_eq(l.v[0].vmid, 900);
	ck_assert_str_eq(l.v[0].node, "pve");
	ck_assert_str_eq(l.v[0].type, "lxc");
	ck_assert_str_eq(l.v[0].status, "stopped");
	ck_assert_str_eq(l.v[0].name, "tmpl-base");
	ck_assert_int_eq(l.v[0].template_, 1);
	ck_assert_str_eq(l.v[0].lock, "");
	ck_assert_uint_eq(l.v[0].maxmem, 536870912);
	ck_assert_uint_eq(l.v[0].maxdisk, 8589934592ULL);
	ck_assert(l.v[0].maxcpu == 1.0);

	/* freshly created: no RRD data yet, so no name or template */
	ck_assert_uint_eq(l.v[1].vmid, 103);
	ck_assert_str_eq(l.v[1].node, "pve2");
	ck_assert_str_eq(l.v[1].status, "unknown");
	ck_assert_str_eq(l.v[1].name, "");
	ck_assert_int_eq(l.v[1].template_, -1);
	ck_assert_str_eq(l.v[1].lock, "create");
	ck_assert_uint_eq(l.v[1].maxmem, 0); /* not reported yet */

	/* vmid as a string (older servers) */
	ck_assert_uint_eq(l.v[2].vmid, 104);
	ck_assert_str_eq(l.v[2].status, "running");
	ck_assert_int_eq(l.v[2].template_, 0);
	ck_assert_str_eq(l.v[2].lock, "disk");

	ck_assert_uint_eq(l.v[3].vmid, 200);
	ck_assert_str_eq(l.v[3].type, "qemu");
	phx_guest_list_free(&l);
	ck_assert_ptr_null(l.v);
	ck_assert_uint_eq(l.n, 0);
}
END_TEST

START_TEST(guests_bad_entries)
{
	struct phx_guest_list l;
	struct phx_err e;
	json_object *d;

	d = data_of("{\"data\":[{\"type\":\"lxc\",\"node\":\"pve\",\"status\":\"running\"}]}");
	ck_assert_int_eq(pve_parse_guests(d, &l, &e), -1);
	ck_assert_int_eq(e.kind, PHX_E_PROTOCOL);
	ck_assert_str_eq(e.msg, "guest entry 0 has no usable vmid or node");
	ck_assert_ptr_null(l.v);
	json_object_put(d);

	d = data_of("{\"data\":[{\"type\":\"lxc\",\"vmid\":\"10x\",\"node\":\"pve\"}]}");
	ck_assert_int_eq(pve_parse_guests(d, &l, &e), -1);
	json_object_put(d);

	d = data_of("{\"data\":{\"type\":\"lxc\"}}");
	ck_assert_int_eq(pve_parse_guests(d, &l, &e), -1);
	ck_assert_str_eq(e.msg, "guest list is not an array");
	json_object_put(d);

	d = data_of("{\"data\":[]}");
	ck_assert_int_eq(pve_parse_guests(d, &l, &e), 0);
	ck_assert_uint_eq(l.n, 0);
	phx_guest_list_free(&l);
	json_object_put(d);
}
END_TEST

/* --- /nodes (proxmox-api.md §2) --- */

START_TEST(nodes_list)
{
	json_object *d = data_of("{\"data\":[{\"node\":\"pve1\",\"status\":\"online\",\"id\":\"node/pve1\","
				 "\"type\":\"node\",\"level\":\"\",\"ssl_fingerprint\":\"AA:BB\"},"
				 "{\"node\":\"pve2\",\"status\":\"offline\",\"id\":\"node/pve2\",\"type\":\"node\"}]}");
	struct phx_err e;
	char **v;
	size_t n;

	ck_assert_int_eq(pve_parse_nodes(d, &v, &n, &e), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(v[0], "pve1");
	ck_assert_str_eq(v[1], "pve2");
	pve_strlist_free(v, n);
	json_object_put(d);

	d = data_of("{\"data\":[{\"node\":\"pve1\"},{\"status\":\"online\"}]}");
	ck_assert_int_eq(pve_parse_nodes(d, &v, &n, &e), -1);
	ck_assert_int_eq(e.kind, PHX_E_PROTOCOL);
	ck_assert_str_eq(e.msg, "node entry 1 has no usable name");
	ck_assert_ptr_null(v);
	json_object_put(d);
}
END_TEST

/* /storage: every entry needs an id; flags come as booleans, numbers or
 * strings; an empty list is a list of none */
START_TEST(storage_list)
{
	json_object *d = data_of("{\"data\":[{\"storage\":\"local\",\"type\":\"dir\","
				 "\"path\":\"/var/lib/vz\",\"content\":\"vztmpl,rootdir\",\"shared\":0},"
				 "{\"storage\":\"nfs\",\"type\":\"nfs\",\"shared\":\"1\","
				 "\"disable\":true,\"nodes\":\"pve1,pve2\"}]}");
	struct phx_storage_list l;
	struct phx_err e;

	ck_assert_int_eq(pve_parse_storage(d, &l, &e), 0);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.v[0].id, "local");
	ck_assert_str_eq(l.v[0].path, "/var/lib/vz");
	ck_assert_str_eq(l.v[0].content, "vztmpl,rootdir");
	ck_assert(!l.v[0].shared && !l.v[0].disabled);
	ck_assert_str_eq(l.v[1].nodes, "pve1,pve2");
	ck_assert(l.v[1].shared && l.v[1].disabled);
	phx_storage_list_free(&l);
	json_object_put(d);

	d = data_of("{\"data\":[]}");
	ck_assert_int_eq(pve_parse_storage(d, &l, &e), 0);
	ck_assert_uint_eq(l.n, 0);
	phx_storage_list_free(&l);
	json_object_put(d);

	d = data_of("{\"data\":[{\"storage\":\"local\"},\"local-lvm\"]}");
	ck_assert_int_eq(pve_parse_storage(d, &l, &e), -1);
	ck_assert_int_eq(e.kind, PHX_E_PROTOCOL);
	ck_assert_str_eq(e.msg, "storage entry 1 has no usable id");
	ck_assert_ptr_null(l.v);
	ck_assert_uint_eq(l.n, 0);
	json_object_put(d);

	d = data_of("{\"data\":{\"storage\":\"local\"}}");
	ck_assert_int_eq(pve_parse_storage(d, &l, &e), -1);
	ck_assert_str_eq(e.msg, "storage list is not an array");
	ck_assert_ptr_null(l.v);
	json_object_put(d);
}
END_TEST

/* --- config (proxmox-api.md §3) --- */

START_TEST(config_object)
{
	json_object *d = data_of("{\"data\":{\"arch\":\"amd64\",\"cores\":2,\"cpulimit\":\"1.5\",\"hostname\":\"web01\","
				 "\"memory\":1024,\"template\":1,\"lock\":\"disk\","
				 "\"digest\":\"0123456789abcdef0123456789abcdef01234567\"}}");
	json_object *cfg, *v;
	struct phx_err e;

	ck_assert_int_eq(pve_parse_config(d, &cfg, &e), 0);
	json_object_put(d);
	ck_assert(json_object_object_get_ex(cfg, "template", &v));
	ck_assert_int_eq(json_object_get_int(v), 1);
	ck_assert(json_object_object_get_ex(cfg, "lock", &v));
	ck_assert_str_eq(json_object_get_string(v), "disk");
	json_object_put(cfg);

	d = data_of("{\"data\":[]}");
	ck_assert_int_eq(pve_parse_config(d, &cfg, &e), -1);
	ck_assert_str_eq(e.msg, "config is not an object");
	json_object_put(d);
	ck_assert_int_eq(pve_parse_config(NULL, &cfg, &e), -1);
}
END_TEST

/* --- UPIDs (proxmox-api.md §4) --- */

START_TEST(upid_node)
{
	char node[PHX_NODE_MAX];

	ck_assert_int_eq(phx_upid_node("UPID:pve1:000A1B2C:0123ABCD:66F1E2D3:vzclone:100:root@pam!ci:", node), 0);
	ck_assert_str_eq(node, "pve1");
	/* 9-digit pstart, empty id */
	ck_assert_int_eq(phx_upid_node("UPID:node-b:000A1B2C:10123ABCD:66F1E2D3:imgdel::root@pam:", node), 0);
	ck_assert_str_eq(node, "node-b");

	ck_assert_int_eq(phx_upid_node("UPID:pve1:000A1B2C:0123ABCD:66F1E2D3:vzclone:100:root@pam", node), -1);
	ck_assert_str_eq(node, "");
	ck_assert_int_eq(phx_upid_node("UPID:pve1:00A1B2C:0123ABCD:66F1E2D3:vzclone:100:root@pam:", node), -1);
	ck_assert_int_eq(phx_upid_node("UPID:pve1:000A1B2C:0123ABC:66F1E2D3:vzclone:100:root@pam:", node), -1);
	ck_assert_int_eq(phx_upid_node("UPID:-pve:000A1B2C:0123ABCD:66F1E2D3:vzclone:100:root@pam:", node), -1);
	ck_assert_int_eq(phx_upid_node("UPID::000A1B2C:0123ABCD:66F1E2D3:vzclone:100:root@pam:", node), -1);
	ck_assert_int_eq(phx_upid_node("UPID:pve1:000A1B2C:0123ABCD:66F1E2D3::100:root@pam:", node), -1);
	ck_assert_int_eq(phx_upid_node("UPID:pve1:000A1B2C:0123ABCD:66F1E2D3:vzclone:100::", node), -1);
	ck_assert_int_eq(phx_upid_node("UPID:pve1:000A1B2C:0123ABCD:66F1E2D3:vzclone:100:root@pam:x", node), -1);
	ck_assert_int_eq(phx_upid_node("upid:pve1:000A1B2C:0123ABCD:66F1E2D3:vzclone:100:root@pam:", node), -1);
	ck_assert_int_eq(phx_upid_node(NULL, node), -1);
	ck_assert_int_eq(phx_upid_node("UPID:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				       ":000A1B2C:0123ABCD:66F1E2D3:vzclone:100:root@pam:", node), -1);
}
END_TEST

START_TEST(upid_answer)
{
	char upid[PHX_UPID_MAX];
	struct phx_err e;
	json_object *d;
	unsigned long t;
	char type[32];

	d = data_of("{\"data\":\"UPID:pve:00001234:0001ABCD:66F1E2D3:vzcreate:103:ci@pve!build:\"}");
	ck_assert_int_eq(pve_parse_upid(d, upid, &e), 0);
	ck_assert_str_eq(upid, "UPID:pve:00001234:0001ABCD:66F1E2D3:vzcreate:103:ci@pve!build:");
	ck_assert_int_eq(pve_upid_fields(upid, &t, type, sizeof(type)), 0);
	ck_assert_uint_eq(t, 0x66F1E2D3);
	ck_assert_str_eq(type, "vzcreate");
	json_object_put(d);

	d = data_of("{\"data\":null}");
	ck_assert_int_eq(pve_parse_upid(d, upid, &e), -1);
	ck_assert_int_eq(e.kind, PHX_E_PROTOCOL);
	ck_assert_str_eq(e.msg, "expected a task id (UPID), got null");
	d = data_of("{\"data\":\"OK\"}");
	ck_assert_int_eq(pve_parse_upid(d, upid, &e), -1);
	ck_assert_str_eq(e.msg, "malformed task id 'OK'");
	json_object_put(d);
}
END_TEST

/* --- task status (proxmox-api.md §4) --- */

START_TEST(task_status_shapes)
{
	struct phx_task_status st;
	struct phx_err e;
	json_object *d;

	d = data_of("{\"data\":{\"upid\":\"UPID:pve:00001234:0001ABCD:66F1E2D3:vzclone:900:ci@pve!build:\","
		    "\"node\":\"pve\",\"pid\":4660,\"pstart\":109517,\"starttime\":1727128275,\"type\":\"vzclone\","
		    "\"id\":\"900\",\"user\":\"ci@pve\",\"tokenid\":\"build\",\"status\":\"running\"}}");
	ck_assert_int_eq(pve_parse_task_status(d, &st, &e), 0);
	ck_assert(st.running);
	ck_assert_str_eq(st.exitstatus, "");
	json_object_put(d);

	d = data_of("{\"data\":{\"status\":\"stopped\",\"exitstatus\":\"OK\",\"type\":\"vzcreate\"}}");
	ck_assert_int_eq(pve_parse_task_status(d, &st, &e), 0);
	ck_assert(!st.running);
	ck_assert_str_eq(st.exitstatus, "OK");
	ck_assert(pve_exitstatus_ok(st.exitstatus));
	json_object_put(d);

	d = data_of("{\"data\":{\"status\":\"stopped\",\"exitstatus\":\"clone failed: clone image "
		    "'pve/base-100-disk-0' error: no space\"}}");
	ck_assert_int_eq(pve_parse_task_status(d, &st, &e), 0);
	ck_assert_str_eq(st.exitstatus, "clone failed: clone image 'pve/base-100-disk-0' error: no space");
	ck_assert(!pve_exitstatus_ok(st.exitstatus));
	json_object_put(d);

	d = data_of("{\"data\":{\"status\":\"stopped\"}}");
	ck_assert_int_eq(pve_parse_task_status(d, &st, &e), -1);
	ck_assert_int_eq(e.kind, PHX_E_PROTOCOL);
	ck_assert_str_eq(e.msg, "stopped task has no \"exitstatus\"");
	json_object_put(d);

	d = data_of("{\"data\":{\"status\":\"paused\"}}");
	ck_assert_int_eq(pve_parse_task_status(d, &st, &e), -1);
	ck_assert_str_eq(e.msg, "unknown task status 'paused'");
	json_object_put(d);
}
END_TEST

START_TEST(exitstatus_ok)
{
	ck_assert(pve_exitstatus_ok("OK"));
	ck_assert(pve_exitstatus_ok("WARNINGS: 3"));
	ck_assert(!pve_exitstatus_ok("WARNINGS: "));
	ck_assert(!pve_exitstatus_ok("WARNINGS: x"));
	ck_assert(!pve_exitstatus_ok("unexpected status"));
	ck_assert(!pve_exitstatus_ok("OK but not"));
	ck_assert(!pve_exitstatus_ok(NULL));
}
END_TEST

/* --- task log (proxmox-api.md §4) --- */

START_TEST(task_log_lines)
{
	json_object *d = data_of("{\"data\":[{\"n\":1,\"t\":\"creating a clone of container 100 with ID 101\"},"
				 "{\"n\":2,\"t\":\"create linked clone of mount point rootfs (local-lvm:base-100-disk-0)\"},"
				 "{\"n\":3,\"t\":\"  Logical volume \\\"vm-101-disk-0\\\" created.\"},"
				 "{\"n\":4,\"t\":\"TASK OK\"}],\"total\":4}");
	struct phx_err e;
	char **v;
	size_t n;

	ck_assert_int_eq(pve_parse_task_log(d, 0, &v, &n, &e), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(v[0], "creating a clone of container 100 with ID 101");
	ck_assert_str_eq(v[2], "  Logical volume \"vm-101-disk-0\" created.");
	ck_assert_str_eq(v[3], "TASK OK");
	pve_strlist_free(v, n);

	/* a server that ignored start=2 does not make us repeat lines */
	ck_assert_int_eq(pve_parse_task_log(d, 2, &v, &n, &e), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(v[0], "  Logical volume \"vm-101-disk-0\" created.");
	pve_strlist_free(v, n);
	json_object_put(d);

	d = data_of("{\"data\":[{\"n\":3,\"t\":\"TASK ERROR: CT is locked (disk)\"}],\"total\":3}");
	ck_assert_int_eq(pve_parse_task_log(d, 2, &v, &n, &e), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(v[0], "TASK ERROR: CT is locked (disk)");
	pve_strlist_free(v, n);
	json_object_put(d);
}
END_TEST

START_TEST(task_log_empty_placeholder)
{
	json_object *d = data_of("{\"data\":[{\"n\":1,\"t\":\"no content\"}],\"total\":1}");
	struct phx_err e;
	char **v;
	size_t n = 99;

	ck_assert_int_eq(pve_parse_task_log(d, 0, &v, &n, &e), 0);
	ck_assert_uint_eq(n, 0);
	pve_strlist_free(v, n);
	json_object_put(d);

	d = data_of("{\"data\":[{\"n\":1}]}");
	ck_assert_int_eq(pve_parse_task_log(d, 0, &v, &n, &e), -1);
	ck_assert_int_eq(e.kind, PHX_E_PROTOCOL);
	ck_assert_str_eq(e.msg, "task log line 0 is not {n,t}");
	json_object_put(d);
}
END_TEST

/* --- task list (proxmox-api.md §4) --- */

START_TEST(node_loads)
{
	/* a real listing's shapes: numbers, an offline node without figures,
	 * a storage that is not available, rows of other types */
	json_object *d = data_of("{\"data\":["
		"{\"id\":\"lxc/100\",\"type\":\"lxc\",\"node\":\"pve1\",\"mem\":5,"
		" \"vmid\":100,\"status\":\"running\"},"
		"{\"id\":\"qemu/101\",\"type\":\"qemu\",\"node\":\"pve2\",\"vmid\":101,"
		" \"status\":\"stopped\"},"
		"{\"id\":\"lxc/102\",\"type\":\"lxc\",\"node\":\"pve2\",\"vmid\":102},"
		"{\"id\":\"lxc/x\",\"type\":\"lxc\",\"node\":\"pve2\"},"
		"{\"id\":\"node/pve1\",\"type\":\"node\",\"node\":\"pve1\",\"status\":\"online\","
		" \"mem\":2147483648,\"maxmem\":34359738368},"
		"{\"id\":\"node/pve2\",\"type\":\"node\",\"node\":\"pve2\",\"status\":\"offline\"},"
		"{\"id\":\"storage/pve1/local-lvm\",\"type\":\"storage\",\"node\":\"pve1\","
		" \"storage\":\"local-lvm\",\"status\":\"available\"},"
		"{\"id\":\"storage/pve1/nfs\",\"type\":\"storage\",\"node\":\"pve1\","
		" \"storage\":\"nfs\",\"status\":\"unknown\"},"
		"{\"id\":\"storage/pve1/local\",\"type\":\"storage\",\"node\":\"pve1\","
		" \"storage\":\"local\",\"status\":\"available\"},"
		"{\"id\":\"storage/pve2/local\",\"type\":\"storage\",\"node\":\"pve2\","
		" \"storage\":\"local\",\"status\":\"unknown\"}]}");
	struct phx_node_load_list l;
	struct phx_err e;

	ck_assert_int_eq(pve_parse_node_loads(d, &l, &e), 0);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.v[0].name, "pve1");
	ck_assert(l.v[0].online);
	ck_assert_uint_eq(l.v[0].mem, 2147483648ULL);
	ck_assert_uint_eq(l.v[0].maxmem, 34359738368ULL);
	ck_assert_str_eq(l.v[0].storages, "local-lvm,local");
	ck_assert_str_eq(l.v[1].name, "pve2");
	ck_assert(!l.v[1].online);
	ck_assert_uint_eq(l.v[1].maxmem, 0);
	ck_assert_str_eq(l.v[1].storages, "");
	/* the guest rows, for placement's holds: a row without a vmid is
	 * left out, one without a status (stats not published yet) is not
	 * running */
	ck_assert_uint_eq(l.nguests, 3);
	ck_assert_uint_eq(l.guests[0].vmid, 100);
	ck_assert_str_eq(l.guests[0].node, "pve1");
	ck_assert(l.guests[0].running);
	ck_assert_uint_eq(l.guests[1].vmid, 101);
	ck_assert(!l.guests[1].running);
	ck_assert_uint_eq(l.guests[2].vmid, 102);
	ck_assert_str_eq(l.guests[2].node, "pve2");
	ck_assert(!l.guests[2].running);
	phx_node_load_list_free(&l);
	json_object_put(d);

	d = data_of("{\"data\":{\"not\":\"a list\"}}");
	ck_assert_int_eq(pve_parse_node_loads(d, &l, &e), -1);
	ck_assert_int_eq(e.kind, PHX_E_PROTOCOL);
	ck_assert_str_eq(e.msg, "resource list is not an array");
	ck_assert_ptr_null(l.v);
	json_object_put(d);

	/* sizes past uint64_t's range saturate, NaN-like and negative ones
	 * are 0: a cast would be undefined (UBSan under the fuzzer) */
	d = data_of("{\"data\":[{\"type\":\"node\",\"node\":\"pve1\","
		"\"status\":\"online\",\"mem\":-5e3,\"maxmem\":1e30},"
		"{\"type\":\"lxc\",\"node\":\"pve1\",\"vmid\":9e99}]}");
	ck_assert_int_eq(pve_parse_node_loads(d, &l, &e), 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_uint_eq(l.v[0].mem, 0);
	ck_assert_uint_eq(l.v[0].maxmem, UINT64_MAX);
	ck_assert_uint_eq(l.nguests, 0); /* a vmid past the range is no vmid */
	phx_node_load_list_free(&l);
	json_object_put(d);
}
END_TEST

START_TEST(newest_task)
{
	json_object *d = data_of("{\"data\":["
		"{\"upid\":\"UPID:pve:00000010:00000100:66F1E2F0:vzstart:103:ci@pve!build:\",\"status\":\"RUNNING\"},"
		"{\"upid\":\"UPID:pve:0000000E:00000100:66F1E2E0:vzcreate:103:ci@pve!build:\",\"status\":\"OK\","
		" \"endtime\":1727128290},"
		"{\"upid\":\"UPID:pve:0000000C:00000100:66F1E2D0:vzcreate:103:ci@pve!build:\",\"status\":"
		" \"unable to create CT 103 - no space\"}],\"total\":3}");
	char upid[PHX_UPID_MAX];
	struct phx_err e;

	ck_assert_int_eq(pve_parse_newest_task(d, "vzcreate", upid, &e), 0);
	ck_assert_str_eq(upid, "UPID:pve:0000000E:00000100:66F1E2E0:vzcreate:103:ci@pve!build:");
	ck_assert_int_eq(pve_parse_newest_task(d, NULL, upid, &e), 0);
	ck_assert_str_eq(upid, "UPID:pve:00000010:00000100:66F1E2F0:vzstart:103:ci@pve!build:");
	ck_assert_int_eq(pve_parse_newest_task(d, "vzclone", upid, &e), 0);
	ck_assert_str_eq(upid, "");
	json_object_put(d);

	d = data_of("{\"data\":[{\"upid\":\"garbage\"}]}");
	ck_assert_int_eq(pve_parse_newest_task(d, NULL, upid, &e), -1);
	ck_assert_int_eq(e.kind, PHX_E_PROTOCOL);
	ck_assert_str_eq(e.msg, "task list entry 0 has no valid upid");
	json_object_put(d);
}
END_TEST

/* --- token file text (proxmox-api.md §6) --- */

static void token_bad(const char *text, const char *want)
{
	char hdr[256];
	struct phx_err e;

	ck_assert_int_eq(pve_token_parse(text, strlen(text), hdr, sizeof(hdr), &e), -1);
	ck_assert_int_eq(e.kind, PHX_E_AUTH);
	ck_assert_str_eq(e.msg, want);
	/* the secret of each sample is "s3cr3t..." */
	ck_assert_ptr_null(strstr(e.msg, "s3cr3t"));
}

START_TEST(token_text)
{
	char hdr[256];
	struct phx_err e;
	const char *ok = "ci@pve!build=3f2a1c9e-8b7d-4e6f-a5b4-c3d2e1f0a9b8\n";

	ck_assert_int_eq(pve_token_parse(ok, strlen(ok), hdr, sizeof(hdr), &e), 0);
	ck_assert_str_eq(hdr, "PVEAPIToken=ci@pve!build=3f2a1c9e-8b7d-4e6f-a5b4-c3d2e1f0a9b8");
	ck_assert_int_eq(pve_token_parse("root@pam!a.b_c-d=x\r\n", 20, hdr, sizeof(hdr), &e), 0);
	ck_assert_str_eq(hdr, "PVEAPIToken=root@pam!a.b_c-d=x");

	token_bad("", "empty");
	token_bad("\n", "empty");
	token_bad("ci@pve!build=s3cr3t\nsecond=line", "has more than one line");
	token_bad("ci@pve!build=s3cr3t\n\n", "has more than one line");
	token_bad("ci@pve!build = s3cr3t", "contains whitespace or control characters");
	token_bad("PVEAPIToken=ci@pve!build=s3cr3t",
		  "starts with 'PVEAPIToken': write only USER@REALM!TOKENID=SECRET");
	token_bad("cipve!build=s3cr3t", "no user before '@'");
	token_bad("@pve!build=s3cr3t", "no user before '@'");
	token_bad("c/i@pve!build=s3cr3t", "malformed user name");
	token_bad("ci@pve=s3cr3t", "no '!' before the token name");
	token_bad("ci@p!build=s3cr3t", "malformed realm");
	token_bad("ci@p+e!build=s3cr3t", "malformed realm");
	token_bad("ci@pve!build", "no '=' before the secret");
	token_bad("ci@pve!b=s3cr3t", "malformed token name");
	token_bad("ci@pve!1build=s3cr3t", "malformed token name");
	token_bad("ci@pve!build=", "empty secret");
	token_bad("ci@pve!build=s3cr3t=x", "the secret may hold only letters, digits and '-._~'");
	token_bad("ci@pve!build=s3cr3t%41", "the secret may hold only letters, digits and '-._~'");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("pve_parse");
	TCase *t = tcase_create("errors");

	tcase_add_test(t, err_locked_with_message);
	tcase_add_test(t, err_locked_old_server_reason_only);
	tcase_add_test(t, err_generic_500_is_transient);
	tcase_add_test(t, err_exists);
	tcase_add_test(t, err_notfound_config);
	tcase_add_test(t, err_404_without_text);
	tcase_add_test(t, err_param_errors_with_message);
	tcase_add_test(t, err_param_errors_old_server);
	tcase_add_test(t, err_param_exists_is_refusal);
	tcase_add_test(t, err_auth_401_empty_body);
	tcase_add_test(t, err_auth_403_mentions_does_not_exist);
	tcase_add_test(t, err_embedded_newline);
	tcase_add_test(t, err_flock_timeout_transient);
	tcase_add_test(t, err_500_without_text_transient);
	tcase_add_test(t, err_proxy_codes_transient);
	tcase_add_test(t, err_other_500_refused);
	tcase_add_test(t, err_501_plain_text_body);
	tcase_add_test(t, classify_table);
	suite_add_tcase(s, t);

	t = tcase_create("answers");
	tcase_add_test(t, envelope_shapes);
	tcase_add_test(t, guests_realistic);
	tcase_add_test(t, guests_bad_entries);
	tcase_add_test(t, nodes_list);
	tcase_add_test(t, config_object);
	tcase_add_test(t, upid_node);
	tcase_add_test(t, upid_answer);
	tcase_add_test(t, task_status_shapes);
	tcase_add_test(t, exitstatus_ok);
	tcase_add_test(t, task_log_lines);
	tcase_add_test(t, task_log_empty_placeholder);
	tcase_add_test(t, newest_task);
	tcase_add_test(t, node_loads);
	tcase_add_test(t, storage_list);
	tcase_add_test(t, token_text);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return phx_check_run(suite());
}
