/* The driver on the wire, against fake_pve.py (a scripted HTTPS server that
 * records what it receives): methods, paths, form and query encoding, the
 * token header, keep-alive reuse, retries, old-server reason phrases,
 * certificate pinning, CA verification and the refusals of
 * phx_pve_driver_new. pvesim-level behaviour is tested in
 * tests/integration/pve. */
#include "backend/pve/pve_driver.h"
#include "backend/pve/pve_fingerprint.h"
#include "tests/unit/check_run.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CLOSED_PORT "18119"
#define TOKEN "ci@pve!build=3f2a1c9e-8b7d-4e6f-a5b4-c3d2e1f0a9b8"
#define UPID "UPID:pve:00000010:00000100:66F1E2F0:vzcreate:103:ci@pve!build:"

static char dir[64], cert[128], key[128], reqlog[128], tokf[128];
static char fingerprint[PVE_FP_TEXT];
static pid_t server = -1;
static int ready_fd = -1;
/* the fake server's port (it picks a free one) and its https:// URL */
static char port[8], url[64];

static void run(const char *cmd)
{
	ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

static void start_server(void)
{
	char cmd[512], line[256];
	int pipefd[2], fd;
	size_t len = 0;
	struct pollfd pfd;
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/phx-pve-wire-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(reqlog, sizeof(reqlog), "%s/requests.log", dir);
	snprintf(tokf, sizeof(tokf), "%s/token", dir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
		 "-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 -days 2 "
		 "-keyout %s -out %s 2>/dev/null", key, cert);
	run(cmd);
	/* The pin as openssl prints it, independent of our own hashing. */
	snprintf(cmd, sizeof(cmd), "openssl x509 -in %s -noout -fingerprint -sha256", cert);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	pclose(f);
	ck_assert_ptr_nonnull(strchr(line, '='));
	snprintf(fingerprint, sizeof(fingerprint), "%.95s", strchr(line, '=') + 1);

	fd = open(tokf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, TOKEN "\n", strlen(TOKEN) + 1), (ssize_t)strlen(TOKEN) + 1);
	close(fd);

	ck_assert_int_eq(pipe(pipefd), 0);
	server = fork();
	ck_assert_int_ge(server, 0);
	if (server == 0) {
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		execl("/usr/bin/python3", "python3", PVE_FAKE_SERVER, "0", cert, key, reqlog, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	/* Wait for the line "ready" with a deadline instead of sleeping. The
	 * pipe stays open until the server is stopped, so that its writes
	 * never meet a closed pipe. */
	line[0] = '\0';
	ready_fd = pipefd[0];
	pfd.fd = ready_fd;
	pfd.events = POLLIN;
	while (!strchr(line, '\n')) {
		int r = poll(&pfd, 1, 30000);
		ssize_t got;

		if (r < 0 && errno == EINTR)
			continue;
		ck_assert_msg(r == 1, "fake server did not start (poll %d, errno %d)", r, errno);
		got = read(ready_fd, line + len, sizeof(line) - 1 - len);
		if (got < 0 && errno == EINTR)
			continue;
		ck_assert_msg(got > 0, "fake server exited before it was ready");
		len += (size_t)got;
		line[len] = '\0';
		ck_assert_uint_lt(len, sizeof(line) - 1);
	}
	ck_assert_msg(sscanf(line, "ready %7[0-9]\n", port) == 1, "fake server said '%s'", line);
	snprintf(url, sizeof(url), "https://127.0.0.1:%s", port);
}

static void stop_server(void)
{
	char cmd[160];

	if (server > 0) {
		kill(server, SIGTERM);
		waitpid(server, NULL, 0);
		server = -1;
	}
	if (ready_fd >= 0)
		close(ready_fd);
	ready_fd = -1;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

static void clear_log(void)
{
	int fd = open(reqlog, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	close(fd);
}

/* The requests the server saw since clear_log(), as a JSON array. */
static json_object *requests(void)
{
	json_object *arr = json_object_new_array();
	char line[8192];
	FILE *f = fopen(reqlog, "r");

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		json_object *o = json_tokener_parse(line);

		ck_assert_ptr_nonnull(o);
		json_object_array_add(arr, o);
	}
	fclose(f);
	return arr;
}

static const char *field(json_object *arr, size_t i, const char *key)
{
	json_object *v;

	ck_assert(json_object_object_get_ex(json_object_array_get_idx(arr, i), key, &v));
	return json_object_get_string(v);
}

static struct phx_pve_opts opts_pinned(void)
{
	struct phx_pve_opts o = {
		.url = url,
		.token_file = tokf,
		.fingerprint = fingerprint,
		.connections = 4,
		.retries = 4,
		.timeout_ms = 10000,
	};
	return o;
}

static struct phx_driver new_driver(const struct phx_pve_opts *o)
{
	struct phx_driver d;
	struct phx_err e;

	ck_assert_msg(phx_pve_driver_new(&d, o, &e) == 0, "driver_new: %s", e.msg);
	return d;
}

START_TEST(ops_on_the_wire)
{
	struct phx_pve_opts o = opts_pinned();
	struct phx_driver d = new_driver(&o);
	const struct phx_kv create[] = { { "hostname", "a b&c" }, { "memory", "512" } };
	const struct phx_kv purge[] = { { "purge", "1" } };
	const struct phx_kv mem[] = { { "memory", "1024" } };
	struct phx_task_status st;
	char upid[PHX_UPID_MAX], **nodes;
	struct phx_err e;
	json_object *log;
	size_t n;

	clear_log();
	ck_assert_int_eq(d.ops->list_nodes(d.ctx, &nodes, &n, &e), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(nodes[0], "pve");
	free(nodes[0]);
	free(nodes);
	ck_assert_int_eq(d.ops->create(d.ctx, "pve", 103, create, 2, upid, &e), 0);
	ck_assert_str_eq(upid, UPID);
	ck_assert_int_eq(d.ops->destroy_ct(d.ctx, "pve", 103, purge, 1, upid, &e), 0);
	ck_assert_int_eq(d.ops->set_config(d.ctx, "pve", 103, mem, 1, &e), 0);
	ck_assert_int_eq(d.ops->task_status(d.ctx, UPID, &st, &e), 0);
	ck_assert(!st.running);
	ck_assert_str_eq(st.exitstatus, "OK");

	log = requests();
	ck_assert_uint_eq(json_object_array_length(log), 5);
	ck_assert_str_eq(field(log, 0, "method"), "GET");
	ck_assert_str_eq(field(log, 0, "path"), "/api2/json/nodes");
	ck_assert_str_eq(field(log, 0, "auth"), "PVEAPIToken=" TOKEN);

	ck_assert_str_eq(field(log, 1, "method"), "POST");
	ck_assert_str_eq(field(log, 1, "path"), "/api2/json/nodes/pve/lxc");
	ck_assert_str_eq(field(log, 1, "body"), "vmid=103&hostname=a%20b%26c&memory=512");
	ck_assert_str_eq(field(log, 1, "ctype"), "application/x-www-form-urlencoded");
	ck_assert_str_eq(field(log, 1, "query"), "");

	/* DELETE: parameters in the URL, no body (PVE answers 501 to one) */
	ck_assert_str_eq(field(log, 2, "method"), "DELETE");
	ck_assert_str_eq(field(log, 2, "path"), "/api2/json/nodes/pve/lxc/103");
	ck_assert_str_eq(field(log, 2, "query"), "purge=1");
	ck_assert_str_eq(field(log, 2, "body"), "");

	ck_assert_str_eq(field(log, 3, "method"), "PUT");
	ck_assert_str_eq(field(log, 3, "body"), "memory=1024");
	ck_assert_str_eq(field(log, 3, "ctype"), "application/x-www-form-urlencoded");

	ck_assert_str_eq(field(log, 4, "path"), "/api2/json/nodes/pve/tasks/UPID%3Apve%3A00000010%3A00000100%3A"
			 "66F1E2F0%3Avzcreate%3A103%3Aci%40pve%21build%3A/status");

	/* one keep-alive connection served all five */
	for (size_t i = 1; i < 5; i++)
		ck_assert_str_eq(field(log, i, "port"), field(log, 0, "port"));
	json_object_put(log);
	phx_driver_destroy(&d);
}
END_TEST

START_TEST(build_steps_on_the_wire)
{
	struct phx_pve_opts o = opts_pinned();
	struct phx_driver d = new_driver(&o);
	const struct phx_kv rule[] = { { "type", "in" }, { "action", "ACCEPT" },
				       { "dport", "443" } };
	const struct phx_kv fwopt[] = { { "enable", "1" } };
	struct phx_storage_list sl;
	char upid[PHX_UPID_MAX], **names;
	struct phx_err e;
	json_object *log, *rules;
	size_t n;

	clear_log();
	ck_assert_int_eq(d.ops->list_storage(d.ctx, &sl, &e), 0);
	ck_assert_uint_eq(sl.n, 3);
	ck_assert_str_eq(sl.v[0].id, "local");
	ck_assert_str_eq(sl.v[0].path, "/var/lib/vz");
	ck_assert_str_eq(sl.v[0].content, "vztmpl,iso,backup");
	ck_assert_str_eq(sl.v[1].id, "FastPool-CT");
	ck_assert_str_eq(sl.v[1].nodes, "pve,pve2");
	ck_assert(sl.v[1].disabled);
	ck_assert(!sl.v[1].shared);
	ck_assert_str_eq(sl.v[1].path, "");
	ck_assert(sl.v[2].shared);
	phx_storage_list_free(&sl);

	ck_assert_int_eq(d.ops->list_snapshots(d.ctx, "pve", 103, &names, &n, &e), 0);
	ck_assert_uint_eq(n, 1); /* "current" is not a snapshot */
	ck_assert_str_eq(names[0], "golden");
	free(names[0]);
	free(names);
	ck_assert_int_eq(d.ops->snapshot(d.ctx, "pve", 103, "golden", "built by phoenixfs",
					 upid, &e), 0);
	ck_assert_str_eq(upid, UPID);
	ck_assert_int_eq(d.ops->delete_snapshot(d.ctx, "pve", 103, "golden", upid, &e), 0);
	ck_assert_str_eq(upid, UPID);
	/* a name that would change the path never leaves the driver */
	ck_assert_int_eq(d.ops->delete_snapshot(d.ctx, "pve", 103, "x/../../1", upid, &e), -1);
	ck_assert_int_eq(e.kind, PHX_E_REFUSED);
	ck_assert_int_eq(d.ops->resize(d.ctx, "pve", 103, "rootfs", "32G", upid, &e), 0);
	ck_assert_str_eq(upid, UPID);
	ck_assert_int_eq(d.ops->resize(d.ctx, "pve", 103, "rootfs", "32G", upid, &e), 0);
	ck_assert_str_eq(upid, ""); /* an older server's null */
	ck_assert_int_eq(d.ops->fw_rules(d.ctx, "pve", 103, &rules, &e), 0);
	ck_assert_uint_eq(json_object_array_length(rules), 1);
	json_object_put(rules);
	ck_assert_int_eq(d.ops->fw_add_rule(d.ctx, "pve", 103, rule, 3, &e), 0);
	ck_assert_int_eq(d.ops->fw_delete_rule(d.ctx, "pve", 103, 0, &e), 0);
	ck_assert_int_eq(d.ops->fw_set_options(d.ctx, "pve", 103, fwopt, 1, &e), 0);

	log = requests();
	ck_assert_uint_eq(json_object_array_length(log), 10);
	ck_assert_str_eq(field(log, 0, "path"), "/api2/json/storage");
	ck_assert_str_eq(field(log, 2, "method"), "POST");
	ck_assert_str_eq(field(log, 2, "path"), "/api2/json/nodes/pve/lxc/103/snapshot");
	ck_assert_str_eq(field(log, 2, "body"), "snapname=golden&description=built%20by%20phoenixfs");
	ck_assert_str_eq(field(log, 3, "method"), "DELETE");
	ck_assert_str_eq(field(log, 3, "path"), "/api2/json/nodes/pve/lxc/103/snapshot/golden");
	ck_assert_str_eq(field(log, 4, "method"), "PUT");
	ck_assert_str_eq(field(log, 4, "body"), "disk=rootfs&size=32G");
	ck_assert_str_eq(field(log, 7, "method"), "POST");
	ck_assert_str_eq(field(log, 7, "body"), "type=in&action=ACCEPT&dport=443");
	ck_assert_str_eq(field(log, 8, "method"), "DELETE");
	ck_assert_str_eq(field(log, 8, "path"), "/api2/json/nodes/pve/lxc/103/firewall/rules/0");
	ck_assert_str_eq(field(log, 9, "method"), "PUT");
	ck_assert_str_eq(field(log, 9, "path"), "/api2/json/nodes/pve/lxc/103/firewall/options");
	ck_assert_str_eq(field(log, 9, "body"), "enable=1");
	json_object_put(log);
	phx_driver_destroy(&d);
}
END_TEST

START_TEST(old_server_reason_phrase)
{
	struct phx_pve_opts o = opts_pinned();
	struct phx_driver d = new_driver(&o);
	struct phx_err e;
	json_object *cfg = (json_object *)1;

	ck_assert_int_eq(d.ops->get_config(d.ctx, "old", 999, &cfg, &e), -1);
	ck_assert_ptr_null(cfg);
	ck_assert_int_eq(e.kind, PHX_E_NOTFOUND);
	ck_assert_int_eq(e.http, 500);
	ck_assert_str_eq(e.msg, "Configuration file 'nodes/old/lxc/999.conf' does not exist");
	phx_driver_destroy(&d);
}
END_TEST

START_TEST(refusal_not_retried)
{
	struct phx_pve_opts o = opts_pinned();
	struct phx_driver d = new_driver(&o);
	struct phx_err e;
	json_object *log;

	clear_log();
	ck_assert_int_eq(d.ops->template_(d.ctx, "pve", 100, &e), -1);
	ck_assert_int_eq(e.kind, PHX_E_LOCKED);
	ck_assert_str_eq(e.msg, "CT is locked (disk)");
	log = requests();
	ck_assert_uint_eq(json_object_array_length(log), 1);
	json_object_put(log);
	phx_driver_destroy(&d);
}
END_TEST

START_TEST(transient_retried_until_success)
{
	struct phx_pve_opts o = opts_pinned();
	struct phx_driver d = new_driver(&o);
	struct phx_err e;
	json_object *cfg, *v, *log;

	clear_log();
	ck_assert_msg(d.ops->get_config(d.ctx, "flaky", 100, &cfg, &e) == 0, "%s", e.msg);
	ck_assert(json_object_object_get_ex(cfg, "hostname", &v));
	ck_assert_str_eq(json_object_get_string(v), "ct100");
	json_object_put(cfg);
	log = requests();
	ck_assert_uint_eq(json_object_array_length(log), 3);  /* 503, 503, 200 */
	json_object_put(log);
	phx_driver_destroy(&d);
}
END_TEST

START_TEST(transient_gives_up_after_attempts)
{
	struct phx_pve_opts o = opts_pinned();
	struct phx_driver d;
	struct phx_err e;
	json_object *cfg, *log;

	o.retries = 3;
	d = new_driver(&o);
	clear_log();
	ck_assert_int_eq(d.ops->get_config(d.ctx, "down", 100, &cfg, &e), -1);
	ck_assert_int_eq(e.kind, PHX_E_TRANSIENT);
	ck_assert_int_eq(e.http, 595);
	/* the node comes from the call's path, /nodes/down/lxc/100/config */
	ck_assert_str_eq(e.msg, "no answer from node 'down' (pveproxy: 595 Connection refused)");
	log = requests();
	ck_assert_uint_eq(json_object_array_length(log), 3);
	json_object_put(log);
	phx_driver_destroy(&d);
}
END_TEST

START_TEST(wrong_fingerprint_refused_before_request)
{
	struct phx_pve_opts o = opts_pinned();
	char wrong[PVE_FP_TEXT], want[256];
	struct phx_driver d;
	struct phx_err e;
	char **nodes;
	size_t n;
	json_object *log;

	snprintf(wrong, sizeof(wrong), "%s", fingerprint);
	wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
	o.fingerprint = wrong;
	d = new_driver(&o);
	clear_log();
	ck_assert_int_eq(d.ops->list_nodes(d.ctx, &nodes, &n, &e), -1);
	ck_assert_int_eq(e.kind, PHX_E_TLS);
	snprintf(want, sizeof(want), "server certificate fingerprint did not match pve_fingerprint: "
		 "the server presented %s", fingerprint);
	ck_assert_str_eq(e.msg, want);
	/* the token never reached the server */
	log = requests();
	ck_assert_uint_eq(json_object_array_length(log), 0);
	json_object_put(log);
	phx_driver_destroy(&d);

	/* a lower-case pin of the right certificate is the same pin */
	snprintf(wrong, sizeof(wrong), "%s", fingerprint);
	for (char *p = wrong; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p + 32);
	o.fingerprint = wrong;
	d = new_driver(&o);
	ck_assert_int_eq(d.ops->list_nodes(d.ctx, &nodes, &n, &e), 0);
	free(nodes[0]);
	free(nodes);
	phx_driver_destroy(&d);
}
END_TEST

START_TEST(verification_by_default)
{
	struct phx_pve_opts o = opts_pinned();
	struct phx_driver d;
	struct phx_err e;
	char **nodes;
	size_t n;
	json_object *log;

	o.fingerprint = NULL;
	d = new_driver(&o);
	clear_log();
	ck_assert_int_eq(d.ops->list_nodes(d.ctx, &nodes, &n, &e), -1);
	ck_assert_int_eq(e.kind, PHX_E_TLS);
	ck_assert_int_eq(e.http, 0);
	ck_assert_msg(strstr(e.msg, "self-signed certificate") &&
		      strstr(e.msg, "(give pve_fingerprint or pve_cafile to trust this server)"),
		      "%s", e.msg);
	log = requests();
	ck_assert_uint_eq(json_object_array_length(log), 0);
	json_object_put(log);
	phx_driver_destroy(&d);

	o.cafile = cert;        /* the self-signed certificate is its own CA */
	d = new_driver(&o);
	ck_assert_msg(d.ops->list_nodes(d.ctx, &nodes, &n, &e) == 0, "%s", e.msg);
	free(nodes[0]);
	free(nodes);
	phx_driver_destroy(&d);

	o.cafile = NULL;
	o.insecure = true;
	d = new_driver(&o);
	ck_assert_msg(d.ops->list_nodes(d.ctx, &nodes, &n, &e) == 0, "%s", e.msg);
	free(nodes[0]);
	free(nodes);
	phx_driver_destroy(&d);
}
END_TEST

START_TEST(connection_refused_is_transient)
{
	struct phx_pve_opts o = opts_pinned();
	struct phx_driver d;
	struct phx_err e;
	char **nodes;
	size_t n;

	o.url = "https://127.0.0.1:" CLOSED_PORT;
	o.retries = 2;
	d = new_driver(&o);
	ck_assert_int_eq(d.ops->list_nodes(d.ctx, &nodes, &n, &e), -1);
	ck_assert_int_eq(e.kind, PHX_E_TRANSIENT);
	ck_assert_int_eq(e.http, 0);
	ck_assert_msg(strstr(e.msg, "Failed to connect to 127.0.0.1 port " CLOSED_PORT), "%s", e.msg);
	phx_driver_destroy(&d);
}
END_TEST

static void refused_new(const struct phx_pve_opts *o, enum phx_err_kind kind, const char *want)
{
	struct phx_driver d = { (void *)1, (void *)1 };
	struct phx_err e;

	ck_assert_int_eq(phx_pve_driver_new(&d, o, &e), -1);
	ck_assert_ptr_null(d.ops);
	ck_assert_int_eq(e.kind, kind);
	ck_assert_str_eq(e.msg, want);
	ck_assert_ptr_null(strstr(e.msg, "3f2a1c9e"));
}

START_TEST(construction_refusals)
{
	struct phx_pve_opts o = opts_pinned();
	char want[512], other[160], plain[64], slash[80];
	int fd;

	snprintf(plain, sizeof(plain), "http://127.0.0.1:%s", port);
	o.url = plain;
	snprintf(want, sizeof(want), "pve_url '%s' must use https://", plain);
	refused_new(&o, PHX_E_REFUSED, want);
	o.url = "";
	refused_new(&o, PHX_E_REFUSED, "no Proxmox VE URL given (pve_url)");
	o = opts_pinned();
	o.fingerprint = "AA:BB";
	refused_new(&o, PHX_E_TLS, "pve_fingerprint 'AA:BB' is not a SHA-256 fingerprint (32 hex pairs "
		    "separated by ':', as `pvenode cert info` prints it)");
	o = opts_pinned();
	o.cafile = "/nonexistent/ca.pem";
	refused_new(&o, PHX_E_TLS, "pve_cafile /nonexistent/ca.pem: No such file or directory");
	o = opts_pinned();
	snprintf(other, sizeof(other), "%s/open-token", dir);
	fd = open(other, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, TOKEN, strlen(TOKEN)), (ssize_t)strlen(TOKEN));
	ck_assert_int_eq(fchmod(fd, 0644), 0);
	close(fd);
	o.token_file = other;
	snprintf(want, sizeof(want), "token file %s has mode 0644; it must be readable by its owner "
		 "only (chmod 600 %s)", other, other);
	refused_new(&o, PHX_E_AUTH, want);

	/* /api2/json at the end of the URL is tolerated */
	o = opts_pinned();
	snprintf(slash, sizeof(slash), "%s/api2/json/", url);
	o.url = slash;
	{
		struct phx_driver d = new_driver(&o);
		struct phx_err e;
		char **nodes;
		size_t n;

		ck_assert_msg(d.ops->list_nodes(d.ctx, &nodes, &n, &e) == 0, "%s", e.msg);
		free(nodes[0]);
		free(nodes);
		phx_driver_destroy(&d);
	}
	/* no port: pveproxy's 8006, not https's 443 (nothing listens on
	 * 127.0.0.1:8006 here, and curl names the port it tried) */
	o = opts_pinned();
	o.url = "https://127.0.0.1";
	{
		struct phx_driver d = new_driver(&o);
		struct phx_err e;
		char **nodes;
		size_t n;
		json_object *cfg;

		ck_assert_int_eq(d.ops->list_nodes(d.ctx, &nodes, &n, &e), -1);
		ck_assert_int_eq(e.kind, PHX_E_TRANSIENT);
		ck_assert_msg(strstr(e.msg, "port 8006"), "%s", e.msg);
		/* node names as pve-node has them: no dots, no edge '-' */
		for (const char *bad[] = { "pve.lan", "-pve", "pve-", "", NULL }, **b = bad; *b; b++) {
			ck_assert_int_eq(d.ops->get_config(d.ctx, *b, 100, &cfg, &e), -1);
			ck_assert_int_eq(e.kind, PHX_E_REFUSED);
			ck_assert_msg(strstr(e.msg, "no dots"), "%s", e.msg);
		}
		ck_assert(pve_node_name_ok("pve-2"));
		ck_assert(pve_node_name_ok("a"));
		phx_driver_destroy(&d);
	}
}
END_TEST

#define THREADS 6
#define CALLS 15

static void *hammer(void *arg)
{
	struct phx_driver *d = arg;
	long failures = 0;

	for (int i = 0; i < CALLS; i++) {
		struct phx_err e;
		json_object *cfg;

		if (d->ops->get_config(d->ctx, "pve", 100, &cfg, &e) < 0)
			failures++;
		else
			json_object_put(cfg);
	}
	return (void *)failures;
}

START_TEST(threads_share_the_pool)
{
	struct phx_pve_opts o = opts_pinned();
	struct phx_driver d = new_driver(&o);
	pthread_t t[THREADS];
	json_object *log;
	size_t ports = 0;
	char seen[THREADS * CALLS][16];

	clear_log();
	for (int i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, hammer, &d), 0);
	for (int i = 0; i < THREADS; i++) {
		void *r;

		pthread_join(t[i], &r);
		ck_assert_int_eq((long)r, 0);
	}
	log = requests();
	ck_assert_uint_eq(json_object_array_length(log), THREADS * CALLS);
	/* connections are reused: far fewer than one per call */
	for (size_t i = 0; i < json_object_array_length(log); i++) {
		const char *p = field(log, i, "port");
		size_t k;

		for (k = 0; k < ports && strcmp(seen[k], p) != 0; k++)
			;
		if (k == ports)
			snprintf(seen[ports++], sizeof(seen[0]), "%s", p);
	}
	ck_assert_msg(ports <= THREADS, "%zu connections for %d calls", ports, THREADS * CALLS);
	json_object_put(log);
	phx_driver_destroy(&d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pve_wire");
	TCase *t = tcase_create("fake server");

	tcase_add_unchecked_fixture(t, start_server, stop_server);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, ops_on_the_wire);
	tcase_add_test(t, build_steps_on_the_wire);
	tcase_add_test(t, old_server_reason_phrase);
	tcase_add_test(t, refusal_not_retried);
	tcase_add_test(t, transient_retried_until_success);
	tcase_add_test(t, transient_gives_up_after_attempts);
	tcase_add_test(t, wrong_fingerprint_refused_before_request);
	tcase_add_test(t, verification_by_default);
	tcase_add_test(t, connection_refused_is_transient);
	tcase_add_test(t, construction_refusals);
	tcase_add_test(t, threads_share_the_pool);
	suite_add_tcase(s, t);
	return phx_check_run(s);
}
