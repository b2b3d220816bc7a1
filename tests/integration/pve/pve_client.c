/* Drives the Proxmox driver against a running pvesim over HTTPS.
 *
 *   pve_client full   the whole life of a template chain: create from the
 *                     OS template, clone, convert, linked clone, task logs,
 *                     lost-task lookup, config changes, start/stop/destroy,
 *                     refusals, wrong fingerprint, bad token, CA checks,
 *                     threads
 *   pve_client old    error texts from a server without the JSON "message"
 *                     field (pvesim --no-message-field)
 *   pve_client damaged KIND
 *                     against pvesim --faults KIND=1 (badjson, truncate,
 *                     ctype): every call fails as a transient protocol
 *                     error naming what was wrong, and nothing crashes
 *   pve_client round VMID
 *                     this round's calls on an existing stopped CT, with
 *                     whatever token PVESIM_TOKEN_FILE holds: storage
 *                     listing, snapshot create/list/delete, resize,
 *                     firewall rules and options (test_permissions.sh)
 *
 * Reads PVESIM_URL, PVESIM_TOKEN_FILE, PVESIM_FINGERPRINT, PVESIM_CERT and
 * PVESIM_DIR (set by tests/integration/pvesim/lib.sh). Prints one line per
 * check; exits 1 at the first failure. */
#include "backend/pve/pve_driver.h"
#include "backend/pve/pve_parse.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NODE "pve"
#define OSTEMPLATE "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"
#define BASE 9100
#define FULL 9101
#define LINKED 9102
#define DEADLINE_S 30

static const char *url, *token_file, *fingerprint, *cert, *state_dir;
static int checks;

static void failf(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void failf(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "FAIL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

#define CHECK(cond, ...) do {                                       \
		if (!(cond))                                        \
			failf(__VA_ARGS__);                         \
		checks++;                                           \
	} while (0)

/* A call that must succeed. */
#define OK(call, e) do {                                            \
		if ((call) != 0)                                    \
			failf("%s: [%s, %d] %s", #call,             \
			      phx_err_kind_name((e).kind), (e).http, (e).msg); \
		checks++;                                           \
	} while (0)

/* A call that must fail with this kind and exactly this text. */
static void refused(int rc, const struct phx_err *e, enum phx_err_kind kind, int http,
		    const char *msg, const char *what)
{
	CHECK(rc == -1, "%s: succeeded, expected %s", what, msg);
	CHECK(e->kind == kind, "%s: kind %s, expected %s (%s)", what, phx_err_kind_name(e->kind),
	      phx_err_kind_name(kind), e->msg);
	CHECK(http < 0 || e->http == http, "%s: http %d, expected %d", what, e->http, http);
	CHECK(!msg || strcmp(e->msg, msg) == 0, "%s: message '%s', expected '%s'", what, e->msg, msg);
	printf("ok: %s refused: [%s] %s\n", what, phx_err_kind_name(e->kind), e->msg);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void pause_ms(unsigned ms)
{
	struct timespec ts = { 0, (long)ms * 1000000L };

	nanosleep(&ts, NULL);
}

static struct phx_driver driver(const char *fp, const char *cafile, const char *tok)
{
	struct phx_pve_opts o = {
		.url = url, .token_file = tok, .fingerprint = fp, .cafile = cafile,
		.connections = 4, .retries = 3, .timeout_ms = 10000,
	};
	struct phx_driver d;
	struct phx_err e;

	OK(phx_pve_driver_new(&d, &o, &e), e);
	return d;
}

/* Polls a task until it stops; returns its exitstatus. */
static const char *wait_task(struct phx_driver *d, const char *upid)
{
	static struct phx_task_status st;
	double end = now_s() + DEADLINE_S;
	struct phx_err e;

	do {
		OK(d->ops->task_status(d->ctx, upid, &st, &e), e);
		if (!st.running)
			return st.exitstatus;
		pause_ms(50);
	} while (now_s() < end);
	failf("task %s still running after %d s", upid, DEADLINE_S);
}

static const char *cfg_str(json_object *cfg, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(cfg, key, &v) ? json_object_get_string(v) : NULL;
}

static struct phx_guest *find_guest(struct phx_guest_list *l, uint32_t vmid)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].vmid == vmid)
			return &l->v[i];
	return NULL;
}

static void *list_many(void *arg)
{
	struct phx_driver *d = arg;

	for (int i = 0; i < 10; i++) {
		struct phx_guest_list l;
		struct phx_err e;

		if (d->ops->list_guests(d->ctx, &l, &e) < 0)
			return (void *)1;
		phx_guest_list_free(&l);
	}
	return NULL;
}

static void full(void)
{
	struct phx_driver d = driver(fingerprint, NULL, token_file);
	const struct phx_kv create[] = {
		{ "ostemplate", OSTEMPLATE }, { "rootfs", "local-lvm:4" },
		{ "hostname", "drv-base" }, { "memory", "256" },
		{ "net0", "name=eth0,bridge=vmbr0,ip=dhcp" },
	};
	const struct phx_kv clone_full[] = { { "hostname", "drv-full" } };
	const struct phx_kv clone_linked[] = { { "hostname", "drv-linked" } };
	const struct phx_kv mem[] = { { "memory", "512" }, { "description", "set by the driver test\nline 2" } };
	const struct phx_kv bad[] = { { "foo", "1" } };
	const struct phx_kv purge[] = { { "purge", "1" } };
	char create_upid[PHX_UPID_MAX], clone_upid[PHX_UPID_MAX], upid[PHX_UPID_MAX];
	char node[PHX_NODE_MAX], **nodes, **lines;
	struct phx_guest_list l;
	struct phx_task_status st;
	struct phx_err e;
	json_object *cfg;
	size_t n, nlines;
	double end;
	bool have_pve = false;

	OK(d.ops->list_nodes(d.ctx, &nodes, &n, &e), e);
	for (size_t i = 0; i < n; i++)
		have_pve |= strcmp(nodes[i], NODE) == 0;
	pve_strlist_free(nodes, n);
	CHECK(have_pve, "node %s not listed", NODE);
	OK(d.ops->list_guests(d.ctx, &l, &e), e);
	CHECK(!find_guest(&l, BASE), "CT %d exists before the test", BASE);
	phx_guest_list_free(&l);
	printf("ok: connected with the pinned fingerprint, %zu node(s)\n", n);

	/* create from the OS template */
	OK(d.ops->create(d.ctx, NODE, BASE, create, 5, create_upid, &e), e);
	CHECK(phx_upid_node(create_upid, node) == 0 && strcmp(node, NODE) == 0,
	      "create UPID %s", create_upid);
	CHECK(strstr(create_upid, ":vzcreate:9100:"), "create UPID type: %s", create_upid);
	CHECK(strcmp(wait_task(&d, create_upid), "OK") == 0, "create task failed");
	OK(d.ops->get_config(d.ctx, NODE, BASE, &cfg, &e), e);
	CHECK(cfg_str(cfg, "hostname") && strcmp(cfg_str(cfg, "hostname"), "drv-base") == 0,
	      "hostname after create: %s", cfg_str(cfg, "hostname"));
	CHECK(!cfg_str(cfg, "lock"), "lock after create: %s", cfg_str(cfg, "lock"));
	json_object_put(cfg);
	OK(d.ops->list_guests(d.ctx, &l, &e), e);
	CHECK(find_guest(&l, BASE) && strcmp(find_guest(&l, BASE)->type, "lxc") == 0 &&
	      strcmp(find_guest(&l, BASE)->node, NODE) == 0, "CT %d not listed as lxc on %s", BASE, NODE);
	phx_guest_list_free(&l);
	printf("ok: created %d from %s (%s)\n", BASE, OSTEMPLATE, create_upid);

	/* what a retried create meets */
	refused(d.ops->create(d.ctx, NODE, BASE, create, 5, upid, &e), &e, PHX_E_EXISTS, 500,
		"CT 9100 already exists on node 'pve'", "second create of 9100");

	/* full clone of a non-template */
	OK(d.ops->clone(d.ctx, NODE, BASE, FULL, clone_full, 1, clone_upid, &e), e);
	CHECK(strcmp(wait_task(&d, clone_upid), "OK") == 0, "full clone task failed");
	OK(d.ops->get_config(d.ctx, NODE, FULL, &cfg, &e), e);
	CHECK(cfg_str(cfg, "hostname") && strcmp(cfg_str(cfg, "hostname"), "drv-full") == 0,
	      "clone hostname %s", cfg_str(cfg, "hostname"));
	json_object_put(cfg);
	printf("ok: cloned %d -> %d\n", BASE, FULL);

	/* convert: the call answers null, the config tells when it is done */
	OK(d.ops->template_(d.ctx, NODE, BASE, &e), e);
	end = now_s() + DEADLINE_S;
	for (;;) {
		const char *t;

		OK(d.ops->get_config(d.ctx, NODE, BASE, &cfg, &e), e);
		t = cfg_str(cfg, "template");
		if (t && strcmp(t, "1") == 0) {
			json_object_put(cfg);
			break;
		}
		json_object_put(cfg);
		CHECK(now_s() < end, "template never became 1");
		pause_ms(50);
	}
	printf("ok: converted %d to a template (config template=1)\n", BASE);
	refused(d.ops->template_(d.ctx, NODE, BASE, &e), &e, PHX_E_REFUSED, 500,
		"you can't convert a template to a template", "second conversion");

	/* linked clone of the template, its task log */
	OK(d.ops->clone(d.ctx, NODE, BASE, LINKED, clone_linked, 1, clone_upid, &e), e);
	CHECK(strcmp(wait_task(&d, clone_upid), "OK") == 0, "linked clone task failed");
	OK(d.ops->task_log(d.ctx, clone_upid, 0, &lines, &nlines, &e), e);
	CHECK(nlines >= 2, "clone log has %zu lines", nlines);
	CHECK(strcmp(lines[nlines - 1], "TASK OK") == 0, "last log line '%s'", lines[nlines - 1]);
	for (size_t i = 0; i < nlines; i++)
		printf("   log %zu: %s\n", i + 1, lines[i]);
	pve_strlist_free(lines, nlines);
	OK(d.ops->task_log(d.ctx, clone_upid, (unsigned)nlines - 1, &lines, &n, &e), e);
	CHECK(n == 1 && strcmp(lines[0], "TASK OK") == 0, "log from %zu: %zu lines", nlines - 1, n);
	pve_strlist_free(lines, n);
	printf("ok: linked clone %d -> %d, task log read whole and from line %zu\n", BASE, LINKED, nlines - 1);

	/* finding a task whose answer was lost */
	OK(d.ops->last_task(d.ctx, NODE, BASE, "vzcreate", upid, &st, &e), e);
	CHECK(strcmp(upid, create_upid) == 0, "last vzcreate of %d: '%s', expected %s", BASE, upid,
	      create_upid);
	CHECK(!st.running && strcmp(st.exitstatus, "OK") == 0, "last vzcreate status %s", st.exitstatus);
	OK(d.ops->last_task(d.ctx, NODE, BASE, "vzclone", upid, &st, &e), e);
	CHECK(strstr(upid, ":vzclone:9100:"), "last vzclone of %d: '%s'", BASE, upid);
	OK(d.ops->last_task(d.ctx, NODE, BASE, "vzrestore", upid, &st, &e), e);
	CHECK(upid[0] == '\0', "a vzrestore of %d was found: %s", BASE, upid);
	printf("ok: last_task finds the create and clone tasks, none for vzrestore\n");

	/* config changes and refusals */
	OK(d.ops->set_config(d.ctx, NODE, LINKED, mem, 2, &e), e);
	OK(d.ops->get_config(d.ctx, NODE, LINKED, &cfg, &e), e);
	CHECK(cfg_str(cfg, "memory") && strcmp(cfg_str(cfg, "memory"), "512") == 0, "memory %s",
	      cfg_str(cfg, "memory"));
	CHECK(cfg_str(cfg, "description") && strncmp(cfg_str(cfg, "description"),
	      "set by the driver test\nline 2", 29) == 0, "description '%s'", cfg_str(cfg, "description"));
	json_object_put(cfg);
	printf("ok: PUT config applied (memory, multi-line description)\n");
	refused(d.ops->set_config(d.ctx, NODE, LINKED, bad, 1, &e), &e, PHX_E_REFUSED, 400,
		"Parameter verification failed. (foo: property is not defined in schema and the schema "
		"does not allow additional properties)", "unknown config key");
	refused(d.ops->get_config(d.ctx, NODE, 9999, &cfg, &e), &e, PHX_E_NOTFOUND, 500,
		"Configuration file 'nodes/pve/lxc/9999.conf' does not exist", "config of 9999");

	/* start, destroy refused while running, stop, destroy */
	OK(d.ops->status_op(d.ctx, NODE, LINKED, "start", upid, &e), e);
	CHECK(strcmp(wait_task(&d, upid), "OK") == 0, "start task failed");
	refused(d.ops->destroy_ct(d.ctx, NODE, LINKED, NULL, 0, upid, &e), &e, PHX_E_REFUSED, 500,
		"unable to destroy CT 9102 - container is running", "destroy of a running CT");
	OK(d.ops->status_op(d.ctx, NODE, LINKED, "stop", upid, &e), e);
	CHECK(strcmp(wait_task(&d, upid), "OK") == 0, "stop task failed");
	OK(d.ops->destroy_ct(d.ctx, NODE, LINKED, purge, 1, upid, &e), e);
	CHECK(strcmp(wait_task(&d, upid), "OK") == 0, "destroy task failed");
	refused(d.ops->get_config(d.ctx, NODE, LINKED, &cfg, &e), &e, PHX_E_NOTFOUND, 500,
		"Configuration file 'nodes/pve/lxc/9102.conf' does not exist", "config of destroyed 9102");
	printf("ok: start, stop, destroy (DELETE with purge=1 in the query)\n");
	refused(d.ops->status_op(d.ctx, NODE, LINKED, "explode", upid, &e), &e, PHX_E_REFUSED, 0,
		"unknown status operation 'explode'", "unknown status op");
	refused(d.ops->get_config(d.ctx, "pve/../x", BASE, &cfg, &e), &e, PHX_E_REFUSED, 0,
		"invalid node name 'pve/../x': a Proxmox node name is letters, digits and '-' inside (pve-node, no dots)", "node name with a slash");

	/* worker threads sharing the pool */
	{
		pthread_t t[4];

		for (int i = 0; i < 4; i++)
			CHECK(pthread_create(&t[i], NULL, list_many, &d) == 0, "pthread_create");
		for (int i = 0; i < 4; i++) {
			void *r;

			pthread_join(t[i], &r);
			CHECK(r == NULL, "a thread's list_guests failed");
		}
		printf("ok: 4 threads x 10 list_guests on one pool\n");
	}
	phx_driver_destroy(&d);
}

static void security(void)
{
	char wrong[128], want[256], badtok[512], line[512];
	struct phx_driver d;
	struct phx_err e;
	char **nodes;
	size_t n;
	int fd;
	FILE *f;

	/* wrong fingerprint: refused, the message shows what was seen */
	snprintf(wrong, sizeof(wrong), "%s", fingerprint);
	wrong[0] = wrong[0] == '0' ? '1' : '0';
	d = driver(wrong, NULL, token_file);
	snprintf(want, sizeof(want), "server certificate fingerprint did not match pve_fingerprint: "
		 "the server presented %s", fingerprint);
	refused(d.ops->list_nodes(d.ctx, &nodes, &n, &e), &e, PHX_E_TLS, 0, want, "wrong fingerprint");
	phx_driver_destroy(&d);

	/* lower-case pin of the right certificate */
	snprintf(wrong, sizeof(wrong), "%s", fingerprint);
	for (char *p = wrong; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p + 32);
	d = driver(wrong, NULL, token_file);
	OK(d.ops->list_nodes(d.ctx, &nodes, &n, &e), e);
	pve_strlist_free(nodes, n);
	phx_driver_destroy(&d);
	printf("ok: lower-case fingerprint accepted\n");

	/* no pin, no CA: pvesim's self-signed certificate is not trusted */
	d = driver(NULL, NULL, token_file);
	CHECK(d.ops->list_nodes(d.ctx, &nodes, &n, &e) == -1 && e.kind == PHX_E_TLS,
	      "unverified server accepted: [%s] %s", phx_err_kind_name(e.kind), e.msg);
	printf("ok: default verification refused: %s\n", e.msg);
	phx_driver_destroy(&d);

	/* its certificate as the CA file */
	d = driver(NULL, cert, token_file);
	OK(d.ops->list_nodes(d.ctx, &nodes, &n, &e), e);
	pve_strlist_free(nodes, n);
	phx_driver_destroy(&d);
	printf("ok: verified with pve_cafile\n");

	/* a token with the wrong secret */
	f = fopen(token_file, "r");
	CHECK(f && fgets(line, sizeof(line), f), "cannot read %s", token_file);
	fclose(f);
	CHECK(strchr(line, '='), "token without '='");
	strcpy(strrchr(line, '=') + 1, "00000000-0000-0000-0000-000000000000\n");
	snprintf(badtok, sizeof(badtok), "%s/bad-token", state_dir);
	fd = open(badtok, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && write(fd, line, strlen(line)) == (ssize_t)strlen(line), "write %s", badtok);
	close(fd);
	d = driver(fingerprint, NULL, badtok);
	refused(d.ops->list_nodes(d.ctx, &nodes, &n, &e), &e, PHX_E_AUTH, 401, NULL, "bad token");
	CHECK(!strstr(e.msg, "00000000-0000"), "the secret is in the error: %s", e.msg);
	phx_driver_destroy(&d);
	unlink(badtok);
}

static void old_server(void)
{
	struct phx_driver d = driver(fingerprint, NULL, token_file);
	const struct phx_kv no_template[] = { { "hostname", "x" } };
	char upid[PHX_UPID_MAX];
	struct phx_err e;
	json_object *cfg;

	refused(d.ops->get_config(d.ctx, NODE, 9999, &cfg, &e), &e, PHX_E_NOTFOUND, 500,
		"Configuration file 'nodes/pve/lxc/9999.conf' does not exist",
		"config of 9999 (no message field)");
	refused(d.ops->create(d.ctx, NODE, 9200, no_template, 1, upid, &e), &e, PHX_E_REFUSED, 400,
		"Parameter verification failed. (ostemplate: property is missing and it is not optional)",
		"create without ostemplate (no message field)");
	phx_driver_destroy(&d);
}

/* Snapshots, resize, firewall and the storage listing on CT vmid. The
 * first failure exits 1 with the server's text (a 403 names the
 * privilege). */
static void round_calls(uint32_t vmid)
{
	struct phx_driver d = driver(fingerprint, NULL, token_file);
	const struct phx_kv rule[] = { { "type", "in" }, { "action", "ACCEPT" },
				       { "proto", "tcp" }, { "dport", "22" }, { "enable", "1" } };
	const struct phx_kv fwopt[] = { { "enable", "1" } };
	struct phx_storage_list sl = { 0 };
	struct phx_err e = { 0 };
	char upid[PHX_UPID_MAX], **names = NULL;
	json_object *rules = NULL;
	size_t n = 0;
	bool lvm = false;

	OK(d.ops->list_storage(d.ctx, &sl, &e), e);
	for (size_t i = 0; i < sl.n; i++)
		lvm |= strcmp(sl.v[i].id, "local-lvm") == 0;
	CHECK(lvm, "local-lvm not in the storage list (%zu listed)", sl.n);
	phx_storage_list_free(&sl);
	printf("ok: storage listing\n");
	OK(d.ops->snapshot(d.ctx, NODE, vmid, "perm1", "round", upid, &e), e);
	CHECK(strcmp(wait_task(&d, upid), "OK") == 0, "snapshot task failed");
	OK(d.ops->list_snapshots(d.ctx, NODE, vmid, &names, &n, &e), e);
	CHECK(n == 1 && strcmp(names[0], "perm1") == 0, "snapshots: %zu", n);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	OK(d.ops->delete_snapshot(d.ctx, NODE, vmid, "perm1", upid, &e), e);
	CHECK(strcmp(wait_task(&d, upid), "OK") == 0, "snapshot delete task failed");
	printf("ok: snapshot create, list, delete\n");
	OK(d.ops->resize(d.ctx, NODE, vmid, "rootfs", "+1G", upid, &e), e);
	CHECK(!*upid || strcmp(wait_task(&d, upid), "OK") == 0, "resize task failed");
	printf("ok: resize\n");
	OK(d.ops->fw_add_rule(d.ctx, NODE, vmid, rule, 5, &e), e);
	OK(d.ops->fw_rules(d.ctx, NODE, vmid, &rules, &e), e);
	CHECK(json_object_array_length(rules) == 1, "firewall rules: %zu",
	      json_object_array_length(rules));
	json_object_put(rules);
	OK(d.ops->fw_delete_rule(d.ctx, NODE, vmid, 0, &e), e);
	OK(d.ops->fw_set_options(d.ctx, NODE, vmid, fwopt, 1, &e), e);
	printf("ok: firewall rules and options\n");
	phx_driver_destroy(&d);
}

/* Every answer is damaged the same way: each call must fail with a
 * transient "protocol error" (so the engine tries again), never crash or
 * take a damaged answer for data. */
static void damaged(const char *kind)
{
	struct phx_driver d = driver(fingerprint, NULL, token_file);
	const char *want = strcmp(kind, "truncate") == 0 ? "answer cut short" :
		strcmp(kind, "ctype") == 0 ? "not JSON (a proxy in the way?)" :
		"answer is not valid JSON";
	const struct phx_kv create[] = { { "ostemplate", OSTEMPLATE }, { "rootfs", "local-lvm:4" } };
	struct phx_guest_list l = { 0 };
	struct phx_storage_list sl = { 0 };
	struct phx_task_status st;
	struct phx_err e;
	json_object *cfg = NULL;
	char **nodes = NULL, upid[PHX_UPID_MAX];
	size_t n = 0;
	int rc[6];

	memset(&e, 0, sizeof(e));
	rc[0] = d.ops->list_guests(d.ctx, &l, &e);
	CHECK(rc[0] == -1 && e.kind == PHX_E_TRANSIENT && strstr(e.msg, want) &&
	      strncmp(e.msg, "protocol error: ", 16) == 0,
	      "list_guests: rc %d [%s] %s", rc[0], phx_err_kind_name(e.kind), e.msg);
	printf("ok: list_guests: [%s] %s\n", phx_err_kind_name(e.kind), e.msg);
	rc[1] = d.ops->list_nodes(d.ctx, &nodes, &n, &e);
	CHECK(rc[1] == -1 && e.kind == PHX_E_TRANSIENT && strstr(e.msg, want),
	      "list_nodes: [%s] %s", phx_err_kind_name(e.kind), e.msg);
	/* errors come undamaged (the faults touch 200s only) */
	rc[2] = d.ops->get_config(d.ctx, NODE, 100, &cfg, &e);
	CHECK(rc[2] == -1 && e.kind == PHX_E_NOTFOUND && !cfg,
	      "get_config: [%s] %s", phx_err_kind_name(e.kind), e.msg);
	rc[3] = d.ops->list_storage(d.ctx, &sl, &e);
	CHECK(rc[3] == -1 && e.kind == PHX_E_TRANSIENT && sl.n == 0,
	      "list_storage: [%s] %s", phx_err_kind_name(e.kind), e.msg);
	/* the create happened; its answer was lost, so the driver's retry
	 * meets what the first attempt made (docs/driver.md, Retries) */
	rc[4] = d.ops->create(d.ctx, NODE, 9300, create, 2, upid, &e);
	CHECK(rc[4] == -1 && e.kind == PHX_E_EXISTS,
	      "create: [%s] %s", phx_err_kind_name(e.kind), e.msg);
	rc[5] = d.ops->last_task(d.ctx, NODE, 9300, "vzcreate", upid, &st, &e);
	CHECK(rc[5] == -1 && e.kind == PHX_E_TRANSIENT,
	      "last_task: [%s] %s", phx_err_kind_name(e.kind), e.msg);
	printf("ok: nodes, storage, create, last_task: transient protocol errors; a 500 unchanged\n");
	phx_driver_destroy(&d);
}

static const char *env(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v)
		failf("%s is not set (run under tests/integration/pvesim/lib.sh)", name);
	return v;
}

int main(int argc, char **argv)
{
	url = env("PVESIM_URL");
	token_file = env("PVESIM_TOKEN_FILE");
	fingerprint = env("PVESIM_FINGERPRINT");
	cert = env("PVESIM_CERT");
	state_dir = env("PVESIM_DIR");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && strcmp(argv[1], "full") == 0) {
		full();
		security();
	} else if (argc == 2 && strcmp(argv[1], "old") == 0) {
		old_server();
	} else if (argc == 3 && strcmp(argv[1], "damaged") == 0) {
		damaged(argv[2]);
	} else if (argc == 3 && strcmp(argv[1], "round") == 0) {
		round_calls((uint32_t)strtoul(argv[2], NULL, 10));
	} else {
		failf("usage: pve_client full|old|damaged KIND|round VMID");
	}
	printf("PASS: %d checks\n", checks);
	return 0;
}
