/* The simulation rules of pvesim, driven without HTTP and with a fake
 * clock, so that every task phase happens exactly when the test says. */
#include "sim.h"
#include "fault.h"
#include "sim_internal.h"
#include "tests/unit/check_run.h"

#include <check.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEB "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"

struct clk {
	uint64_t ms;
	time_t epoch;
};

static struct clk clk;
static struct sim *s;
static struct sim_res r;
static struct sim_call call = { .user = "root@pam!phoenixfs", .taskfail = false };
static const struct sim_call failcall = { .user = "root@pam!phoenixfs", .taskfail = true };

/* The Proxmox VE version simulated: PVESIM_PVE_VERSION (meson runs the
 * suite once per version); rules that differ assert per version. */
static int pve;

static uint64_t fake_mono(void *ctx) { return ((struct clk *)ctx)->ms; }
static time_t fake_epoch(void *ctx) { return ((struct clk *)ctx)->epoch + (time_t)(((struct clk *)ctx)->ms / 1000); }

static struct sim *mk_sim(const char *const *nodes, const char *const *storages,
			  unsigned lag, const char *state_dir)
{
	struct sim_opts o;
	char err[256];
	struct sim *x;

	memset(&o, 0, sizeof(o));
	for (; nodes && *nodes; nodes++)
		ck_assert_int_eq(sim_opts_add_node(&o, *nodes), 0);
	for (; storages && *storages; storages++)
		ck_assert_int_eq(sim_opts_add_storage(&o, *storages), 0);
	o.task_ms = 100;
	o.stats_lag_ms = lag;
	o.lock_timeout_ms = 10000;
	o.state_dir = state_dir;
	o.pve_version = pve;
	x = sim_new(&o, err, sizeof(err));
	ck_assert_ptr_nonnull(x);
	sim_set_clock(x, fake_mono, fake_epoch, &clk);
	sim_set_seed(x, 42);
	return x;
}

static void setup(void)
{
	clk.ms = 1000000;
	clk.epoch = 1700000000;
	s = mk_sim(NULL, NULL, 0, NULL);
	sim_res_init(&r);
	call.user = "root@pam!phoenixfs";
}

static void teardown(void)
{
	sim_res_clear(&r);
	sim_free(s);
}

/* params from "k", "v", ..., NULL */
static json_object *P(const char *k, ...)
{
	json_object *p = json_object_new_object();
	va_list ap;
	va_start(ap, k);
	while (k) {
		const char *v = va_arg(ap, const char *);
		json_object_object_add(p, k, json_object_new_string(v));
		k = va_arg(ap, const char *);
	}
	va_end(ap);
	return p;
}

static void reset(void)
{
	sim_res_clear(&r);
}

/* Advance the fake clock until no task runs. */
static void settle(void)
{
	for (int i = 0; i < 100000 && sim_tasks_running(s); i++) {
		clk.ms += 10;
		sim_tick(s);
	}
	ck_assert_int_eq(sim_tasks_running(s), 0);
}

static char upid[256];

/* Last result must be a 200 carrying a UPID; remember it. */
static const char *take_upid(void)
{
	ck_assert_msg(r.status == 200, "status %d: %s", r.status, r.msg);
	ck_assert_ptr_nonnull(r.data);
	snprintf(upid, sizeof(upid), "%s", json_object_get_string(r.data));
	reset();
	return upid;
}

static char exitbuf[512];

static const char *exitstatus(const char *node, const char *u)
{
	json_object *v;
	reset();
	sim_task_status(s, node, u, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(json_object_object_get_ex(r.data, "status", &v));
	ck_assert_str_eq(json_object_get_string(v), "stopped");
	ck_assert(json_object_object_get_ex(r.data, "exitstatus", &v));
	snprintf(exitbuf, sizeof(exitbuf), "%s", json_object_get_string(v));
	reset();
	return exitbuf;
}

static void create_on(const char *node, const char *vmid, const char *rootfs)
{
	json_object *p = P("vmid", vmid, "ostemplate", DEB, "rootfs", rootfs,
			   "hostname", "ct", "net0", "name=eth0,bridge=vmbr0,ip=dhcp", NULL);
	reset();
	sim_lxc_create(s, node, p, &call, &r);
	json_object_put(p);
	take_upid();
	settle();
	ck_assert_str_eq(exitstatus(node, upid), "OK");
}

static void create(const char *vmid, const char *rootfs)
{
	create_on("pve", vmid, rootfs);
}

static json_object *config(const char *vmid)
{
	reset();
	sim_lxc_config_get(s, "pve", vmid, NULL, &r);
	ck_assert_msg(r.status == 200, "%s", r.msg);
	return r.data;
}

static const char *conf_str(const char *vmid, const char *key)
{
	static char buf[512];
	json_object *v;
	if (!json_object_object_get_ex(config(vmid), key, &v))
		return NULL;
	snprintf(buf, sizeof(buf), "%s", json_object_get_string(v));
	return buf;
}

static void expect_err(int status, const char *msg)
{
	ck_assert_msg(r.status == status, "status %d want %d (%s)", r.status, status, r.msg);
	ck_assert_str_eq(r.msg, msg);
	reset();
}

/* nothing was made: the config does not exist */
static void expect_absent(const char *vmid)
{
	char want[128];
	reset();
	sim_lxc_config_get(s, "pve", vmid, NULL, &r);
	snprintf(want, sizeof(want), "Configuration file 'nodes/pve/lxc/%s.conf' does not exist\n", vmid);
	expect_err(500, want);
}

static void expect_param_err(const char *param, const char *msg)
{
	json_object *v;
	ck_assert_msg(r.status == 400, "status %d (%s)", r.status, r.msg);
	ck_assert_str_eq(r.msg, "Parameter verification failed.\n");
	ck_assert_msg(json_object_object_get_ex(r.errors, param, &v), "no error for %s: %s",
		      param, json_object_to_json_string(r.errors));
	ck_assert_str_eq(json_object_get_string(v), msg);
	reset();
}

static void template_of(const char *vmid)
{
	reset();
	sim_lxc_template(s, "pve", vmid, NULL, &call, &r);
	ck_assert_msg(r.status == 200 && r.data == NULL, "%d %s", r.status, r.msg);
	reset();
	settle();
}

static void clone_req(const char *vmid, json_object *p, const struct sim_call *c)
{
	reset();
	sim_lxc_clone(s, "pve", vmid, p, c, &r);
	json_object_put(p);
}

/* ---- create ---- */

START_TEST(create_locks_then_writes_config)
{
	json_object *p = P("vmid", "100", "ostemplate", DEB, "rootfs", "local-lvm:8", NULL);
	sim_lxc_create(s, "pve", p, &call, &r);
	json_object_put(p);
	take_upid();
	ck_assert(strncmp(upid, "UPID:pve:", 9) == 0);
	ck_assert(strstr(upid, ":vzcreate:100:root@pam!phoenixfs:") != NULL);
	/* synchronously only the lock is in the config */
	ck_assert_str_eq(conf_str("100", "lock"), "create");
	ck_assert_ptr_null(conf_str("100", "hostname"));
	settle();
	ck_assert_str_eq(exitstatus("pve", upid), "OK");
	ck_assert_ptr_null(conf_str("100", "lock"));
	ck_assert_str_eq(conf_str("100", "hostname"), "CT100");
	ck_assert_str_eq(conf_str("100", "memory"), "512");
	ck_assert_str_eq(conf_str("100", "rootfs"), "local-lvm:vm-100-disk-0,size=8G");
	/* the default differs by version: unprivileged_default_follows_version */
	if (pve == 9)
		ck_assert_str_eq(conf_str("100", "unprivileged"), "1");
}
END_TEST

START_TEST(create_duplicate_vmid_is_sync_500)
{
	json_object *p;
	create("100", "local-lvm:8");
	p = P("vmid", "100", "ostemplate", DEB, "rootfs", "local-lvm:8", NULL);
	sim_lxc_create(s, "pve", p, &call, &r);
	json_object_put(p);
	expect_err(500, "CT 100 already exists on node 'pve'\n");
}
END_TEST

START_TEST(create_missing_template_fails_task_and_deletes_config)
{
	json_object *p = P("vmid", "101", "ostemplate", "local:vztmpl/nope.tar.zst",
			   "rootfs", "local-lvm:8", NULL);
	sim_lxc_create(s, "pve", p, &call, &r);
	json_object_put(p);
	take_upid();
	settle();
	ck_assert_str_eq(exitstatus("pve", upid),
			 "unable to create CT 101 - volume 'local:vztmpl/nope.tar.zst' does not exist");
	sim_lxc_config_get(s, "pve", "101", NULL, &r);
	expect_err(500, "Configuration file 'nodes/pve/lxc/101.conf' does not exist\n");
	/* its volume was freed */
	sim_storage_content(s, "pve", "local-lvm", NULL, &r);
	ck_assert_int_eq(json_object_array_length(r.data), 0);
}
END_TEST

/* create_vm's check_and_activate_storage runs before the worker forks */
START_TEST(create_missing_storage_is_sync)
{
	json_object *p = P("vmid", "101", "ostemplate", DEB, "rootfs", "nosuch:8", NULL);
	sim_lxc_create(s, "pve", p, &call, &r);
	json_object_put(p);
	expect_err(500, "storage 'nosuch' does not exist\n");
	expect_absent("101");
}
END_TEST

/* check_volume_access before the fork: storage, content type, paths */
START_TEST(create_ostemplate_checks_are_sync)
{
	static const char *const cases[][2] = {
		{ "nosuch:vztmpl/x.tar.zst", "storage 'nosuch' does not exist\n" },
		{ "local:iso/x.iso", "unable to use volume local:iso/x.iso - content type needs to be 'vztmpl'\n" },
		{ "local:bogus", "unable to parse directory volume name 'bogus'\n" },
		{ "local-lvm:vztmpl/x.tar.zst", "unable to parse lvm volume name 'vztmpl/x.tar.zst'\n" },
		{ "/var/lib/vz/template/cache/x.tar.zst", "Only root can pass arbitrary filesystem paths.\n" },
	};
	char long_name[300];
	json_object *p;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p = P("vmid", "101", "ostemplate", cases[i][0], "rootfs", "local-lvm:8", NULL);
		sim_lxc_create(s, "pve", p, &call, &r);
		json_object_put(p);
		expect_err(500, cases[i][1]);
		expect_absent("101");
	}
	/* API2/LXC.pm: ostemplate maxLength 255 */
	memset(long_name, 'a', sizeof(long_name));
	memcpy(long_name, "local:vztmpl/", 13);
	long_name[256] = 0;
	p = P("vmid", "101", "ostemplate", long_name, "rootfs", "local-lvm:8", NULL);
	sim_lxc_create(s, "pve", p, &call, &r);
	json_object_put(p);
	expect_param_err("ostemplate", "value may only be 255 characters long");
}
END_TEST

START_TEST(create_default_storage_local_has_no_rootdir)
{
	json_object *p = P("vmid", "101", "ostemplate", DEB, NULL);
	sim_lxc_create(s, "pve", p, &call, &r);
	json_object_put(p);
	expect_param_err("storage", "storage 'local' does not support container directories");
}
END_TEST

START_TEST(create_parameter_errors)
{
	json_object *p = P("vmid", "abc", "memory", "8", "hostname", "bad_name",
			   "onboot", "true", "foo", "1", NULL);
	sim_lxc_create(s, "pve", p, &call, &r);
	json_object_put(p);
	ck_assert_int_eq(r.status, 400);
	{
		json_object *e = json_object_get(r.errors);
		struct { const char *k, *v; } want[] = {
			{ "vmid", "type check ('integer') failed - got 'abc'" },
			{ "memory", "value must have a minimum value of 16" },
			{ "hostname", "invalid format - value does not look like a valid DNS name\n" },
			{ "onboot", "type check ('boolean') failed - got 'true'" },
			{ "foo", "property is not defined in schema and the schema does not allow additional properties" },
			{ "ostemplate", "property is missing and it is not optional" },
		};
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			json_object *v;
			ck_assert_msg(json_object_object_get_ex(e, want[i].k, &v), "%s", want[i].k);
			ck_assert_str_eq(json_object_get_string(v), want[i].v);
		}
		json_object_put(e);
	}
	reset();
	p = P("vmid", "99", "ostemplate", DEB, NULL);
	sim_lxc_create(s, "pve", p, &call, &r);
	json_object_put(p);
	expect_param_err("vmid", "value must have a minimum value of 100");
}
END_TEST

/* LXC.pm check_ct_modify_config_perm: a privileged CT's flags first, then
 * flags other than nesting. Without `unprivileged` the CT is privileged
 * on PVE 8 and unprivileged on PVE 9. */
START_TEST(create_feature_flags_need_root_pam)
{
	json_object *p = P("vmid", "100", "ostemplate", DEB, "rootfs", "local-lvm:8",
			   "features", "nesting=1,keyctl=1", NULL);
	sim_lxc_create(s, "pve", p, &call, &r);
	json_object_put(p);
	if (pve == 8)
		expect_err(403, "Permission check failed (changing feature flags for privileged container is only allowed for root@pam)\n");
	else
		expect_err(403, "Permission check failed (changing feature flags (except nesting) is only allowed for root@pam)\n");
	p = P("vmid", "100", "ostemplate", DEB, "rootfs", "local-lvm:8",
	      "features", "nesting=1,keyctl=1", "unprivileged", "1", NULL);
	sim_lxc_create(s, "pve", p, &call, &r);
	json_object_put(p);
	expect_err(403, "Permission check failed (changing feature flags (except nesting) is only allowed for root@pam)\n");
	p = P("vmid", "100", "ostemplate", DEB, "rootfs", "local-lvm:8",
	      "features", "nesting=1", NULL);
	sim_lxc_create(s, "pve", p, &call, &r);
	json_object_put(p);
	if (pve == 8) {
		expect_err(403, "Permission check failed (changing feature flags for privileged container is only allowed for root@pam)\n");
		p = P("vmid", "100", "ostemplate", DEB, "rootfs", "local-lvm:8",
		      "features", "nesting=1", "unprivileged", "1", NULL);
		sim_lxc_create(s, "pve", p, &call, &r);
		json_object_put(p);
	}
	take_upid();
	settle();
	ck_assert_str_eq(conf_str("100", "features"), "nesting=1");
}
END_TEST

/* issue 14 item 1: stable-bookworm Config.pm default 0; master create_vm
 * defaults to 1; written only when 1 */
START_TEST(unprivileged_default_follows_version)
{
	json_object *p = P("vmid", "100", "ostemplate", DEB, "rootfs", "local-lvm:8", NULL);
	sim_lxc_create(s, "pve", p, &call, &r);
	json_object_put(p);
	take_upid();
	settle();
	if (pve == 8)
		ck_assert_ptr_null(conf_str("100", "unprivileged"));
	else
		ck_assert_str_eq(conf_str("100", "unprivileged"), "1");
	p = P("vmid", "101", "ostemplate", DEB, "rootfs", "local-lvm:8", "unprivileged", "0", NULL);
	sim_lxc_create(s, "pve", p, &call, &r);
	json_object_put(p);
	take_upid();
	settle();
	ck_assert_ptr_null(conf_str("101", "unprivileged"));
}
END_TEST

/* PVE 9 keys unknown to PVE 8: create's ha-managed, entrypoint, env,
 * and net host-managed */
START_TEST(pve9_only_keys)
{
	const char *msg = "property is not defined in schema and the schema does not allow additional properties";
	json_object *p;
	create("100", "local-lvm:8");
	p = P("entrypoint", "/sbin/init", NULL);
	sim_lxc_config_put(s, "pve", "100", p, &call, &r);
	json_object_put(p);
	if (pve == 8) {
		expect_param_err("entrypoint", msg);
	} else {
		ck_assert_int_eq(r.status, 200);
		reset();
		ck_assert_str_eq(conf_str("100", "entrypoint"), "/sbin/init");
	}
	p = P("net1", "name=eth1,bridge=vmbr0,host-managed=1", NULL);
	sim_lxc_config_put(s, "pve", "100", p, &call, &r);
	json_object_put(p);
	if (pve == 8) {
		expect_param_err("net1", "invalid format - format error\nhost-managed: property is not defined in schema and the schema does not allow additional properties\n");
	} else {
		ck_assert_int_eq(r.status, 200);
		reset();
	}
	p = P("vmid", "101", "ostemplate", DEB, "rootfs", "local-lvm:8", "ha-managed", "0", NULL);
	sim_lxc_create(s, "pve", p, &call, &r);
	json_object_put(p);
	if (pve == 8)
		expect_param_err("ha-managed", msg);
	else
		take_upid();
}
END_TEST

START_TEST(create_net_gets_mac_and_type)
{
	const char *net;
	create("100", "local-lvm:8");
	net = conf_str("100", "net0");
	ck_assert_msg(strncmp(net, "name=eth0,bridge=vmbr0,hwaddr=BC:24:11:", 39) == 0, "%s", net);
	ck_assert(strstr(net, ",ip=dhcp,type=veth") != NULL);
}
END_TEST

/* ---- locks and config ---- */

START_TEST(locked_ct_refuses_config_put)
{
	json_object *p = P("vmid", "100", "ostemplate", DEB, "rootfs", "local-lvm:8", NULL);
	sim_lxc_create(s, "pve", p, &call, &r);
	json_object_put(p);
	take_upid();
	p = P("memory", "1024", NULL);
	sim_lxc_config_put(s, "pve", "100", p, &call, &r);
	json_object_put(p);
	expect_err(500, "CT is locked (create)\n");
}
END_TEST

START_TEST(config_put_rules)
{
	json_object *p;
	create("100", "local-lvm:8");
	p = P("memory", "1024", "tags", "Web,prod;web", NULL);
	sim_lxc_config_put(s, "pve", "100", p, &call, &r);
	json_object_put(p);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(conf_str("100", "memory"), "1024");
	ck_assert_str_eq(conf_str("100", "tags"), "prod;web");

	p = P("digest", "0000000000000000000000000000000000000000", "memory", "2048", NULL);
	reset();
	sim_lxc_config_put(s, "pve", "100", p, &call, &r);
	json_object_put(p);
	expect_err(500, "detected modified configuration - file changed by other user? Try again.\n");

	p = P("delete", "memory", NULL);
	sim_lxc_config_put(s, "pve", "100", p, &call, &r);
	json_object_put(p);
	expect_err(500, "unable to delete required option 'memory'\n");

	p = P("delete", "bogus", NULL);
	sim_lxc_config_put(s, "pve", "100", p, &call, &r);
	json_object_put(p);
	expect_param_err("delete", "unknown option 'bogus'");

	p = P("unprivileged", "0", NULL);
	sim_lxc_config_put(s, "pve", "100", p, &call, &r);
	json_object_put(p);
	expect_err(500, "unable to modify read-only option: 'unprivileged'\n");

	p = P("digest", "x", NULL);
	json_object_object_del(p, "digest");
	sim_lxc_config_put(s, "pve", "100", p, &call, &r);
	json_object_put(p);
	expect_err(500, "no options specified\n");
}
END_TEST

START_TEST(missing_ct_text)
{
	sim_lxc_status_current(s, "pve", "999", &r);
	expect_err(500, "Configuration file 'nodes/pve/lxc/999.conf' does not exist\n");
	sim_lxc_config_get(s, "nosuchnode", "999", NULL, &r);
	expect_err(500, "hostname lookup 'nosuchnode' failed - failed to get address info for: nosuchnode: Name or service not known\n");
}
END_TEST

/* ---- start/stop ---- */

START_TEST(start_stop_and_their_refusals)
{
	create("100", "local-lvm:8");
	sim_lxc_status_op(s, "pve", "100", "stop", NULL, &call, &r);
	expect_err(500, "CT 100 not running\n");
	sim_lxc_status_op(s, "pve", "100", "reboot", NULL, &call, &r);
	expect_err(500, "VM 100 not running\n");
	sim_lxc_status_op(s, "pve", "100", "start", NULL, &call, &r);
	take_upid();
	ck_assert(strstr(upid, ":vzstart:100:") != NULL);
	settle();
	ck_assert_str_eq(exitstatus("pve", upid), "OK");
	sim_lxc_status_op(s, "pve", "100", "start", NULL, &call, &r);
	expect_err(500, "CT 100 already running\n");
	{
		json_object *p = P("skiplock", "1", NULL);
		sim_lxc_status_op(s, "pve", "100", "stop", p, &call, &r);
		json_object_put(p);
		expect_param_err("skiplock", "Only root may use this option.");
	}
	sim_lxc_status_op(s, "pve", "100", "shutdown", NULL, &call, &r);
	take_upid();
	settle();
	ck_assert_str_eq(exitstatus("pve", upid), "OK");
	sim_lxc_status_current(s, "pve", "100", &r);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(r.data, "status")), "stopped");
}
END_TEST

START_TEST(template_never_starts)
{
	create("100", "local-lvm:8");
	template_of("100");
	sim_lxc_status_op(s, "pve", "100", "start", NULL, &call, &r);
	take_upid();
	settle();
	ck_assert_str_eq(exitstatus("pve", upid), "you can't start a CT if it's a template");
}
END_TEST

/* ---- template ---- */

START_TEST(template_conversion_renames_volumes)
{
	create("100", "local-lvm:8");
	create("101", "local-zfs:4");
	template_of("100");
	template_of("101");
	ck_assert_str_eq(conf_str("100", "template"), "1");
	ck_assert_str_eq(conf_str("100", "rootfs"), "local-lvm:base-100-disk-0,size=8G");
	ck_assert_str_eq(conf_str("101", "rootfs"), "local-zfs:basevol-101-disk-0,size=4G");
	/* the hidden task is in the task list */
	{
		json_object *p = P("typefilter", "vztemplate", "vmid", "100", NULL);
		sim_task_list(s, "pve", p, &r);
		json_object_put(p);
		ck_assert_int_eq(json_object_array_length(r.data), 1);
		reset();
	}
}
END_TEST

START_TEST(template_refusals_in_order)
{
	json_object *p;
	create("100", "local-lvm:8");
	/* running */
	sim_lxc_status_op(s, "pve", "100", "start", NULL, &call, &r);
	take_upid();
	settle();
	sim_lxc_template(s, "pve", "100", NULL, &call, &r);
	expect_err(500, "you can't convert a CT to template if the CT is running\n");
	/* snapshots come before running */
	p = P("snapname", "snap1", NULL);
	sim_snapshot_create(s, "pve", "100", p, &call, &r);
	json_object_put(p);
	take_upid();
	/* while the snapshot task holds lock `snapshot` */
	sim_lxc_template(s, "pve", "100", NULL, &call, &r);
	expect_err(500, "CT is locked (snapshot)\n");
	settle();
	ck_assert_str_eq(exitstatus("pve", upid), "OK");
	sim_lxc_template(s, "pve", "100", NULL, &call, &r);
	expect_err(500, "unable to create template, because CT contains snapshots\n");
	/* already a template */
	create("101", "local-lvm:8");
	template_of("101");
	sim_lxc_template(s, "pve", "101", NULL, &call, &r);
	expect_err(500, "you can't convert a template to a template\n");
}
END_TEST

/* ---- clone ---- */

START_TEST(linked_clone_of_template)
{
	const char *net0, *net1;
	create("100", "local-lvm:8");
	template_of("100");
	clone_req("100", P("newid", "101", "hostname", "web1", NULL), &call);
	take_upid();
	ck_assert(strstr(upid, ":vzclone:100:") != NULL);
	/* source disk lock, target create lock, both synchronous */
	ck_assert_str_eq(conf_str("100", "lock"), "disk");
	ck_assert_str_eq(conf_str("101", "lock"), "create");
	/* a second clone of the same source meets the disk lock */
	clone_req("100", P("newid", "102", NULL), &call);
	expect_err(500, "CT is locked (disk)\n");
	settle();
	ck_assert_str_eq(exitstatus("pve", upid), "OK");
	ck_assert_ptr_null(conf_str("100", "lock"));
	ck_assert_ptr_null(conf_str("101", "lock"));
	ck_assert_ptr_null(conf_str("101", "template"));
	ck_assert_str_eq(conf_str("101", "hostname"), "web1");
	ck_assert_str_eq(conf_str("101", "rootfs"), "local-lvm:vm-101-disk-0,size=8G");
	net0 = strdup(conf_str("100", "net0"));
	net1 = conf_str("101", "net0");
	ck_assert_str_ne(net0, net1);
	ck_assert(strstr(net1, "hwaddr=BC:24:11:") != NULL);
	free((void *)net0);
	/* clone log */
	{
		json_object *p = P("limit", "0", NULL);
		sim_task_log(s, "pve", upid, p, &r);
		json_object_put(p);
		ck_assert_str_eq(json_object_get_string(json_object_object_get(
			json_object_array_get_idx(r.data, 0), "t")),
			"creating a clone of container 100 with ID 101");
		ck_assert_str_eq(json_object_get_string(json_object_object_get(
			json_object_array_get_idx(r.data, 1), "t")),
			"create linked clone of mount point rootfs (local-lvm:base-100-disk-0)");
		ck_assert_int_eq(r.total, 4);
		reset();
	}
}
END_TEST

START_TEST(clone_refusals)
{
	json_object *p;
	create("100", "local-lvm:8");
	clone_req("100", P("newid", "101", "full", "0", NULL), &call);
	expect_err(500, "Linked clone feature for 'local-lvm:vm-100-disk-0' is not available\n");
	clone_req("100", P("newid", "101", "snapname", "nope", NULL), &call);
	expect_err(500, "snapshot 'nope' does not exist\n");
	clone_req("100", P("newid", "100", NULL), &call);
	expect_err(500, "CT 100 already exists on node 'pve'\n");
	clone_req("100", P("newid", "101", "target", "elsewhere", NULL), &call);
	expect_err(500, "no such cluster node 'elsewhere'\n");
	template_of("100");
	clone_req("100", P("newid", "101", "storage", "local-zfs", NULL), &call);
	expect_err(500, "parameter 'storage' not allowed for linked clones\n");
	/* full clone to another storage is fine */
	clone_req("100", P("newid", "101", "storage", "local-zfs", "full", "1", NULL), &call);
	take_upid();
	settle();
	ck_assert_str_eq(conf_str("101", "rootfs"), "local-zfs:subvol-101-disk-0,size=8G");
	/* full clone of a running CT needs a snapshot */
	sim_lxc_status_op(s, "pve", "101", "start", NULL, &call, &r);
	take_upid();
	settle();
	clone_req("101", P("newid", "102", NULL), &call);
	/* API2/LXC.pm clone_vm: the text PVE 9 changed */
	expect_err(500, pve == 8 ? "Cannot do full clones on a running container without snapshots\n" :
		   "Full clone of a running container is only possible from a snapshot\n");
	p = P("snapname", "s1", NULL);
	sim_snapshot_create(s, "pve", "101", p, &call, &r);
	json_object_put(p);
	take_upid();
	settle();
	clone_req("101", P("newid", "102", "snapname", "s1", NULL), &call);
	take_upid();
	settle();
	ck_assert_str_eq(exitstatus("pve", upid), "OK");
	ck_assert_ptr_null(conf_str("102", "parent"));
}
END_TEST

START_TEST(clone_from_dir_template_cannot_be_linked)
{
	sim_free(s);
	{
		const char *st[] = { "local:dir", "data:dir", "local-lvm:lvmthin", NULL };
		s = mk_sim(NULL, st, 0, NULL);
	}
	create("100", "data:8");
	ck_assert_str_eq(conf_str("100", "rootfs"), "data:100/vm-100-disk-0.raw,size=8G");
	template_of("100");
	ck_assert_str_eq(conf_str("100", "rootfs"), "data:100/base-100-disk-0.raw,size=8G");
	clone_req("100", P("newid", "101", NULL), &call);
	expect_err(500, "Linked clone feature for 'data:100/base-100-disk-0.raw' is not available\n");
}
END_TEST

START_TEST(clone_task_failure_cleans_up)
{
	create("100", "local-lvm:8");
	template_of("100");
	clone_req("100", P("newid", "101", NULL), &failcall);
	take_upid();
	settle();
	ck_assert_str_eq(exitstatus("pve", upid),
			 "clone failed: simulated failure (pvesim fault injection)");
	ck_assert_ptr_null(conf_str("100", "lock"));
	sim_lxc_config_get(s, "pve", "101", NULL, &r);
	expect_err(500, "Configuration file 'nodes/pve/lxc/101.conf' does not exist\n");
}
END_TEST

/* ---- destroy ---- */

START_TEST(destroy_template_with_linked_clones_zfs_vs_lvmthin)
{
	create("100", "local-zfs:4");
	template_of("100");
	clone_req("100", P("newid", "101", NULL), &call);
	take_upid();
	settle();
	ck_assert_str_eq(conf_str("101", "rootfs"),
			 "local-zfs:basevol-100-disk-0/subvol-101-disk-0,size=4G");
	sim_lxc_destroy(s, "pve", "100", NULL, &call, &r);
	take_upid();
	settle();
	ck_assert_str_eq(exitstatus("pve", upid),
			 "base volume 'basevol-100-disk-0' is still in use by linked clones");
	ck_assert_str_eq(conf_str("100", "template"), "1");

	create("200", "local-lvm:8");
	template_of("200");
	clone_req("200", P("newid", "201", NULL), &call);
	take_upid();
	settle();
	sim_lxc_destroy(s, "pve", "200", NULL, &call, &r);
	take_upid();
	settle();
	ck_assert_str_eq(exitstatus("pve", upid), "OK");
	sim_lxc_config_get(s, "pve", "200", NULL, &r);
	expect_err(500, "Configuration file 'nodes/pve/lxc/200.conf' does not exist\n");
	ck_assert_str_eq(conf_str("201", "rootfs"), "local-lvm:vm-201-disk-0,size=8G");
}
END_TEST

START_TEST(destroy_refusals)
{
	json_object *p;
	create("100", "local-lvm:8");
	sim_lxc_status_op(s, "pve", "100", "start", NULL, &call, &r);
	take_upid();
	settle();
	sim_lxc_destroy(s, "pve", "100", NULL, &call, &r);
	expect_err(500, "unable to destroy CT 100 - container is running\n");
	p = P("protection", "1", NULL);
	sim_lxc_config_put(s, "pve", "100", p, &call, &r);
	json_object_put(p);
	reset();
	sim_lxc_destroy(s, "pve", "100", NULL, &call, &r);
	expect_err(500, "can't remove CT 100 - protection mode enabled\n");
}
END_TEST

/* ---- flock contention ---- */

START_TEST(flock_held_by_conversion)
{
	json_object *p;
	create("100", "local-lvm:8");
	sim_lxc_template(s, "pve", "100", NULL, &call, &r);
	ck_assert_int_eq(r.status, 200);
	reset();
	/* the conversion worker holds the config flock while it runs */
	p = P("memory", "1024", NULL);
	sim_lxc_config_put(s, "pve", "100", p, &call, &r);
	json_object_put(p);
	ck_assert_int_eq(r.status, SIM_BUSY);
	ck_assert_str_eq(r.msg, "can't lock file '/run/lock/lxc/pve-config-100.lock' - got timeout\n");
	reset();
	clone_req("100", P("newid", "101", NULL), &call);
	ck_assert_int_eq(r.status, SIM_BUSY);
	reset();
	settle();
	clone_req("100", P("newid", "101", NULL), &call);
	take_upid();
}
END_TEST

START_TEST(task_waiting_for_flock_times_out)
{
	struct sim_opts o;
	char err[128];
	sim_free(s);
	memset(&o, 0, sizeof(o));
	o.task_ms = 20000;      /* conversion longer than the flock timeout */
	o.lock_timeout_ms = 10000;
	s = sim_new(&o, err, sizeof(err));
	sim_set_clock(s, fake_mono, fake_epoch, &clk);
	create("100", "local-lvm:8");
	sim_lxc_template(s, "pve", "100", NULL, &call, &r);
	reset();
	{
		/* the start task queues behind the conversion's flock */
		json_object *p = NULL;
		sim_lxc_status_op(s, "pve", "100", "start", p, &call, &r);
		take_upid();
	}
	settle();
	ck_assert_str_eq(exitstatus("pve", upid),
			 "can't lock file '/run/lock/lxc/pve-config-100.lock' - got timeout");
}
END_TEST

/* ---- cluster ---- */

START_TEST(vmids_unique_across_cluster)
{
	const char *nodes[] = { "pve1", "pve2", NULL };
	const char *st[] = { "local:dir", "local-lvm:lvmthin", "shared:nfs", NULL };
	json_object *p;
	sim_free(s);
	s = mk_sim(nodes, st, 0, NULL);
	create_on("pve1", "100", "local-lvm:8");
	p = P("vmid", "100", "ostemplate", DEB, "rootfs", "local-lvm:8", NULL);
	sim_lxc_create(s, "pve2", p, &call, &r);
	json_object_put(p);
	expect_err(500, "CT 100 already exists on node 'pve1'\n");
	sim_lxc_config_get(s, "pve2", "100", NULL, &r);
	expect_err(500, "Configuration file 'nodes/pve2/lxc/100.conf' does not exist\n");
	/* target node needs shared storage */
	reset();
	sim_lxc_clone(s, "pve1", "100", p = P("newid", "101", "target", "pve2", NULL), &call, &r);
	json_object_put(p);
	expect_err(500, "can't clone CT to node 'pve2' (CT uses local storage)\n");
	sim_lxc_clone(s, "pve1", "100", p = P("newid", "101", "target", "pve2",
					      "storage", "local-lvm", NULL), &call, &r);
	json_object_put(p);
	expect_err(500, "can't clone to non-shared storage 'local-lvm'\n");
	create_on("pve1", "200", "shared:4");
	sim_lxc_clone(s, "pve1", "200", p = P("newid", "201", "target", "pve2", NULL), &call, &r);
	json_object_put(p);
	take_upid();
	settle();
	ck_assert_str_eq(exitstatus("pve1", upid), "OK");
	sim_lxc_config_get(s, "pve2", "201", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	reset();
	sim_lxc_list(s, "pve2", &r);
	ck_assert_int_eq(json_object_array_length(r.data), 1);
}
END_TEST

/* ---- migration (API2/LXC.pm migrate_vm, LXC/Migrate.pm) ---- */

static void three_nodes(void)
{
	const char *nodes[] = { "pve1", "pve2", "pve3", NULL };
	const char *st[] = { "local:dir", "local-lvm:lvmthin", "local-zfs:zfspool",
			     "shared:nfs", NULL };
	sim_free(s);
	s = mk_sim(nodes, st, 0, NULL);
}

static void migrate_req(const char *node, const char *vmid, json_object *p)
{
	reset();
	sim_lxc_migrate(s, node, vmid, p, &call, &r);
	json_object_put(p);
}

static void op_on(const char *node, const char *vmid, const char *op)
{
	reset();
	sim_lxc_status_op(s, node, vmid, op, NULL, &call, &r);
	take_upid();
	settle();
	ck_assert_str_eq(exitstatus(node, upid), "OK");
}

/* does the log of task u on node have a line containing text? */
static bool log_has(const char *node, const char *u, const char *text)
{
	json_object *p = P("limit", "0", NULL);
	bool found = false;
	reset();
	sim_task_log(s, node, u, p, &r);
	json_object_put(p);
	ck_assert_int_eq(r.status, 200);
	for (size_t i = 0; i < json_object_array_length(r.data); i++) {
		const char *t = json_object_get_string(json_object_object_get(
			json_object_array_get_idx(r.data, i), "t"));
		if (strstr(t, text))
			found = true;
	}
	reset();
	return found;
}

static const char *conf_on(const char *node, const char *vmid, const char *key)
{
	static char buf[512];
	json_object *v;
	reset();
	sim_lxc_config_get(s, node, vmid, NULL, &r);
	ck_assert_msg(r.status == 200, "%s", r.msg);
	if (!json_object_object_get_ex(r.data, key, &v)) {
		reset();
		return NULL;
	}
	snprintf(buf, sizeof(buf), "%s", json_object_get_string(v));
	reset();
	return buf;
}

static const char *status_on(const char *node, const char *vmid)
{
	static char buf[32];
	reset();
	sim_lxc_status_current(s, node, vmid, &r);
	ck_assert_msg(r.status == 200, "%s", r.msg);
	snprintf(buf, sizeof(buf), "%s",
		 json_object_get_string(json_object_object_get(r.data, "status")));
	reset();
	return buf;
}

/* is volume vol listed in the content of storage sid on node? */
static bool has_volume(const char *node, const char *sid, const char *volid)
{
	bool found = false;
	reset();
	sim_storage_content(s, node, sid, NULL, &r);
	ck_assert_msg(r.status == 200, "%s", r.msg);
	for (size_t i = 0; i < json_object_array_length(r.data); i++)
		if (!strcmp(json_object_get_string(json_object_object_get(
			json_object_array_get_idx(r.data, i), "volid")), volid))
			found = true;
	reset();
	return found;
}

START_TEST(migrate_refusals_before_the_worker)
{
	three_nodes();
	create_on("pve1", "100", "local-lvm:8");
	migrate_req("pve1", "100", json_object_new_object());
	ck_assert_int_eq(r.status, 400);
	ck_assert(json_object_object_get_ex(r.errors, "target", NULL));
	reset();
	migrate_req("pve1", "100", P("target", "pve1", NULL));
	expect_param_err("target", "target is local node.");
	migrate_req("pve1", "100", P("target", "pve9", NULL));
	expect_err(500, "no such cluster node 'pve9'\n");
	migrate_req("pve1", "999", P("target", "pve2", NULL));
	expect_err(500, "Configuration file 'nodes/pve1/lxc/999.conf' does not exist\n");
	/* the CT lives on pve1: through pve2's URL it does not exist */
	migrate_req("pve2", "100", P("target", "pve3", NULL));
	expect_err(500, "Configuration file 'nodes/pve2/lxc/100.conf' does not exist\n");
	migrate_req("pve1", "100", P("target", "pve2", "target-storage", "nostore", NULL));
	expect_err(500, "storage 'nostore' does not exist\n");
	migrate_req("pve1", "100", P("target", "pve2", "target-storage", "local", NULL));
	expect_err(500, "storage 'local' does not support CT rootdirs\n");
	op_on("pve1", "100", "start");
	migrate_req("pve1", "100", P("target", "pve2", NULL));
	expect_err(500, "can't migrate running container without --online or --restart\n");
	/* nothing moved */
	ck_assert_str_eq(status_on("pve1", "100"), "running");
	ck_assert_ptr_null(conf_on("pve1", "100", "lock"));
}
END_TEST

START_TEST(migrate_running_ct_in_restart_mode)
{
	three_nodes();
	create_on("pve1", "100", "local-lvm:8");
	op_on("pve1", "100", "start");
	migrate_req("pve1", "100", P("target", "pve2", "restart", "1", NULL));
	take_upid();
	ck_assert(strncmp(upid, "UPID:pve1:", 10) == 0);
	ck_assert(strstr(upid, ":vzmigrate:100:") != NULL);
	/* the worker holds the config flock; once it runs, lock: migrate */
	clk.ms += 10;
	sim_tick(s);
	ck_assert_str_eq(conf_on("pve1", "100", "lock"), "migrate");
	ck_assert_str_eq(status_on("pve1", "100"), "stopped");
	settle();
	ck_assert_str_eq(exitstatus("pve1", upid), "OK");
	/* the config is pve2's now, unlocked, and the CT runs there */
	reset();
	sim_lxc_config_get(s, "pve1", "100", NULL, &r);
	expect_err(500, "Configuration file 'nodes/pve1/lxc/100.conf' does not exist\n");
	ck_assert_ptr_null(conf_on("pve2", "100", "lock"));
	ck_assert_str_eq(conf_on("pve2", "100", "rootfs"), "local-lvm:vm-100-disk-0,size=8G");
	ck_assert_str_eq(status_on("pve2", "100"), "running");
	/* the volume moved with it */
	ck_assert(!has_volume("pve1", "local-lvm", "local-lvm:vm-100-disk-0"));
	ck_assert(has_volume("pve2", "local-lvm", "local-lvm:vm-100-disk-0"));
	ck_assert(log_has("pve1", upid, " shutdown CT 100"));
	ck_assert(log_has("pve1", upid, "starting migration of CT 100 to node 'pve2'"));
	ck_assert(log_has("pve1", upid, "found local volume 'local-lvm:vm-100-disk-0' (in current VM config)"));
	ck_assert(log_has("pve1", upid, "start container on target node"));
	ck_assert(log_has("pve1", upid, "migration finished successfully (duration 00:00:"));
}
END_TEST

START_TEST(migrate_stopped_ct_shared_and_mapped)
{
	three_nodes();
	create_on("pve1", "100", "shared:4");
	create_on("pve1", "101", "local-lvm:8");
	migrate_req("pve1", "100", P("target", "pve3", NULL));
	take_upid();
	settle();
	ck_assert_str_eq(exitstatus("pve1", upid), "OK");
	ck_assert(log_has("pve1", upid, "volume 'shared:100/vm-100-disk-0.raw' is on shared storage 'shared'"));
	ck_assert_str_eq(conf_on("pve3", "100", "rootfs"), "shared:100/vm-100-disk-0.raw,size=4G");
	ck_assert_str_eq(status_on("pve3", "100"), "stopped");
	/* target-storage maps local-lvm to local-zfs on the target */
	migrate_req("pve1", "101", P("target", "pve2", "target-storage", "local-lvm:local-zfs", NULL));
	take_upid();
	settle();
	ck_assert_str_eq(exitstatus("pve1", upid), "OK");
	ck_assert_str_eq(conf_on("pve2", "101", "rootfs"), "local-zfs:subvol-101-disk-0,size=8G");
	ck_assert(has_volume("pve2", "local-zfs", "local-zfs:subvol-101-disk-0"));
	ck_assert(!has_volume("pve1", "local-lvm", "local-lvm:vm-101-disk-0"));
}
END_TEST

START_TEST(migrate_refusals_in_the_worker)
{
	json_object *p;
	three_nodes();
	create_on("pve1", "100", "local-lvm:8");
	reset();
	sim_lxc_template(s, "pve1", "100", NULL, &call, &r);
	reset();
	settle();
	sim_lxc_clone(s, "pve1", "100", p = P("newid", "101", NULL), &call, &r);
	json_object_put(p);
	take_upid();
	settle();
	/* a linked clone on local storage cannot leave its base */
	migrate_req("pve1", "101", P("target", "pve2", NULL));
	take_upid();
	settle();
	ck_assert_str_eq(exitstatus("pve1", upid), "migration aborted");
	ck_assert(log_has("pve1", upid, "can't migrate local volume 'local-lvm:vm-101-disk-0': clone of 'base-100-disk-0'"));
	ck_assert(log_has("pve1", upid, " ERROR: migration aborted (duration 00:00:00): can't migrate CT - check log"));
	ck_assert_ptr_null(conf_on("pve1", "101", "lock"));
	ck_assert(has_volume("pve1", "local-lvm", "local-lvm:vm-101-disk-0"));
	/* an offline target fails the ssh test; a running CT keeps running */
	create_on("pve1", "102", "local-lvm:8");
	op_on("pve1", "102", "start");
	ck_assert_int_eq(sim_set_node_offline(s, "pve3", true), 0);
	migrate_req("pve1", "102", P("target", "pve3", "restart", "1", NULL));
	take_upid();
	settle();
	ck_assert_str_eq(exitstatus("pve1", upid), "migration aborted");
	ck_assert(log_has("pve1", upid, "migration aborted (duration 00:00:00): Can't connect to destination address using public key"));
	ck_assert_str_eq(status_on("pve1", "102"), "running");
	ck_assert_ptr_null(conf_on("pve1", "102", "lock"));
}
END_TEST

START_TEST(storage_nodes_and_node_memory)
{
	json_object *p;
	long long mem1 = -1, max2 = -1;
	bool lvm_on_pve3 = false, lvm_on_pve1 = false;
	three_nodes();
	/* storage.cfg `nodes`: local-lvm only on pve1 and pve2 */
	ck_assert_int_eq(sim_set_storage_nodes(s, "local-lvm:pve1,pve2"), 0);
	ck_assert_int_ne(sim_set_storage_nodes(s, "nostore:pve1"), 0);
	ck_assert_int_ne(sim_set_storage_nodes(s, "local-lvm:pve7"), 0);
	ck_assert_int_eq(sim_set_node_memory(s, "pve2:64"), 0);
	ck_assert_int_ne(sim_set_node_memory(s, "pve7:64"), 0);
	ck_assert_int_ne(sim_set_node_memory(s, "pve2:0"), 0);
	/* create_vm check_and_activate_storage -> storage_check_node */
	p = P("vmid", "100", "ostemplate", DEB, "rootfs", "local-lvm:8", NULL);
	sim_lxc_create(s, "pve3", p, &call, &r);
	json_object_put(p);
	expect_err(500, "storage 'local-lvm' is not available on node 'pve3'\n");
	create_on("pve1", "100", "local-lvm:8");
	op_on("pve1", "100", "start");
	/* /cluster/resources: a node's storages and memory */
	reset();
	sim_cluster_resources(s, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	for (size_t i = 0; i < json_object_array_length(r.data); i++) {
		json_object *o = json_object_array_get_idx(r.data, i);
		const char *type = json_object_get_string(json_object_object_get(o, "type"));
		const char *node = json_object_get_string(json_object_object_get(o, "node"));
		if (!strcmp(type, "storage") && !strcmp(json_object_get_string(
				json_object_object_get(o, "storage")), "local-lvm")) {
			lvm_on_pve3 |= !strcmp(node, "pve3");
			lvm_on_pve1 |= !strcmp(node, "pve1");
		}
		if (!strcmp(type, "node") && !strcmp(node, "pve1"))
			mem1 = json_object_get_int64(json_object_object_get(o, "mem"));
		if (!strcmp(type, "node") && !strcmp(node, "pve2"))
			max2 = json_object_get_int64(json_object_object_get(o, "maxmem"));
	}
	reset();
	ck_assert(lvm_on_pve1);
	ck_assert(!lvm_on_pve3);
	/* the host's 1 GiB and the running CT's 512 MiB */
	ck_assert_int_eq(mem1, (1LL << 30) + (512LL << 20));
	ck_assert_int_eq(max2, 64LL << 30);
	/* /nodes/{n}/storage leaves it out, GET /storage shows `nodes` */
	reset();
	sim_storage_config_get(s, "local-lvm", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(r.data, "nodes")), "pve1,pve2");
	reset();
	sim_storage_list(s, "pve3", NULL, &r);
	for (size_t i = 0; i < json_object_array_length(r.data); i++)
		ck_assert_str_ne(json_object_get_string(json_object_object_get(
			json_object_array_get_idx(r.data, i), "storage")), "local-lvm");
	reset();
	/* migrate: sync for target-storage, in the task for the volume's own */
	migrate_req("pve1", "100", P("target", "pve3", "restart", "1", "target-storage", "local-lvm", NULL));
	expect_err(500, "storage 'local-lvm' is not available on node 'pve3'\n");
	migrate_req("pve1", "100", P("target", "pve3", "restart", "1", NULL));
	take_upid();
	settle();
	ck_assert_str_eq(exitstatus("pve1", upid), "migration aborted");
	ck_assert(log_has("pve1", upid, "migration aborted (duration 00:00:00): storage 'local-lvm' is not available on node 'pve3'"));
	ck_assert_str_eq(status_on("pve1", "100"), "running");
}
END_TEST

START_TEST(nextid_is_a_string)
{
	json_object *p;
	create("100", "local-lvm:8");
	sim_nextid(s, NULL, &r);
	ck_assert(json_object_is_type(r.data, json_type_string));
	ck_assert_str_eq(json_object_get_string(r.data), "101");
	reset();
	sim_nextid(s, p = P("vmid", "100", NULL), &r);
	json_object_put(p);
	expect_param_err("vmid", "VM 100 already exists");
}
END_TEST

/* ---- /cluster/resources lag ---- */

static json_object *resource(const char *id)
{
	json_object *p = P("type", "vm", NULL);
	reset();
	sim_cluster_resources(s, p, &r);
	json_object_put(p);
	for (size_t i = 0; i < json_object_array_length(r.data); i++) {
		json_object *o = json_object_array_get_idx(r.data, i);
		if (!strcmp(json_object_get_string(json_object_object_get(o, "id")), id))
			return o;
	}
	return NULL;
}

START_TEST(resources_lag_but_lock_is_live)
{
	json_object *o, *p;
	sim_free(s);
	s = mk_sim(NULL, NULL, 10000, NULL);
	sim_tick(s); /* pvestatd's first publication */
	p = P("vmid", "100", "ostemplate", DEB, "rootfs", "local-lvm:8", NULL);
	sim_lxc_create(s, "pve", p, &call, &r);
	json_object_put(p);
	take_upid();
	o = resource("lxc/100");
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "status")), "unknown");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "lock")), "create");
	ck_assert(!json_object_object_get_ex(o, "name", NULL));
	settle();
	/* the lock is gone at once, the stats are not there yet */
	o = resource("lxc/100");
	ck_assert(!json_object_object_get_ex(o, "lock", NULL));
	ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "status")), "unknown");
	clk.ms += 10000;
	sim_tick(s);
	o = resource("lxc/100");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "status")), "stopped");
	ck_assert_int_eq(json_object_get_int(json_object_object_get(o, "template")), 0);
	reset();
	template_of("100");
	o = resource("lxc/100");
	ck_assert_int_eq(json_object_get_int(json_object_object_get(o, "template")), 0);
	clk.ms += 10000;
	sim_tick(s);
	o = resource("lxc/100");
	ck_assert_int_eq(json_object_get_int(json_object_object_get(o, "template")), 1);
}
END_TEST

/* a node's mem in /cluster/resources (-1: no such row) */
static long long listed_node_mem(const char *node)
{
	long long mem = -1;

	reset();
	sim_cluster_resources(s, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	for (size_t i = 0; i < json_object_array_length(r.data); i++) {
		json_object *o = json_object_array_get_idx(r.data, i);
		if (!strcmp(json_object_get_string(json_object_object_get(o, "type")), "node") &&
		    !strcmp(json_object_get_string(json_object_object_get(o, "node")), node))
			mem = json_object_get_int64(json_object_object_get(o, "mem"));
	}
	reset();
	return mem;
}

START_TEST(node_mem_lags_with_the_guests_status)
{
	json_object *o;
	sim_free(s);
	s = mk_sim(NULL, NULL, 10000, NULL);
	sim_tick(s); /* pvestatd's first publication */
	create("100", "local-lvm:8");
	op_on("pve", "100", "start");
	/* extract_node_stats reads the node's rrd: until pvestatd's next
	 * cycle neither the node's mem nor the guest's status shows the
	 * start */
	ck_assert_int_eq(listed_node_mem("pve"), 1LL << 30);
	o = resource("lxc/100");
	ck_assert_str_ne(json_object_get_string(json_object_object_get(o, "status")), "running");
	clk.ms += 10000;
	sim_tick(s);
	ck_assert_int_eq(listed_node_mem("pve"), (1LL << 30) + (512LL << 20));
	o = resource("lxc/100");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "status")), "running");
}
END_TEST

/* ---- snapshots ---- */

START_TEST(snapshot_rules)
{
	json_object *p;
	create("100", "local-lvm:8");
	sim_snapshot_create(s, "pve", "100", p = P("snapname", "current", NULL), &call, &r);
	json_object_put(p);
	expect_err(500, "unable to use snapshot name 'current' (reserved name)\n");
	sim_snapshot_create(s, "pve", "100", p = P("snapname", "s1", NULL), &call, &r);
	json_object_put(p);
	take_upid();
	settle();
	sim_snapshot_create(s, "pve", "100", p = P("snapname", "s1", NULL), &call, &r);
	json_object_put(p);
	take_upid();
	settle();
	ck_assert_str_eq(exitstatus("pve", upid), "snapshot name 's1' already used");
	ck_assert_str_eq(conf_str("100", "parent"), "s1");
	sim_snapshot_delete(s, "pve", "100", "nope", NULL, &call, &r);
	take_upid();
	settle();
	ck_assert_str_eq(exitstatus("pve", upid), "snapshot 'nope' does not exist");
	sim_snapshot_delete(s, "pve", "100", "s1", NULL, &call, &r);
	take_upid();
	settle();
	ck_assert_str_eq(exitstatus("pve", upid), "OK");
	ck_assert_ptr_null(conf_str("100", "parent"));
	/* dir volumes cannot be snapshotted; templates neither */
	sim_free(s);
	{
		const char *st[] = { "local:dir", "data:dir", NULL };
		s = mk_sim(NULL, st, 0, NULL);
	}
	create("100", "data:8");
	sim_snapshot_create(s, "pve", "100", p = P("snapname", "s1", NULL), &call, &r);
	json_object_put(p);
	take_upid();
	settle();
	ck_assert_str_eq(exitstatus("pve", upid), "snapshot feature is not available");
	template_of("100");
	sim_snapshot_create(s, "pve", "100", p = P("snapname", "s1", NULL), &call, &r);
	json_object_put(p);
	take_upid();
	settle();
	ck_assert_str_eq(exitstatus("pve", upid), "you can't take a snapshot if it's a template");
}
END_TEST

/* ---- tasks ---- */

START_TEST(task_endpoints)
{
	json_object *p;
	create("100", "local-lvm:8");
	sim_task_status(s, "pve", "garbage", &r);
	expect_param_err("upid", "unable to parse worker upid");
	sim_task_status(s, "pve", "UPID:pve:00000001:00000001:00000001:vzstart:1:root@pam:", &r);
	expect_param_err("upid", "no such task");
	/* the node in the URL must be the task's */
	sim_lxc_status_op(s, "pve", "100", "start", NULL, &call, &r);
	take_upid();
	sim_task_status(s, "pve", upid, &r);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(r.data, "status")), "running");
	ck_assert(!json_object_object_get_ex(r.data, "exitstatus", NULL));
	ck_assert_str_eq(json_object_get_string(json_object_object_get(r.data, "user")), "root@pam");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(r.data, "tokenid")), "phoenixfs");
	reset();
	settle();
	sim_task_log(s, "pve", upid, p = P("start", "0", NULL), &r);
	json_object_put(p);
	ck_assert_int_eq(r.total, 1);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
		json_object_array_get_idx(r.data, 0), "t")), "TASK OK");
	ck_assert_int_eq(json_object_get_int(json_object_object_get(
		json_object_array_get_idx(r.data, 0), "n")), 1);
}
END_TEST

/* ---- persistence and restart ---- */

START_TEST(restart_fails_running_tasks_keeps_locks)
{
	char dir[] = "/var/tmp/pvesim-unit-XXXXXX";
	char err[256], path[512];
	json_object *p;
	ck_assert_ptr_nonnull(mkdtemp(dir));
	sim_free(s);
	s = mk_sim(NULL, NULL, 0, dir);
	create("100", "local-lvm:8");
	sim_lxc_status_op(s, "pve", "100", "start", NULL, &call, &r);
	take_upid();
	settle();
	create("900", "local-lvm:8");
	template_of("900");
	sim_lxc_clone(s, "pve", "900", p = P("newid", "901", NULL), &call, &r);
	json_object_put(p);
	take_upid();
	ck_assert_int_eq(sim_save(s, err, sizeof(err)), 0);
	sim_free(s);
	/* the node died mid-clone; it comes back */
	s = mk_sim(NULL, NULL, 0, dir);
	ck_assert_int_eq(sim_load(s, err, sizeof(err)), 0);
	ck_assert_str_eq(exitstatus("pve", upid), "unexpected status");
	ck_assert_str_eq(conf_str("900", "lock"), "disk");
	ck_assert_str_eq(conf_str("901", "lock"), "create");
	sim_lxc_status_current(s, "pve", "100", &r);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(r.data, "status")), "stopped");
	reset();
	clone_req("900", P("newid", "902", NULL), &call);
	expect_err(500, "CT is locked (disk)\n");
	/* pct unlock */
	ck_assert_int_eq(sim_unlock(s, 900), 0);
	clone_req("900", P("newid", "902", NULL), &call);
	take_upid();
	settle();
	ck_assert_str_eq(exitstatus("pve", upid), "OK");
	snprintf(path, sizeof(path), "%s/state.json", dir);
	ck_assert_int_eq(sim_save(s, err, sizeof(err)), 0);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* ---- faults ---- */

START_TEST(fault_spec)
{
	struct faults f, g;
	char err[256];
	int same = 1, hits = 0;
	ck_assert_int_eq(faults_parse(&f, "http500=0.2,slow=0.1:3000,taskfail=1", err, sizeof(err)), 0);
	ck_assert_uint_eq(f.slow_ms, 3000);
	ck_assert(f.rate[F_TASKFAIL] == 1.0);
	ck_assert_int_ne(faults_parse(&f, "boom=0.1", err, sizeof(err)), 0);
	ck_assert_str_eq(err, "unknown fault kind 'boom' (http500, drop, slow, taskfail, lock, "
			 "proxy596, badjson, truncate, ctype)");
	ck_assert_int_ne(faults_parse(&f, "http500=2", err, sizeof(err)), 0);
	ck_assert_str_eq(err, "http500: rate '2' is not a number in 0..1");
	ck_assert_int_ne(faults_parse(&f, "slow=0.5", err, sizeof(err)), 0);
	ck_assert_str_eq(err, "slow: needs RATE:MS");
	ck_assert_int_ne(faults_parse(&f, "drop=0.5:9", err, sizeof(err)), 0);
	ck_assert_str_eq(err, "drop takes no argument");
	/* same seed, same draws */
	faults_parse(&f, "http500=0.5", err, sizeof(err));
	faults_parse(&g, "http500=0.5", err, sizeof(err));
	faults_seed(&f, 7);
	faults_seed(&g, 7);
	for (int i = 0; i < 200; i++) {
		struct fault_draw a = faults_draw(&f), b = faults_draw(&g);
		same &= a.http500 == b.http500;
		hits += a.http500;
	}
	ck_assert(same);
	ck_assert(hits > 50 && hits < 150);
	/* the damaged-answer kinds do not shift the first five's draws:
	 * they are drawn only when asked for */
	faults_parse(&f, "http500=0.5", err, sizeof(err));
	faults_parse(&g, "http500=0.5,badjson=0,truncate=0", err, sizeof(err));
	faults_seed(&f, 7);
	faults_seed(&g, 7);
	for (int i = 0; i < 50; i++)
		ck_assert_int_eq(faults_draw(&f).http500, faults_draw(&g).http500);
	ck_assert_int_eq(faults_parse(&f, "badjson=1,truncate=0.5,ctype=0.25,proxy596=1",
				      err, sizeof(err)), 0);
	faults_seed(&f, 3);
	hits = 0;
	for (int i = 0; i < 100; i++) {
		struct fault_draw d = faults_draw(&f);
		ck_assert(d.badjson && d.proxy596 && !d.http500);
		hits += d.truncate;
	}
	ck_assert(hits > 25 && hits < 75);
}
END_TEST

/* ---- this round: formats, repeated keys, new endpoints ---- */

static void put_ok(const char *vmid, json_object *p)
{
	reset();
	sim_lxc_config_put(s, "pve", vmid, p, &call, &r);
	json_object_put(p);
	ck_assert_msg(r.status == 200, "%d %s %s", r.status, r.msg,
		      r.errors ? json_object_to_json_string(r.errors) : "");
	reset();
}

static void put_err(const char *vmid, json_object *p, const char *param, const char *msg)
{
	char before[41], after[41];
	json_object *v;
	ck_assert(json_object_object_get_ex(config(vmid), "digest", &v));
	snprintf(before, sizeof(before), "%s", json_object_get_string(v));
	reset();
	sim_lxc_config_put(s, "pve", vmid, p, &call, &r);
	json_object_put(p);
	expect_param_err(param, msg);
	/* nothing was written */
	ck_assert(json_object_object_get_ex(config(vmid), "digest", &v));
	snprintf(after, sizeof(after), "%s", json_object_get_string(v));
	ck_assert_str_eq(before, after);
	reset();
}

/* LXC/Config.pm: nameserver lxc-ip-with-ll-iface-list, searchdomain
 * dns-name-list, features $features_desc (JSONSchema.pm texts) */
START_TEST(dns_and_feature_formats)
{
	create("100", "local-lvm:8");
	put_ok("100", P("nameserver", "1.1.1.1 2606:4700::1111,fe80::1%eth0", "searchdomain",
			"example.com;lan", NULL));
	ck_assert_str_eq(conf_str("100", "nameserver"), "1.1.1.1 2606:4700::1111,fe80::1%eth0");
	ck_assert_str_eq(conf_str("100", "searchdomain"), "example.com;lan");
	put_err("100", P("nameserver", "1.1.1", NULL), "nameserver",
		"invalid format - value does not look like a valid IP address\n");
	put_err("100", P("nameserver", "8.8.8.8 dns.google", NULL), "nameserver",
		"invalid format - value does not look like a valid IP address\n");
	put_err("100", P("searchdomain", "ex_ample.com", NULL), "searchdomain",
		"invalid format - value does not look like a valid DNS name\n");
	put_err("100", P("features", "nesting=2,bogus=1", NULL), "features",
		"invalid format - invalid key in comma-separated list property: bogus\n");
	put_err("100", P("features", "nesting=maybe", NULL), "features",
		"invalid format - format error\nnesting: type check ('boolean') failed - got 'maybe'\n");
	put_err("100", P("features", "nesting", NULL), "features",
		"invalid format - value without key, but schema does not define a default key\n");
	put_err("100", P("features", "fuse=1,fuse=0", NULL), "features",
		"invalid format - duplicate key in comma-separated list property: fuse\n");
	put_err("100", P("features", "mount=nfs|cifs", NULL), "features",
		"invalid format - format error\nmount: value does not match the regex pattern\n");
	/* every flag of the format is known (root@pam may set them) */
	{
		struct sim_call rootcall = { .user = "root@pam", .taskfail = false };
		json_object *p = P("features", "nesting=1,keyctl=yes,fuse=on,mknod=0,force_rw_sys=1,mount=nfs;cifs", NULL);
		reset();
		sim_lxc_config_put(s, "pve", "100", p, &rootcall, &r);
		json_object_put(p);
		ck_assert_msg(r.status == 200, "%s", r.msg);
		reset();
	}
}
END_TEST

/* pve-http-server decode_urlencoded makes a repeated key an array;
 * RESTHandler joins it with ',' for -list formats, JSONSchema refuses it
 * elsewhere */
START_TEST(repeated_keys)
{
	json_object *p, *a;
	create("100", "local-lvm:8");
	p = json_object_new_object();
	a = json_object_new_array();
	json_object_array_add(a, json_object_new_string("Alpha"));
	json_object_array_add(a, json_object_new_string("beta"));
	json_object_object_add(p, "tags", a);
	put_ok("100", p);
	ck_assert_str_eq(conf_str("100", "tags"), "alpha;beta");
	p = json_object_new_object();
	a = json_object_new_array();
	json_object_array_add(a, json_object_new_string("h1"));
	json_object_array_add(a, json_object_new_string("h2"));
	json_object_object_add(p, "hostname", a);
	put_err("100", p, "hostname", "type check ('string') failed - got ARRAY");
	p = json_object_new_object();
	a = json_object_new_array();
	json_object_array_add(a, json_object_new_string("1"));
	json_object_array_add(a, json_object_new_string("2"));
	json_object_object_add(p, "cores", a);
	put_err("100", p, "cores", "type check ('integer') failed - got ARRAY");
}
END_TEST

static void resize(const char *vmid, const char *disk, const char *size)
{
	json_object *p = P("disk", disk, "size", size, NULL);
	reset();
	sim_lxc_resize(s, "pve", vmid, p, &call, &r);
	json_object_put(p);
}

/* API2/LXC.pm resize_vm: grow only, checked before and inside the task */
START_TEST(resize_grows_only)
{
	create("100", "local-lvm:8");
	resize("100", "rootfs", "+2G");
	take_upid();
	settle();
	ck_assert_str_eq(exitstatus("pve", upid), "OK");
	ck_assert_str_eq(conf_str("100", "rootfs"), "local-lvm:vm-100-disk-0,size=10G");
	resize("100", "rootfs", "12288M");
	take_upid();
	settle();
	ck_assert_str_eq(conf_str("100", "rootfs"), "local-lvm:vm-100-disk-0,size=12G");
	resize("100", "rootfs", "4G");
	expect_err(500, "unable to shrink disk size\n");
	resize("100", "rootfs", "12G");
	expect_err(500, "disk is already at specified size\n");
	resize("100", "mp0", "4G");
	expect_err(500, "format error\nvolume: property is missing and it is not optional\n");
	resize("100", "rootfs", "-1G");
	expect_param_err("size", "value does not match the regex pattern");
	resize("100", "swap", "1G");
	expect_param_err("disk", "value 'swap' does not have a value in the enumeration 'rootfs, mp0, ..., mp255'");
	ck_assert_str_eq(conf_str("100", "rootfs"), "local-lvm:vm-100-disk-0,size=12G");
	/* the volume registry grew too */
	reset();
	sim_storage_content(s, "pve", "local-lvm", NULL, &r);
	ck_assert_int_eq(json_object_get_int64(json_object_object_get(
		json_object_array_get_idx(r.data, 0), "size")), 12LL << 30);
	reset();
}
END_TEST

/* JSONSchema.pm parse_size in C: digits the size pattern lets through may
 * not fit a long long; they saturate instead of an undefined conversion
 * (UBSan), and growing by them cannot wrap to a shrink */
START_TEST(sizes_saturate)
{
	ck_assert_int_eq(sim_parse_size("2G"), 2LL << 30);
	ck_assert_int_eq(sim_parse_size("1.5K"), 1536);
	ck_assert_int_eq(sim_parse_size("512"), 512);
	ck_assert_int_eq(sim_parse_size("99999999999999999999999T"), LLONG_MAX);
	ck_assert_int_eq(sim_size_bytes("size=99999999999999999999999G"), LLONG_MAX);
	ck_assert_int_eq(sim_size_bytes("backup=1"), 4LL << 30);
	create("100", "local-lvm:8");
	resize("100", "rootfs", "+99999999999999999999999T");
	ck_assert_msg(r.status == 200 || r.status >= 400, "an answer, not a crash");
	reset();
}
END_TEST

/* Snapshot.pm: snapshot_cmd_idx, get/update_snapshot_config */
START_TEST(snapshot_name_and_config)
{
	json_object *p;
	create("100", "local-lvm:8");
	sim_snapshot_create(s, "pve", "100", p = P("snapname", "s1", "description", "one", NULL), &call, &r);
	json_object_put(p);
	take_upid();
	settle();
	sim_snapshot_index(s, "pve", "100", "s1", NULL, &r);
	ck_assert_str_eq(json_object_to_json_string(r.data), "[ { \"cmd\": \"rollback\" }, { \"cmd\": \"config\" } ]");
	reset();
	sim_snapshot_config_get(s, "pve", "100", "s1", NULL, &r);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(r.data, "description")), "one");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(r.data, "hostname")), "ct");
	reset();
	sim_snapshot_config_put(s, "pve", "100", "s1", p = P("description", "two", NULL), &r);
	json_object_put(p);
	ck_assert_int_eq(r.status, 200);
	reset();
	sim_snapshot_config_get(s, "pve", "100", "s1", NULL, &r);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(r.data, "description")), "two");
	reset();
	sim_snapshot_config_get(s, "pve", "100", "nope", NULL, &r);
	expect_err(500, "snapshot 'nope' does not exist\n");
	sim_snapshot_config_put(s, "pve", "100", "nope", p = P("description", "x", NULL), &r);
	json_object_put(p);
	expect_err(500, "snapshot 'nope' does not exist\n");
	sim_snapshot_config_get(s, "pve", "100", "1bad", NULL, &r);
	expect_param_err("snapname", "invalid format - invalid configuration ID '1bad'\n");
}
END_TEST

/* pve-firewall Rules.pm and Firewall.pm verify_rule, VM.pm options */
START_TEST(firewall_rules_and_options)
{
	json_object *p;
	create("100", "local-lvm:8");
	sim_fw_rule_create(s, "pve", "100", p = P("type", "in", "action", "ACCEPT", "proto", "tcp",
						   "dport", "22", "enable", "1", NULL), &r);
	json_object_put(p);
	ck_assert_int_eq(r.status, 200);
	reset();
	sim_fw_rule_create(s, "pve", "100", p = P("type", "out", "action", "DROP", NULL), &r);
	json_object_put(p);
	reset();
	sim_fw_rules_list(s, "pve", "100", NULL, &r);
	ck_assert_int_eq(json_object_array_length(r.data), 2);
	/* the newest first; enable defaults to 0 */
	ck_assert_str_eq(json_object_get_string(json_object_object_get(json_object_array_get_idx(r.data, 0), "type")), "out");
	ck_assert_int_eq(json_object_get_int(json_object_object_get(json_object_array_get_idx(r.data, 0), "enable")), 0);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(json_object_array_get_idx(r.data, 1), "pos")), 1);
	reset();
	sim_fw_rule_create(s, "pve", "100", p = P("type", "in", "action", "MAYBE", NULL), &r);
	json_object_put(p);
	expect_param_err("action", "unknown action 'MAYBE'");
	sim_fw_rule_create(s, "pve", "100", p = P("type", "forward", "action", "ACCEPT", NULL), &r);
	json_object_put(p);
	expect_param_err("type", "invalid rule type 'forward' for rule_env 'ct'");
	sim_fw_rule_create(s, "pve", "100", p = P("type", "in", "action", "ACCEPT", "dport", "22", NULL), &r);
	json_object_put(p);
	expect_param_err("proto", "missing property - 'dport' requires this property");
	sim_fw_rule_create(s, "pve", "100", p = P("type", "in", "action", "ACCEPT", "proto", "tcp", "dport", "70000", NULL), &r);
	json_object_put(p);
	expect_param_err("dport", "invalid port '70000'");
	sim_fw_rule_create(s, "pve", "100", p = P("type", "in", "action", "ACCEPT", "iface", "eth0", NULL), &r);
	json_object_put(p);
	expect_param_err("iface", "value does not match the regex pattern 'net\\d+'");
	sim_fw_rule_create(s, "pve", "100", p = P("action", "ACCEPT", NULL), &r);
	json_object_put(p);
	expect_param_err("type", "property is missing and it is not optional");
	sim_fw_rule_get(s, "pve", "100", "5", NULL, &r);
	expect_err(500, "no rule at position 5\n");
	sim_fw_rule_update(s, "pve", "100", "0", p = P("enable", "1", "comment", "ok", NULL), &r);
	json_object_put(p);
	ck_assert_int_eq(r.status, 200);
	reset();
	sim_fw_rule_get(s, "pve", "100", "0", NULL, &r);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(r.data, "comment")), "ok");
	reset();
	sim_fw_rule_delete(s, "pve", "100", "0", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	reset();
	sim_fw_rules_list(s, "pve", "100", NULL, &r);
	ck_assert_int_eq(json_object_array_length(r.data), 1);
	reset();
	sim_fw_options_set(s, "pve", "100", p = P("enable", "1", "policy_in", "DROP", NULL), &r);
	json_object_put(p);
	ck_assert_int_eq(r.status, 200);
	reset();
	sim_fw_options_set(s, "pve", "100", p = P("policy_in", "MAYBE", NULL), &r);
	json_object_put(p);
	expect_param_err("policy_in", "value 'MAYBE' does not have a value in the enumeration 'ACCEPT, REJECT, DROP'");
	sim_fw_options_set(s, "pve", "100", p = P("delete", "bogus", NULL), &r);
	json_object_put(p);
	expect_param_err("delete", "no such option 'bogus'");
	sim_fw_options_get(s, "pve", "100", NULL, &r);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(r.data, "enable")), 1);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(r.data, "policy_in")), "DROP");
	reset();
}
END_TEST

/* config_with_pending_array: running CTs collect non-hotplug changes */
START_TEST(pending_and_interfaces)
{
	json_object *p, *v;
	bool seen = false;
	create("100", "local-lvm:8");
	sim_lxc_interfaces(s, "pve", "100", NULL, &r);
	ck_assert_ptr_null(r.data); /* not running: null */
	reset();
	sim_lxc_status_op(s, "pve", "100", "start", NULL, &call, &r);
	take_upid();
	settle();
	put_ok("100", P("searchdomain", "lan", NULL));
	sim_lxc_pending(s, "pve", "100", NULL, &r);
	for (size_t i = 0; i < json_object_array_length(r.data); i++) {
		json_object *o = json_object_array_get_idx(r.data, i);
		if (!strcmp(json_object_get_string(json_object_object_get(o, "key")), "searchdomain")) {
			ck_assert(json_object_object_get_ex(o, "pending", &v));
			ck_assert_str_eq(json_object_get_string(v), "lan");
			ck_assert(!json_object_object_get_ex(o, "value", NULL));
			seen = true;
		}
	}
	ck_assert(seen);
	reset();
	sim_lxc_interfaces(s, "pve", "100", NULL, &r);
	ck_assert_int_eq(json_object_array_length(r.data), 2);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(json_object_array_get_idx(r.data, 1), "name")), "eth0");
	reset();
	(void)p;
}
END_TEST

/* pve-manager: node status/version/network, cluster status; pve-storage
 * Config.pm: /storage with paths; version strings by PVE version */
START_TEST(node_cluster_and_storage_endpoints)
{
	json_object *v;
	sim_node_version(s, "pve", NULL, &r);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(r.data, "version")),
			 pve == 8 ? "8.4.21" : "9.2.11");
	reset();
	sim_node_status(s, "pve", NULL, &r);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(r.data, "pveversion")),
			 pve == 8 ? "pve-manager/8.4.21/2606ac85" : "pve-manager/9.2.11/14a22df3");
	reset();
	sim_node_status(s, "pve.lan", NULL, &r);
	expect_param_err("node", "invalid format - value does not look like a valid node name\n");
	sim_node_network(s, "pve", v = P("type", "any_bridge", NULL), &r);
	json_object_put(v);
	ck_assert_int_eq(json_object_array_length(r.data), 1);
	reset();
	sim_node_network(s, "pve", v = P("type", "fabric", NULL), &r);
	json_object_put(v);
	if (pve == 8)
		expect_param_err("type", "value 'fabric' does not have a value in the enumeration 'bridge, bond, eth, alias, vlan, OVSBridge, OVSBond, OVSPort, OVSIntPort, vnet, any_bridge, any_local_bridge'");
	else
		ck_assert_int_eq(json_object_array_length(r.data), 0);
	reset();
	sim_cluster_status(s, NULL, &r);
	ck_assert_int_eq(json_object_array_length(r.data), 1);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(json_object_array_get_idx(r.data, 0), "local")), 1);
	reset();
	sim_storage_config_get(s, "local", NULL, &r);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(r.data, "path")), "/var/lib/vz");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(r.data, "content")), "backup,iso,vztmpl");
	reset();
	sim_storage_config_get(s, "nope", NULL, &r);
	expect_err(500, "storage 'nope' does not exist\n");
	sim_storage_config_get(s, "a", NULL, &r);
	expect_param_err("storage", "invalid format - storage ID 'a' cannot be shorter than 2 characters\n");
	sim_storage_config_list(s, v = P("type", "lvmthin", NULL), &r);
	json_object_put(v);
	ck_assert_int_eq(json_object_array_length(r.data), 1);
	reset();
	/* a path given on the command line */
	{
		struct sim_opts o;
		memset(&o, 0, sizeof(o));
		ck_assert_int_eq(sim_opts_add_storage(&o, "tpl:dir:/srv/templates"), 0);
		ck_assert_str_eq(o.storages[0].path, "/srv/templates");
		ck_assert_int_ne(sim_opts_add_storage(&o, "lv:lvmthin:/x"), 0);
		ck_assert_int_ne(sim_opts_add_storage(&o, "rel:dir:relative"), 0);
		ck_assert_int_ne(sim_opts_add_node(&o, "pve.lan"), 0);
		ck_assert_int_ne(sim_opts_set_version(&o, "7"), 0);
	}
}
END_TEST

/* ---- users, tokens, roles, ACLs (pve-access-control) ---- */

/* the caller of the next requests; its tasks are owned by it */
static void as_caller(const char *user)
{
	sim_set_caller(s, user);
	call.user = user ? user : "root@pam!phoenixfs";
}

START_TEST(acl_privileges_and_403_texts)
{
	json_object *p;
	const char *acl =
		"{\"users\":{\"ops@pve\":{\"tokens\":{"
		"\"full\":{\"secret\":\"s1\",\"privsep\":0},"
		"\"limited\":{\"secret\":\"s2\",\"privsep\":1}}}},"
		"\"roles\":{\"Snapper\":[\"VM.Snapshot.Rollback\",\"VM.Audit\"]},"
		"\"acl\":["
		"{\"path\":\"/vms\",\"ugid\":\"ops@pve\",\"role\":\"PVEVMAdmin\",\"propagate\":1},"
		"{\"path\":\"/storage\",\"ugid\":\"ops@pve\",\"role\":\"PVEDatastoreUser\",\"propagate\":1},"
		"{\"path\":\"/sdn/zones\",\"ugid\":\"ops@pve\",\"role\":\"PVESDNUser\",\"propagate\":1},"
		"{\"path\":\"/vms/100\",\"ugid\":\"ops@pve!limited\",\"role\":\"PVEVMUser\",\"propagate\":1},"
		"{\"path\":\"/vms/100\",\"ugid\":\"ops@pve!limited\",\"role\":\"Snapper\",\"propagate\":1},"
		"{\"path\":\"/vms/300\",\"ugid\":\"ops@pve\",\"role\":\"NoAccess\",\"propagate\":1},"
		"{\"path\":\"/\",\"ugid\":\"audit@pve\",\"role\":\"PVEAuditor\",\"propagate\":0}]}";
	sim_access_set(s, json_tokener_parse(acl));
	ck_assert_int_eq(sim_access_token(s, "ops@pve!full", "s1"), 0);
	ck_assert_int_ne(sim_access_token(s, "ops@pve!full", "s2"), 0);
	ck_assert_int_ne(sim_access_token(s, "nobody@pve!x", "s1"), 0);

	/* a token without privsep has its user's privileges */
	as_caller("ops@pve!full");
	create("100", "local-lvm:8");
	/* a privsep token: its own ACLs, within its user's */
	as_caller("ops@pve!limited");
	p = P("vmid", "101", "ostemplate", DEB, "rootfs", "local-lvm:8", NULL);
	sim_lxc_create(s, "pve", p, &call, &r);
	json_object_put(p);
	expect_err(403, "Permission check failed (/vms/101, VM.Allocate)\n");
	p = P("memory", "1024", NULL);
	sim_lxc_config_put(s, "pve", "100", p, &call, &r);
	json_object_put(p);
	expect_err(403, "Permission check failed (/vms/100, VM.Config.Memory)\n");
	sim_lxc_status_op(s, "pve", "100", "start", NULL, &call, &r);
	take_upid();
	settle();
	/* any of two: the token's Snapper role gives the rollback one */
	as_caller("ops@pve!full");
	sim_snapshot_create(s, "pve", "100", p = P("snapname", "s1", NULL), &call, &r);
	json_object_put(p);
	take_upid();
	settle();
	as_caller("ops@pve!limited");
	sim_snapshot_rollback(s, "pve", "100", "s1", NULL, &call, &r);
	take_upid();
	settle();
	sim_snapshot_create(s, "pve", "100", p = P("snapname", "s2", NULL), &call, &r);
	json_object_put(p);
	expect_err(403, "Permission check failed (/vms/100, VM.Snapshot)\n");
	/* storage: a privsep token has no storage ACL of its own */
	as_caller("ops@pve!full");
	p = P("vmid", "300", "ostemplate", DEB, "rootfs", "local-lvm:8", NULL);
	sim_lxc_create(s, "pve", p, &call, &r);
	json_object_put(p);
	/* NoAccess on /vms/300 beats PVEVMAdmin from /vms */
	expect_err(403, "Permission check failed (/vms/300, VM.Allocate)\n");
	/* propagate 0: / only, not /vms/100 */
	as_caller("audit@pve");
	sim_lxc_config_get(s, "pve", "100", NULL, &r);
	expect_err(403, "Permission check failed (/vms/100, VM.Audit)\n");
	ck_assert(sim_has_priv(s, "audit@pve", "/", "Sys.Audit"));
	ck_assert(!sim_has_priv(s, "audit@pve", "/", "VM.Allocate"));
	/* root@pam and its own token hold everything */
	ck_assert(sim_has_priv(s, "root@pam!phoenixfs", "/vms/300", "VM.Allocate"));
	as_caller(NULL);
	sim_lxc_config_get(s, "pve", "100", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	reset();
}
END_TEST


/* how many entries of r.data (an array) have key == val */
static int count_where(const char *key, const char *val)
{
	int n = 0;
	ck_assert_msg(r.status == 200, "status %d: %s", r.status, r.msg);
	for (size_t i = 0; i < json_object_array_length(r.data); i++) {
		json_object *v;
		if (json_object_object_get_ex(json_object_array_get_idx(r.data, i), key, &v) &&
		    !strcmp(json_object_get_string(v), val))
			n++;
	}
	return n;
}

/* The checks of every endpoint phoenixfs uses besides the VM ones:
 * SDN.Use on bridges, template and storage access, clone and resize
 * storage, list filtering, others' tasks, groups, PVE 8's privileges. */
START_TEST(acl_storage_sdn_lists_tasks_groups)
{
	json_object *p;
	const char *acl =
		"{\"users\":{\"b@pve\":{\"tokens\":{\"t\":{\"secret\":\"x\",\"privsep\":1}}}},"
		"\"groups\":{\"builders\":[\"b@pve\"]},"
		"\"roles\":{\"Build\":[\"VM.Audit\",\"VM.Allocate\",\"VM.Clone\",\"VM.PowerMgmt\","
		"\"VM.Config.Disk\",\"VM.Config.CPU\",\"VM.Config.Memory\",\"VM.Config.Network\","
		"\"VM.Config.Options\",\"VM.Snapshot\",\"Datastore.AllocateSpace\",\"Datastore.Audit\","
		"\"SDN.Use\",\"Sys.Audit\"]},"
		"\"acl\":["
		"{\"path\":\"/vms\",\"ugid\":\"@builders\",\"role\":\"Build\"},"
		"{\"path\":\"/vms\",\"ugid\":\"b@pve!t\",\"role\":\"Build\"},"
		"{\"path\":\"/storage/local-lvm\",\"ugid\":\"@builders\",\"role\":\"Build\"},"
		"{\"path\":\"/storage/local-lvm\",\"ugid\":\"b@pve!t\",\"role\":\"Build\"},"
		"{\"path\":\"/storage/local\",\"ugid\":\"@builders\",\"role\":\"PVEAuditor\"},"
		"{\"path\":\"/storage/local\",\"ugid\":\"b@pve!t\",\"role\":\"PVEAuditor\"},"
		"{\"path\":\"/sdn/zones/localnetwork/vmbr0\",\"ugid\":\"@builders\",\"role\":\"Build\"},"
		"{\"path\":\"/sdn/zones/localnetwork/vmbr0\",\"ugid\":\"b@pve!t\",\"role\":\"Build\"}]}";

	create("200", "local-lvm:4"); /* root's, before the ACL matters */
	sim_access_set(s, json_tokener_parse(acl));
	as_caller("b@pve!t");
	/* group ACLs give the user its half; the privsep token its own */
	create("100", "local-lvm:4");
	/* another bridge: SDN.Use on its zone path */
	p = P("vmid", "101", "ostemplate", DEB, "rootfs", "local-lvm:4",
	      "net0", "name=eth0,bridge=vmbr1,ip=dhcp", NULL);
	sim_lxc_create(s, "pve", p, &call, &r);
	json_object_put(p);
	expect_err(403, "Permission check failed (/sdn/zones/localnetwork/vmbr1, SDN.Use)\n");
	/* a VLAN tag: the tag's path, which the bridge's ACL propagates to */
	p = P("net0", "name=eth0,bridge=vmbr0,tag=20,ip=dhcp", NULL);
	sim_lxc_config_put(s, "pve", "100", p, &call, &r);
	json_object_put(p);
	ck_assert_msg(r.status == 200, "%s", r.msg);
	reset();
	p = P("net0", "name=eth0,bridge=vmbr2,ip=dhcp", NULL);
	sim_lxc_config_put(s, "pve", "100", p, &call, &r);
	json_object_put(p);
	expect_err(403, "Permission check failed (/sdn/zones/localnetwork/vmbr2, SDN.Use)\n");
	/* a disk on a storage without an ACL */
	p = P("vmid", "102", "ostemplate", DEB, "rootfs", "local-zfs:4", NULL);
	sim_lxc_create(s, "pve", p, &call, &r);
	json_object_put(p);
	expect_err(403, "Permission check failed (/storage/local-zfs, Datastore.AllocateSpace)\n");
	/* the template volume needs read access to its storage */
	sim_access_set(s, json_tokener_parse(
		"{\"users\":{\"b@pve\":{\"tokens\":{\"t\":{\"secret\":\"x\",\"privsep\":0}}}},"
		"\"acl\":[{\"path\":\"/vms\",\"ugid\":\"b@pve\",\"role\":\"PVEVMAdmin\"},"
		"{\"path\":\"/storage/local-lvm\",\"ugid\":\"b@pve\",\"role\":\"PVEDatastoreUser\"},"
		"{\"path\":\"/sdn\",\"ugid\":\"b@pve\",\"role\":\"PVESDNUser\"}]}"));
	p = P("vmid", "102", "ostemplate", DEB, "rootfs", "local-lvm:4", NULL);
	sim_lxc_create(s, "pve", p, &call, &r);
	json_object_put(p);
	expect_err(403, "Permission check failed (/storage/local, Datastore.AllocateSpace|Datastore.Audit)\n");
	/* clone: AllocateSpace where the copy goes; resize: on its volume */
	p = P("newid", "103", "full", "1", "storage", "local-zfs", NULL);
	sim_lxc_clone(s, "pve", "100", p, &call, &r);
	json_object_put(p);
	expect_err(403, "Permission check failed (/storage/local-zfs, Datastore.AllocateSpace)\n");
	sim_access_set(s, json_tokener_parse(
		"{\"users\":{\"b@pve\":{\"tokens\":{\"t\":{\"secret\":\"x\",\"privsep\":0}}}},"
		"\"acl\":[{\"path\":\"/vms\",\"ugid\":\"b@pve\",\"role\":\"PVEVMAdmin\"},"
		"{\"path\":\"/sdn\",\"ugid\":\"b@pve\",\"role\":\"PVESDNUser\"}]}"));
	p = P("disk", "rootfs", "size", "+1G", NULL);
	sim_lxc_resize(s, "pve", "100", p, &call, &r);
	json_object_put(p);
	expect_err(403, "Permission check failed (/storage/local-lvm, Datastore.AllocateSpace)\n");
	/* lists leave out what the caller may not see */
	sim_storage_list(s, "pve", NULL, &r);
	ck_assert_int_eq(json_object_array_length(r.data), 0);
	reset();
	sim_storage_content(s, "pve", "local", NULL, &r);
	expect_err(403, "Permission check failed (/storage/local, Datastore.Audit|Datastore.AllocateSpace)\n");
	sim_cluster_resources(s, NULL, &r);
	ck_assert_int_eq(count_where("id", "lxc/100"), 1);
	ck_assert_int_eq(count_where("id", "lxc/200"), 1);
	ck_assert_int_eq(count_where("type", "storage"), 0);
	reset();
	sim_access_set(s, json_tokener_parse(
		"{\"users\":{\"b@pve\":{\"tokens\":{\"t\":{\"secret\":\"x\",\"privsep\":0}}}},"
		"\"acl\":[{\"path\":\"/vms/100\",\"ugid\":\"b@pve\",\"role\":\"PVEVMAdmin\"}]}"));
	sim_cluster_resources(s, NULL, &r);
	ck_assert_int_eq(count_where("id", "lxc/100"), 1);
	ck_assert_int_eq(count_where("id", "lxc/200"), 0);
	reset();
	/* tasks: its own are visible, root's need Sys.Audit on the node */
	sim_task_list(s, "pve", p = P("source", "all", "limit", "0", NULL), &r);
	json_object_put(p);
	ck_assert_int_eq(count_where("type", "vzcreate"), 1);
	reset();
	as_caller(NULL);
	sim_task_list(s, "pve", p = P("vmid", "200", "source", "all", NULL), &r);
	json_object_put(p);
	snprintf(upid, sizeof(upid), "%s", json_object_get_string(json_object_object_get(
		json_object_array_get_idx(r.data, 0), "upid")));
	reset();
	as_caller("b@pve!t");
	sim_task_status(s, "pve", upid, &r);
	expect_err(403, "Permission check failed (/nodes/pve, Sys.Audit)\n");
	/* PVE 9 dropped VM.Monitor; PVE 8 has no VM.GuestAgent.Audit */
	ck_assert(sim_has_priv(s, "root@pam", "/", pve == 8 ? "VM.Monitor" : "VM.GuestAgent.Audit"));
	ck_assert(!sim_has_priv(s, "root@pam", "/", pve == 8 ? "VM.GuestAgent.Audit" : "VM.Monitor"));
	as_caller(NULL);
	reset();
}
END_TEST

/* HA-managed CTs: start and stop go through hastart/hastop tasks that end
 * before the LRM's worker has changed the CT (pve-container Status.pm,
 * pve-ha-manager Resources.pm) */
START_TEST(ha_managed_start_stop)
{
	json_object *p, *st, *ha;
	char hastart[256];

	create("100", "local-lvm:4");
	sim_ha_resource_add(s, p = P("sid", "ct:100", "state", "stopped", NULL), &r);
	json_object_put(p);
	ck_assert_msg(r.status == 200, "%s", r.msg);
	reset();
	sim_ha_resource_add(s, p = P("sid", "ct:100", NULL), &r);
	json_object_put(p);
	expect_err(500, "resource ID 'ct:100' already defined\n");
	sim_ha_resource_add(s, p = P("sid", "ct:555", NULL), &r);
	json_object_put(p);
	expect_err(500, "resource 'ct:555' does not exist in cluster\n");
	sim_ha_resources(s, NULL, &r);
	ck_assert_int_eq(json_object_array_length(r.data), 1);
	reset();

	sim_lxc_status_op(s, "pve", "100", "start", NULL, &call, &r);
	snprintf(hastart, sizeof(hastart), "%s", take_upid());
	ck_assert_ptr_nonnull(strstr(hastart, ":hastart:100:"));
	/* the ha task ends first; the CT is not running yet */
	for (int i = 0; i < 1000; i++) {
		json_object *v;
		bool done;
		reset();
		sim_task_status(s, "pve", hastart, &r);
		done = json_object_object_get_ex(r.data, "status", &v) &&
		       !strcmp(json_object_get_string(v), "stopped");
		reset();
		if (done)
			break;
		clk.ms += 10;
		sim_tick(s);
	}
	ck_assert_str_eq(exitstatus("pve", hastart), "OK");
	reset();
	sim_lxc_status_current(s, "pve", "100", &r);
	st = r.data;
	ck_assert_str_eq(json_object_get_string(json_object_object_get(st, "status")), "stopped");
	ha = json_object_object_get(st, "ha");
	ck_assert_int_eq(json_object_get_int(json_object_object_get(ha, "managed")), 1);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(ha, "state")), "started");
	reset();
	settle();
	sim_lxc_status_current(s, "pve", "100", &r);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(r.data, "status")), "running");
	reset();
	/* stop: hastop, then the LRM's vzstop */
	sim_lxc_status_op(s, "pve", "100", "stop", p = P("overrule-shutdown", "1", NULL), &call, &r);
	json_object_put(p);
	ck_assert_int_eq(r.status, 400);
	reset();
	sim_lxc_status_op(s, "pve", "100", "stop", NULL, &call, &r);
	ck_assert_ptr_nonnull(strstr(take_upid(), ":hastop:100:"));
	settle();
	sim_lxc_status_current(s, "pve", "100", &r);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(r.data, "status")), "stopped");
	reset();
	/* destroy needs purge while HA manages it */
	sim_lxc_destroy(s, "pve", "100", NULL, &call, &r);
	expect_err(500, "unable to remove CT 100 - used in HA resources and purge parameter not set.\n");
	sim_ha_resource_delete(s, "ct:100", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	reset();
	sim_lxc_status_op(s, "pve", "100", "start", NULL, &call, &r);
	ck_assert_ptr_nonnull(strstr(take_upid(), ":vzstart:100:"));
	settle();
}
END_TEST

static Suite *suite(void)
{
	Suite *su = suite_create("pvesim_rules");
	TCase *tc = tcase_create("rules");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, create_locks_then_writes_config);
	tcase_add_test(tc, create_duplicate_vmid_is_sync_500);
	tcase_add_test(tc, create_missing_template_fails_task_and_deletes_config);
	tcase_add_test(tc, create_missing_storage_is_sync);
	tcase_add_test(tc, create_ostemplate_checks_are_sync);
	tcase_add_test(tc, create_default_storage_local_has_no_rootdir);
	tcase_add_test(tc, create_parameter_errors);
	tcase_add_test(tc, create_feature_flags_need_root_pam);
	tcase_add_test(tc, create_net_gets_mac_and_type);
	tcase_add_test(tc, unprivileged_default_follows_version);
	tcase_add_test(tc, pve9_only_keys);
	tcase_add_test(tc, locked_ct_refuses_config_put);
	tcase_add_test(tc, config_put_rules);
	tcase_add_test(tc, missing_ct_text);
	tcase_add_test(tc, start_stop_and_their_refusals);
	tcase_add_test(tc, template_never_starts);
	tcase_add_test(tc, template_conversion_renames_volumes);
	tcase_add_test(tc, template_refusals_in_order);
	tcase_add_test(tc, linked_clone_of_template);
	tcase_add_test(tc, clone_refusals);
	tcase_add_test(tc, clone_from_dir_template_cannot_be_linked);
	tcase_add_test(tc, clone_task_failure_cleans_up);
	tcase_add_test(tc, destroy_template_with_linked_clones_zfs_vs_lvmthin);
	tcase_add_test(tc, destroy_refusals);
	tcase_add_test(tc, flock_held_by_conversion);
	tcase_add_test(tc, task_waiting_for_flock_times_out);
	tcase_add_test(tc, vmids_unique_across_cluster);
	tcase_add_test(tc, migrate_refusals_before_the_worker);
	tcase_add_test(tc, migrate_running_ct_in_restart_mode);
	tcase_add_test(tc, migrate_stopped_ct_shared_and_mapped);
	tcase_add_test(tc, migrate_refusals_in_the_worker);
	tcase_add_test(tc, storage_nodes_and_node_memory);
	tcase_add_test(tc, nextid_is_a_string);
	tcase_add_test(tc, resources_lag_but_lock_is_live);
	tcase_add_test(tc, node_mem_lags_with_the_guests_status);
	tcase_add_test(tc, snapshot_rules);
	tcase_add_test(tc, task_endpoints);
	tcase_add_test(tc, restart_fails_running_tasks_keeps_locks);
	tcase_add_test(tc, fault_spec);
	tcase_add_test(tc, dns_and_feature_formats);
	tcase_add_test(tc, repeated_keys);
	tcase_add_test(tc, resize_grows_only);
	tcase_add_test(tc, sizes_saturate);
	tcase_add_test(tc, snapshot_name_and_config);
	tcase_add_test(tc, firewall_rules_and_options);
	tcase_add_test(tc, pending_and_interfaces);
	tcase_add_test(tc, node_cluster_and_storage_endpoints);
	tcase_add_test(tc, acl_privileges_and_403_texts);
	tcase_add_test(tc, acl_storage_sdn_lists_tasks_groups);
	tcase_add_test(tc, ha_managed_start_stop);
	suite_add_tcase(su, tc);
	return su;
}

int main(void)
{
	const char *v = getenv("PVESIM_PVE_VERSION");
	pve = v ? atoi(v) : 9;
	if (pve != 8 && pve != 9) {
		fprintf(stderr, "PVESIM_PVE_VERSION must be 8 or 9\n");
		return EXIT_FAILURE;
	}
	printf("pvesim rules under PVE %d\n", pve);
	return phx_check_run(suite());
}
