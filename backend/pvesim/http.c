/* HTTP layer: everything about the wire, nothing about the rules. */
#include "http.h"

#include <dlfcn.h>
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* pve-http-server AnyEvent.pm: $limit_max_post = 512 * 1024; a longer
 * form or JSON body is answered 501 "for data too large" */
#define MAX_BODY (512 * 1024)

struct http_server {
	struct sim *sim;
	struct http_opts o;
	struct MHD_Daemon *d;
	pthread_mutex_t mu;      /* guards sim and faults */
	pthread_cond_t cv;       /* wakes the clock thread */
	pthread_t clock;
	bool stop;
};

struct req {
	char *body;
	size_t len;
	bool too_big;
	json_object *form;       /* form fields collected by the post processor */
};

/* ---- reason phrases ----
 * PVE puts the first line of the error in the status line. libmicrohttpd
 * has no API for a custom reason phrase, but it looks the phrase up through
 * its exported MHD_get_reason_phrase_for(), called via the PLT. Defining
 * that function here (the executable is linked with --export-dynamic)
 * interposes it: with one thread per connection, the thread that queued
 * the response also builds its header, so a thread-local phrase is the
 * right one. Any other code gets the library's own phrase. */
static __thread char reason_buf[512];
static __thread unsigned reason_code;

typedef const char *(*reason_fn)(unsigned int);

const char *MHD_get_reason_phrase_for(unsigned int code);
size_t MHD_get_reason_phrase_len_for(unsigned int code);

const char *MHD_get_reason_phrase_for(unsigned int code)
{
	static reason_fn orig;
	if (reason_code == code && reason_buf[0])
		return reason_buf;
	if (!orig)
		orig = (reason_fn)dlsym(RTLD_NEXT, "MHD_get_reason_phrase_for");
	return orig ? orig(code) : "Unknown";
}

size_t MHD_get_reason_phrase_len_for(unsigned int code)
{
	return strlen(MHD_get_reason_phrase_for(code));
}

static void set_reason(unsigned code, const char *msg)
{
	size_t n;
	reason_code = code;
	if (!msg) {
		reason_buf[0] = 0;
		return;
	}
	n = strcspn(msg, "\n");
	if (n >= sizeof(reason_buf))
		n = sizeof(reason_buf) - 1;
	memcpy(reason_buf, msg, n);
	reason_buf[n] = 0;
}

/* ---- helpers ---- */

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void log_request(const char *method, const char *url, int status,
			const char *why)
{
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%F %T", &tm);
	fprintf(stderr, "%s pvesim: %s %s -> %d%s%.*s\n", ts, method, url, status,
		why ? " " : "", why ? (int)strcspn(why, "\n") : 0, why ? why : "");
}

static enum MHD_Result send_raw(struct MHD_Connection *c, unsigned status,
				const char *reason, const char *ctype,
				const char *body)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(strlen(body), (void *)body,
					       MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	if (ctype)
		MHD_add_response_header(resp, "Content-Type", ctype);
	MHD_add_response_header(resp, "Cache-Control", "max-age=0");
	MHD_add_response_header(resp, "Pragma", "no-cache");
	MHD_add_response_header(resp, "Server", "pve-api-daemon/3.0");
	set_reason(status, reason);
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* The answer may hold objects of the simulation itself (a task, a guest's
 * config), which the clock thread changes as soon as h->mu is released:
 * under the lock, replace them by copies the answer owns. */
static void detach_result(struct sim_res *r)
{
	json_object **parts[] = { &r->data, &r->errors };

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		json_object *copy = NULL;
		if (!*parts[i])
			continue;
		if (json_object_deep_copy(*parts[i], &copy, NULL) < 0) {
			r->status = 500;
			snprintf(r->msg, sizeof(r->msg), "out of memory");
		}
		json_object_put(*parts[i]);
		*parts[i] = copy;
	}
}

/* --faults truncate: a body that announces its full length and stops
 * halfway; libmicrohttpd then closes the connection, as a proxy or a
 * network that dies mid-answer leaves it. */
struct half_body {
	char *buf;
	size_t len, cut;
};

static ssize_t half_reader(void *cls, uint64_t pos, char *out, size_t max)
{
	struct half_body *b = cls;
	size_t n;

	if (pos >= b->cut)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	n = b->cut - (size_t)pos < max ? b->cut - (size_t)pos : max;
	memcpy(out, b->buf + pos, n);
	return (ssize_t)n;
}

static void half_free(void *cls)
{
	struct half_body *b = cls;
	free(b->buf);
	free(b);
}

static enum MHD_Result send_damaged(struct MHD_Connection *c, const char *body,
				    const struct fault_draw *fd)
{
	struct MHD_Response *resp = NULL;
	enum MHD_Result ret;
	size_t len = strlen(body);

	if (fd->truncate) {
		struct half_body *b = calloc(1, sizeof(*b));
		if (!b || !(b->buf = strdup(body))) {
			free(b);
			return MHD_NO;
		}
		b->len = len;
		b->cut = len / 2;
		resp = MHD_create_response_from_callback(len, 4096, half_reader, b, half_free);
		if (!resp) {
			half_free(b);
			return MHD_NO;
		}
		MHD_add_response_header(resp, "Content-Type", "application/json;charset=UTF-8");
	} else if (fd->ctype) {
		/* what a captive portal or a misrouted proxy answers */
		static const char page[] =
			"<!DOCTYPE html><html><head><title>Proxy</title></head>"
			"<body><p>Please sign in.</p></body></html>\n";
		resp = MHD_create_response_from_buffer(sizeof(page) - 1, (void *)page,
						       MHD_RESPMEM_PERSISTENT);
		if (resp)
			MHD_add_response_header(resp, "Content-Type", "text/html");
	} else {
		/* badjson: the envelope with its last byte replaced */
		char *bad = strdup(body);
		if (!bad)
			return MHD_NO;
		if (len > 0)
			bad[len - 1] = ',';
		resp = MHD_create_response_from_buffer(len, bad, MHD_RESPMEM_MUST_FREE);
		if (!resp)
			free(bad);
		else
			MHD_add_response_header(resp, "Content-Type",
						"application/json;charset=UTF-8");
	}
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Server", "pve-api-daemon/3.0");
	set_reason(200, NULL);
	ret = MHD_queue_response(c, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result send_result(struct http_server *h,
				   struct MHD_Connection *c,
				   const struct sim_res *r,
				   const struct fault_draw *fd)
{
	json_object *env = json_object_new_object();
	enum MHD_Result ret;

	if (r->status == 200) {
		json_object_object_add(env, "data", json_object_get(r->data));
		if (r->total >= 0)
			json_object_object_add(env, "total",
					       json_object_new_int(r->total));
	} else {
		json_object_object_add(env, "data", NULL);
		if (r->errors)
			json_object_object_add(env, "errors",
					       json_object_get(r->errors));
		if (!h->o.no_message)
			json_object_object_add(env, "message",
					       json_object_new_string(r->msg));
	}
	if (r->status == 200 && fd && (fd->badjson || fd->truncate || fd->ctype))
		ret = send_damaged(c, json_object_to_json_string_ext(env,
					JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), fd);
	else
		ret = send_raw(c, r->status, r->status == 200 ? NULL : r->msg,
			       "application/json;charset=UTF-8",
			       json_object_to_json_string_ext(env, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(env);
	return ret;
}

/* ---- parameters ---- */

/* pve-http-server AnyEvent.pm decode_urlencoded (since 5.0.2, in PVE 8
 * and 9): a key given again makes its value an array of every value, in
 * order; what an array means is the schema's business (sim_validate). */
static void add_value(json_object *p, const char *key, json_object *v)
{
	json_object *old;
	if (!json_object_object_get_ex(p, key, &old)) {
		json_object_object_add(p, key, v);
		return;
	}
	if (!json_object_is_type(old, json_type_array)) {
		json_object *a = json_object_new_array();
		json_object_array_add(a, json_object_get(old));
		json_object_object_add(p, key, a);
		old = a;
	}
	json_object_array_add(old, v);
}

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind,
				   const char *key, const char *value)
{
	json_object *p = cls;
	(void)kind;
	if (key)
		add_value(p, key, json_object_new_string(value ? value : ""));
	return MHD_YES;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' :
	       c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* '+' is a space, %XX a byte; in place */
static void url_unescape(char *s)
{
	char *w = s;
	for (; *s; s++) {
		if (*s == '+') {
			*w++ = ' ';
		} else if (*s == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
			*w++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
			s += 2;
		} else {
			*w++ = *s;
		}
	}
	*w = 0;
}

/* pve-http-server AnyEvent.pm decode_urlencoded, for form bodies: pairs
 * split on '&' and ';', each on '=' keeping the first two fields (so an
 * unescaped '=' cuts the value there, as Perl's split does); a key without
 * '=' has no value (null); repeats become arrays (add_value). */
static json_object *decode_urlencoded(const char *body, size_t len)
{
	json_object *p = json_object_new_object();
	char *buf = malloc(len + 1), *save, *kv;

	if (!buf) {
		json_object_put(p);
		return NULL;
	}
	memcpy(buf, body, len);
	buf[len] = 0;
	for (kv = strtok_r(buf, "&;", &save); kv; kv = strtok_r(NULL, "&;", &save)) {
		char *eq = strchr(kv, '='), *v = NULL;
		if (eq) {
			*eq = 0;
			v = eq + 1;
			v[strcspn(v, "=")] = 0;
			url_unescape(v);
		}
		url_unescape(kv);
		if (!*kv && !v)
			continue;
		add_value(p, kv, v ? json_object_new_string(v) : NULL);
	}
	free(buf);
	return p;
}

/* The body (form or JSON), then the query string over it: AnyEvent.pm
 * extract_params lets a query parameter replace a body one. */
static int gather_params(struct MHD_Connection *c, struct req *rq,
			 json_object **out, struct sim_res *r)
{
	json_object *p = json_object_new_object(), *q = json_object_new_object();
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_TYPE);
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, q);
	if (rq->len > 0 && ct && !strncasecmp(ct, "application/json", 16)) {
		json_tokener *tok = json_tokener_new();
		json_object *b = json_tokener_parse_ex(tok, rq->body, (int)rq->len);
		bool ok = b && json_tokener_get_error(tok) == json_tokener_success &&
			  json_object_is_type(b, json_type_object);
		json_tokener_free(tok);
		if (!ok) {
			json_object_put(b);
			json_object_put(p);
			json_object_put(q);
			r->status = 400;
			snprintf(r->msg, sizeof(r->msg), "malformed JSON string\n");
			return -1;
		}
		json_object_object_foreach(b, k, v)
			json_object_object_add(p, k, json_object_get(v));
		json_object_put(b);
	} else if (rq->form) {
		json_object_object_foreach(rq->form, k, v)
			json_object_object_add(p, k, json_object_get(v));
	}
	json_object_object_foreach(q, qk, qv)
		json_object_object_add(p, qk, json_object_get(qv));
	json_object_put(q);
	*out = p;
	return 0;
}

/* ---- routing ---- */

enum { M_GET, M_POST, M_PUT, M_DELETE, M_OTHER };

struct route_ctx {
	struct http_server *h;
	int method;
	char *seg[12];
	int nseg;
	json_object *p;
	struct sim_call call;
	int vmid_for_lock;       /* CT whose flock a lock fault would hit */
};

static bool is(const struct route_ctx *x, int i, const char *s)
{
	return i < x->nseg && !strcmp(x->seg[i], s);
}

/* Path parameters may be repeated in the body only with the same value. */
static int path_param(struct route_ctx *x, const char *name, const char *val,
		      struct sim_res *r)
{
	json_object *v;
	if (!json_object_object_get_ex(x->p, name, &v))
		return 0;
	if (strcmp(json_object_get_string(v), val)) {
		r->status = 400;
		snprintf(r->msg, sizeof(r->msg),
			 "duplicate parameter (already defined in URI) with conflicting values!\n");
		return -1;
	}
	json_object_object_del(x->p, name);
	return 0;
}

static void not_implemented(struct route_ctx *x, const char *method,
			    const char *path, struct sim_res *r)
{
	(void)x;
	r->status = 501;
	snprintf(r->msg, sizeof(r->msg), "Method '%s %s' not implemented", method, path);
}

/* Returns with r filled. Called with h->mu held. */
static void dispatch(struct route_ctx *x, const char *method, const char *path,
		     struct sim_res *r)
{
	struct sim *s = x->h->sim;
	const char *node, *vmid;
	int m = x->method;

	if (x->nseg == 1 && is(x, 0, "version") && m == M_GET)
		return sim_version(s, r);
	if (x->nseg == 1 && is(x, 0, "nodes") && m == M_GET)
		return sim_nodes(s, x->h->o.fingerprint, r);
	if (x->nseg == 3 && is(x, 0, "cluster") && is(x, 1, "ha") && is(x, 2, "resources")) {
		if (m == M_GET)
			return sim_ha_resources(s, x->p, r);
		if (m == M_POST)
			return sim_ha_resource_add(s, x->p, r);
	}
	if (x->nseg == 4 && is(x, 0, "cluster") && is(x, 1, "ha") && is(x, 2, "resources") &&
	    m == M_DELETE)
		return sim_ha_resource_delete(s, x->seg[3], x->p, r);
	if (x->nseg == 2 && is(x, 0, "cluster") && is(x, 1, "resources") && m == M_GET)
		return sim_cluster_resources(s, x->p, r);
	if (x->nseg == 2 && is(x, 0, "cluster") && is(x, 1, "nextid") && m == M_GET)
		return sim_nextid(s, x->p, r);
	if (x->nseg == 2 && is(x, 0, "cluster") && is(x, 1, "status") && m == M_GET)
		return sim_cluster_status(s, x->p, r);
	if (x->nseg == 1 && is(x, 0, "storage") && m == M_GET)
		return sim_storage_config_list(s, x->p, r);
	if (x->nseg == 2 && is(x, 0, "storage") && m == M_GET) {
		if (path_param(x, "storage", x->seg[1], r))
			return;
		return sim_storage_config_get(s, x->seg[1], x->p, r);
	}
	if (x->nseg < 3 || !is(x, 0, "nodes"))
		return not_implemented(x, method, path, r);
	node = x->seg[1];
	if (path_param(x, "node", node, r))
		return;
	if (x->nseg == 3 && m == M_GET) {
		if (is(x, 2, "status"))
			return sim_node_status(s, node, x->p, r);
		if (is(x, 2, "version"))
			return sim_node_version(s, node, x->p, r);
		if (is(x, 2, "network"))
			return sim_node_network(s, node, x->p, r);
	}
	if (is(x, 2, "storage")) {
		if (x->nseg == 3 && m == M_GET)
			return sim_storage_list(s, node, x->p, r);
		if (x->nseg == 5 && is(x, 4, "content") && m == M_GET)
			return sim_storage_content(s, node, x->seg[3], x->p, r);
		return not_implemented(x, method, path, r);
	}
	if (is(x, 2, "tasks")) {
		if (x->nseg == 3 && m == M_GET)
			return sim_task_list(s, node, x->p, r);
		if (x->nseg == 5 && is(x, 4, "status") && m == M_GET)
			return sim_task_status(s, node, x->seg[3], r);
		if (x->nseg == 5 && is(x, 4, "log") && m == M_GET)
			return sim_task_log(s, node, x->seg[3], x->p, r);
		return not_implemented(x, method, path, r);
	}
	if (!is(x, 2, "lxc"))
		return not_implemented(x, method, path, r);
	if (x->nseg == 3) {
		if (m == M_GET)
			return sim_lxc_list(s, node, r);
		if (m == M_POST)
			return sim_lxc_create(s, node, x->p, &x->call, r);
		return not_implemented(x, method, path, r);
	}
	vmid = x->seg[3];
	if (path_param(x, "vmid", vmid, r))
		return;
	if (x->nseg == 4) {
		if (m == M_DELETE)
			return sim_lxc_destroy(s, node, vmid, x->p, &x->call, r);
		if (m == M_GET) {
			static const char *const dirs[] = { "config", "pending", "status",
				"snapshot", "clone", "template", "feature", "resize",
				"interfaces", "firewall", "migrate", NULL };
			json_object *arr = json_object_new_array();
			int id;
			if (!sim_check_node(s, node, r)) {
				for (const char *const *d = dirs; *d; d++) {
					json_object *o = json_object_new_object();
					json_object_object_add(o, "subdir", json_object_new_string(*d));
					json_object_array_add(arr, o);
				}
				(void)id;
			}
			r->data = arr;
			return;
		}
		return not_implemented(x, method, path, r);
	}
	if (x->nseg == 5 && is(x, 4, "pending") && m == M_GET)
		return sim_lxc_pending(s, node, vmid, x->p, r);
	if (x->nseg == 5 && is(x, 4, "interfaces") && m == M_GET)
		return sim_lxc_interfaces(s, node, vmid, x->p, r);
	if (x->nseg == 5 && is(x, 4, "resize") && m == M_PUT)
		return sim_lxc_resize(s, node, vmid, x->p, &x->call, r);
	if (x->nseg >= 6 && is(x, 4, "firewall")) {
		if (x->nseg == 6 && is(x, 5, "options")) {
			if (m == M_GET)
				return sim_fw_options_get(s, node, vmid, x->p, r);
			if (m == M_PUT)
				return sim_fw_options_set(s, node, vmid, x->p, r);
		}
		if (x->nseg == 6 && is(x, 5, "rules")) {
			if (m == M_GET)
				return sim_fw_rules_list(s, node, vmid, x->p, r);
			if (m == M_POST)
				return sim_fw_rule_create(s, node, vmid, x->p, r);
		}
		if (x->nseg == 7 && is(x, 5, "rules")) {
			if (path_param(x, "pos", x->seg[6], r))
				return;
			if (m == M_GET)
				return sim_fw_rule_get(s, node, vmid, x->seg[6], x->p, r);
			if (m == M_PUT)
				return sim_fw_rule_update(s, node, vmid, x->seg[6], x->p, r);
			if (m == M_DELETE)
				return sim_fw_rule_delete(s, node, vmid, x->seg[6], x->p, r);
		}
		return not_implemented(x, method, path, r);
	}
	if (x->nseg == 5 && is(x, 4, "config")) {
		if (m == M_GET)
			return sim_lxc_config_get(s, node, vmid, x->p, r);
		if (m == M_PUT)
			return sim_lxc_config_put(s, node, vmid, x->p, &x->call, r);
		return not_implemented(x, method, path, r);
	}
	if (x->nseg == 6 && is(x, 4, "status")) {
		if (is(x, 5, "current") && m == M_GET)
			return sim_lxc_status_current(s, node, vmid, r);
		if (m == M_POST && (is(x, 5, "start") || is(x, 5, "stop") ||
				    is(x, 5, "shutdown") || is(x, 5, "reboot")))
			return sim_lxc_status_op(s, node, vmid, x->seg[5], x->p,
						 &x->call, r);
		return not_implemented(x, method, path, r);
	}
	if (x->nseg == 5 && is(x, 4, "clone") && m == M_POST)
		return sim_lxc_clone(s, node, vmid, x->p, &x->call, r);
	if (x->nseg == 5 && is(x, 4, "migrate") && m == M_POST)
		return sim_lxc_migrate(s, node, vmid, x->p, &x->call, r);
	if (x->nseg == 5 && is(x, 4, "template") && m == M_POST)
		return sim_lxc_template(s, node, vmid, x->p, &x->call, r);
	if (x->nseg == 5 && is(x, 4, "feature") && m == M_GET)
		return sim_lxc_feature(s, node, vmid, x->p, r);
	if (is(x, 4, "snapshot")) {
		if (x->nseg == 5 && m == M_GET)
			return sim_snapshot_list(s, node, vmid, r);
		if (x->nseg == 5 && m == M_POST)
			return sim_snapshot_create(s, node, vmid, x->p, &x->call, r);
		if (x->nseg >= 6 && path_param(x, "snapname", x->seg[5], r))
			return;
		if (x->nseg == 6 && m == M_DELETE)
			return sim_snapshot_delete(s, node, vmid, x->seg[5], x->p,
						   &x->call, r);
		if (x->nseg == 6 && m == M_GET)
			return sim_snapshot_index(s, node, vmid, x->seg[5], x->p, r);
		if (x->nseg == 7 && is(x, 6, "config") && m == M_GET)
			return sim_snapshot_config_get(s, node, vmid, x->seg[5], x->p, r);
		if (x->nseg == 7 && is(x, 6, "config") && m == M_PUT)
			return sim_snapshot_config_put(s, node, vmid, x->seg[5], x->p, r);
		if (x->nseg == 7 && is(x, 6, "rollback") && m == M_POST)
			return sim_snapshot_rollback(s, node, vmid, x->seg[5], x->p,
						     &x->call, r);
	}
	return not_implemented(x, method, path, r);
}

/* ---- the request handler ---- */

static int auth_check(struct http_server *h, struct MHD_Connection *c,
		      const char **why)
{
	const char *a = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);
	const char *cookie = MHD_lookup_connection_value(c, MHD_COOKIE_KIND,
							 "PVEAuthCookie");
	if (cookie) {
		/* tickets are not simulated; an invalid ticket wins over a token */
		*why = "Authentication failed!";
		return -1;
	}
	if (!a || strncmp(a, "PVEAPIToken", 11) || (a[11] != '=' && a[11] != ' ')) {
		*why = "No ticket";
		return -1;
	}
	if (strcmp(a + 12, h->o.token)) {
		/* a token of access.json: USER@REALM!NAME=SECRET, split at the
		 * last '=' as AccessControl.pm does */
		const char *eq = strrchr(a + 12, '=');
		char id[256];
		int rc = -1;
		if (eq && (size_t)(eq - a - 12) < sizeof(id)) {
			snprintf(id, sizeof(id), "%.*s", (int)(eq - a - 12), a + 12);
			pthread_mutex_lock(&h->mu);
			sim_access_refresh(h->sim);
			rc = sim_access_token(h->sim, id, eq + 1);
			pthread_mutex_unlock(&h->mu);
		}
		if (rc) {
			*why = "Authentication failed!";
			return -1;
		}
	}
	return 0;
}

static const char *token_user(const char *token, char *buf, size_t len)
{
	/* the user is everything before the last '=' */
	const char *eq = strrchr(token, '=');
	snprintf(buf, len, "%.*s", eq ? (int)(eq - token) : (int)strlen(token), token);
	return buf;
}

static int method_of(const char *m)
{
	if (!strcmp(m, "GET") || !strcmp(m, "HEAD"))
		return M_GET;
	if (!strcmp(m, "POST"))
		return M_POST;
	if (!strcmp(m, "PUT"))
		return M_PUT;
	if (!strcmp(m, "DELETE"))
		return M_DELETE;
	return M_OTHER;
}

/* Not Proxmox: POST /pvesim/offline/NODE takes a node down, DELETE
 * brings it back (tests); only with pvesim's own root token. */
static enum MHD_Result admin_offline(struct http_server *h, struct MHD_Connection *c,
				     const char *node, int m)
{
	const char *a = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);
	int rc;

	if (!a || strncmp(a, "PVEAPIToken", 11) || strlen(a) < 12 || strcmp(a + 12, h->o.token))
		return send_raw(c, 401, "pvesim admin needs the root token", NULL, "");
	if (m != M_POST && m != M_DELETE)
		return send_raw(c, 501, "POST or DELETE", NULL, "");
	pthread_mutex_lock(&h->mu);
	rc = sim_set_node_offline(h->sim, node, m == M_POST);
	pthread_mutex_unlock(&h->mu);
	log_request(m == M_POST ? "POST" : "DELETE", node, rc ? 400 : 200, rc ? "not a remote node" : NULL);
	if (rc)
		return send_raw(c, 400, "not a node other than the first", "text/plain",
				"not a node other than the first\n");
	return send_raw(c, 200, NULL, "application/json", "{\"data\":null}");
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct http_server *h = cls;
	struct req *rq = *con_cls;
	struct route_ctx x;
	struct sim_res r;
	struct fault_draw fd = { 0 };
	const char *why;
	char path[2048], user[256];
	enum MHD_Result ret;
	int m = method_of(method);
	(void)version;

	if (!rq) {
		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_size) {
		if (rq->len + *upload_size > MAX_BODY) {
			rq->too_big = true;
		} else {
			char *nb = realloc(rq->body, rq->len + *upload_size + 1);
			if (!nb)
				return MHD_NO;
			rq->body = nb;
			memcpy(rq->body + rq->len, upload, *upload_size);
			rq->len += *upload_size;
			rq->body[rq->len] = 0;
		}
		*upload_size = 0;
		return MHD_YES;
	}

	if (!strncmp(url, "/pvesim/offline/", 16))
		return admin_offline(h, c, url + 16, m);
	if (strncmp(url, "/api2/json/", 11)) {
		log_request(method, url, 501, "no such uri");
		return send_raw(c, 501, "no such uri", "text/plain", "");
	}
	if (auth_check(h, c, &why)) {
		/* on purpose, like pveproxy: slow down credential guessing */
		sleep_ms(h->o.auth_delay_ms);
		log_request(method, url, 401, why);
		return send_raw(c, 401, why, NULL, "");
	}
	if ((m == M_GET || m == M_DELETE) && rq->len > 0) {
		char reason[64];
		snprintf(reason, sizeof(reason), "Unexpected content for method '%s'", method);
		log_request(method, url, 501, reason);
		return send_raw(c, 501, reason, "text/plain", reason);
	}
	if (rq->too_big) {
		log_request(method, url, 501, "for data too large");
		return send_raw(c, 501, "for data too large", NULL, "for data too large");
	}
	if (m == M_OTHER) {
		log_request(method, url, 501, "method");
		return send_raw(c, 501, "Not Implemented", "text/plain", "");
	}
	/* form bodies are decoded as pve-http-server decodes them */
	if (rq->len > 0 && (m == M_POST || m == M_PUT)) {
		const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_TYPE);
		/* AnyEvent.pm unshift_read_header: a body that is neither a
		 * form nor JSON (nor a multipart upload) is refused */
		if (ct && strncasecmp(ct, "application/x-www-form-urlencoded", 33) &&
		    strncasecmp(ct, "application/json", 16) &&
		    strncasecmp(ct, "multipart/form-data", 19)) {
			char reason[300];
			snprintf(reason, sizeof(reason),
				 "upload 'Content-Type '%.200s' not implemented", ct);
			log_request(method, url, 506, reason);
			return send_raw(c, 506, reason, NULL, reason);
		}
		/* no content type counts as a form, as in AnyEvent.pm */
		if (!ct || !strncasecmp(ct, "application/x-www-form-urlencoded", 33)) {
			rq->form = decode_urlencoded(rq->body, rq->len);
			if (!rq->form)
				return MHD_NO;
		}
	}

	pthread_mutex_lock(&h->mu);
	fd = faults_draw(&h->o.faults);
	pthread_mutex_unlock(&h->mu);
	if (fd.drop) {
		log_request(method, url, 0, "dropped (fault)");
		return MHD_NO;
	}
	if (fd.slow)
		sleep_ms(h->o.faults.slow_ms);
	{
		/* pve-http-server AnyEvent.pm proxy_request: a call for
		 * another node is forwarded by AnyEvent::HTTP with `timeout
		 * => 30`; a failed hop answers AnyEvent::HTTP's synthetic
		 * status with its error as the reason and no body (595:
		 * connecting, 596: TLS, sending, headers) */
		char node[SIM_NAME_MAX] = "";
		bool remote, offline;
		if (!strncmp(url + 11, "nodes/", 6))
			snprintf(node, sizeof(node), "%.*s", (int)strcspn(url + 17, "/"), url + 17);
		pthread_mutex_lock(&h->mu);
		remote = node[0] && url[17 + strlen(node)] == '/' &&
			strcmp(node, sim_local_node(h->sim));
		if (remote) {
			struct sim_res nr;
			sim_res_init(&nr);
			remote = sim_check_node(h->sim, node, &nr) == 0;
			sim_res_clear(&nr);
		}
		offline = remote && sim_node_offline(h->sim, node);
		pthread_mutex_unlock(&h->mu);
		if (offline) {
			sleep_ms(h->o.proxy_timeout_ms);
			log_request(method, url, 595, "Connection timed out (offline node)");
			return send_raw(c, 595, "Connection timed out", NULL, "");
		}
		if (remote && fd.proxy596) {
			log_request(method, url, 596, "Connection reset by peer (fault)");
			return send_raw(c, 596, "Connection reset by peer", NULL, "");
		}
	}

	sim_res_init(&r);
	memset(&x, 0, sizeof(x));
	x.h = h;
	x.method = m;
	x.call.user = token_user(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					MHD_HTTP_HEADER_AUTHORIZATION) + 12, user, sizeof(user));
	x.call.taskfail = fd.taskfail;
	snprintf(path, sizeof(path), "%s", url + 10);
	{
		char tmp[2048], *save, *tok;
		snprintf(tmp, sizeof(tmp), "%s", url + 11);
		for (tok = strtok_r(tmp, "/", &save); tok && x.nseg < 12;
		     tok = strtok_r(NULL, "/", &save))
			x.seg[x.nseg++] = strdup(tok);
	}
	if (gather_params(c, rq, &x.p, &r))
		goto answer;
	if (fd.http500) {
		r.status = 500;
		snprintf(r.msg, sizeof(r.msg), "Internal Server Error (pvesim fault injection)\n");
		goto answer;
	}
	if (fd.lock && m != M_GET) {
		int id = 0;
		json_object *v;
		if (x.nseg >= 4 && is(&x, 2, "lxc"))
			id = atoi(x.seg[3]);
		else if (x.nseg == 3 && json_object_object_get_ex(x.p, "vmid", &v))
			id = json_object_get_int(v);
		if (id > 0) {
			r.status = 500;
			sim_flock_timeout_msg(id, r.msg, sizeof(r.msg));
			goto answer;
		}
	}
	{
		uint64_t deadline = mono_ms() + h->o.lock_timeout_ms;
		for (;;) {
			pthread_mutex_lock(&h->mu);
			sim_set_caller(h->sim, x.call.user);
			dispatch(&x, method, path, &r);
			if (r.status != SIM_BUSY)
				detach_result(&r);
			if (r.status != SIM_BUSY && sim_dirty(h->sim)) {
				char err[256];
				if (sim_save(h->sim, err, sizeof(err)))
					fprintf(stderr, "pvesim: saving state: %s\n", err);
			}
			pthread_cond_signal(&h->cv);
			pthread_mutex_unlock(&h->mu);
			if (r.status != SIM_BUSY)
				break;
			/* the config flock is held by a running worker */
			if (mono_ms() >= deadline) {
				r.status = 500;
				break;
			}
			sim_res_clear(&r);
			sleep_ms(50);
			json_object_put(x.p);
			x.p = NULL;
			if (gather_params(c, rq, &x.p, &r))
				break;
		}
	}
answer:
	log_request(method, url, r.status, r.status == 200 ? NULL : r.msg);
	ret = send_result(h, c, &r, &fd);
	sim_res_clear(&r);
	json_object_put(x.p);
	for (int i = 0; i < x.nseg; i++)
		free(x.seg[i]);
	return ret;
}

static void request_done(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct req *rq = *con_cls;
	(void)cls; (void)c; (void)toe;
	if (!rq)
		return;
	free(rq->body);
	json_object_put(rq->form);
	free(rq);
	*con_cls = NULL;
}

/* The clock: runs due task phases and pvestatd publications. */
static void *clock_main(void *arg)
{
	struct http_server *h = arg;
	pthread_mutex_lock(&h->mu);
	while (!h->stop) {
		unsigned next = sim_tick(h->sim);
		struct timespec ts;
		if (sim_dirty(h->sim)) {
			char err[256];
			if (sim_save(h->sim, err, sizeof(err)))
				fprintf(stderr, "pvesim: saving state: %s\n", err);
		}
		if (next < 5)
			next = 5;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += next / 1000;
		ts.tv_nsec += (long)(next % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&h->cv, &h->mu, &ts);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

struct http_server *http_start(struct sim *sim, const struct http_opts *o,
			       char *err, size_t errlen)
{
	struct http_server *h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->sim = sim;
	h->o = *o;
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	if (pthread_create(&h->clock, NULL, clock_main, h)) {
		snprintf(err, errlen, "cannot start the clock thread");
		free(h);
		return NULL;
	}
	h->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION |
				MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS |
				MHD_USE_ERROR_LOG,
				ntohs(o->addr.sin_port), NULL, NULL, handle, h,
				MHD_OPTION_SOCK_ADDR, &h->o.addr,
				MHD_OPTION_HTTPS_MEM_KEY, o->key_pem,
				MHD_OPTION_HTTPS_MEM_CERT, o->cert_pem,
				MHD_OPTION_NOTIFY_COMPLETED, request_done, h,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
				MHD_OPTION_END);
	if (!h->d) {
		snprintf(err, errlen, "cannot listen on port %u (in use?)",
			 ntohs(o->addr.sin_port));
		pthread_mutex_lock(&h->mu);
		h->stop = true;
		pthread_cond_signal(&h->cv);
		pthread_mutex_unlock(&h->mu);
		pthread_join(h->clock, NULL);
		free(h);
		return NULL;
	}
	return h;
}

void http_stop(struct http_server *h)
{
	char err[256];
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	pthread_mutex_lock(&h->mu);
	h->stop = true;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->clock, NULL);
	if (sim_save(h->sim, err, sizeof(err)))
		fprintf(stderr, "pvesim: saving state: %s\n", err);
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->cv);
	free(h);
}
