/* Parsers for Proxmox VE API answers (see pve_parse.h). Everything here is
 * deliberately lenient about number-vs-string encodings, because Perl's JSON
 * encoder sends either depending on how a value was last used
 * (docs/proxmox-api.md §1), and strict about the things a caller relies on: a UPID that
 * the server will accept back, a vmid and node for every guest. */
#include "backend/pve/pve_parse.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(struct phx_err *err, enum phx_err_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct phx_err *err, enum phx_err_kind kind, const char *fmt, ...)
{
	va_list ap;

	err->kind = kind;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* Copies s into dst, turning embedded newlines into spaces and dropping
 * trailing whitespace: Perl die texts end in "\n", and some parameter
 * errors carry a newline in the middle (proxmox-api.md §5). */
static void copy_text(char *dst, size_t dstlen, const char *s)
{
	size_t n = 0;

	if (dstlen == 0)
		return;
	for (; s && *s && n + 1 < dstlen; s++)
		dst[n++] = (*s == '\n' || *s == '\r') ? ' ' : *s;
	while (n > 0 && isspace((unsigned char)dst[n - 1]))
		n--;
	dst[n] = '\0';
}

/* Appends server text (cleaned like copy_text). */
static void append(char *dst, size_t dstlen, const char *s)
{
	size_t n = strlen(dst);

	if (n + 1 < dstlen)
		copy_text(dst + n, dstlen - n, s);
}

/* Appends our own punctuation as it is. */
static void append_raw(char *dst, size_t dstlen, const char *s)
{
	size_t n = strlen(dst);

	if (n + 1 < dstlen)
		snprintf(dst + n, dstlen - n, "%s", s);
}

/* The standard reason phrases a generic HTTP stack would send: a 500 that
 * carries only one of these came from a crash or a proxy, not from a PVE
 * handler's die (which always puts its own text there). */
static bool generic_reason(long http, const char *reason)
{
	static const struct { long code; const char *text; } std[] = {
		{ 500, "Internal Server Error" }, { 502, "Bad Gateway" },
		{ 503, "Service Unavailable" },   { 504, "Gateway Timeout" },
	};

	if (!reason || !*reason)
		return true;
	/* "Internal Server Error" with or without a note after it: no PVE
	 * handler dies with that text, so it is the server failing, not
	 * refusing (pvesim's injected 500s add "(pvesim fault injection)") */
	for (size_t i = 0; i < sizeof(std) / sizeof(std[0]); i++)
		if (std[i].code == http && strncasecmp(std[i].text, reason, strlen(std[i].text)) == 0)
			return true;
	return false;
}

enum phx_err_kind pve_classify(long http, const char *msg, bool has_text,
			       bool has_param_errors)
{
	if (http == 401 || http == 403)
		return PHX_E_AUTH;
	/* The semantic texts are only meaningful as the handler's own message;
	 * inside parameter errors "already exists" or "does not exist" is about
	 * an argument (nextid's "VM 105 already exists", a missing storage), a
	 * refusal of the request as written. */
	if (msg && has_text && !has_param_errors) {
		if (strstr(msg, "can't lock file") && strstr(msg, "got timeout"))
			return PHX_E_TRANSIENT;
		if (strstr(msg, "CT is locked (") || strstr(msg, "VM is locked ("))
			return PHX_E_LOCKED;
		if (strstr(msg, "already exists"))
			return PHX_E_EXISTS;
		if (strstr(msg, "does not exist"))
			return PHX_E_NOTFOUND;
	}
	if (http == 404)
		return PHX_E_NOTFOUND;
	/* 595..599 are pveproxy's synthetic codes for a failed hop to another
	 * node or to pvedaemon (proxmox-api.md §5): the request may well succeed
	 * once that node answers again. */
	if (http == 502 || http == 503 || http == 504 || (http >= 595 && http <= 599))
		return PHX_E_TRANSIENT;
	if (http == 500 && !has_text)
		return PHX_E_TRANSIENT;
	return PHX_E_REFUSED;
}

void pve_error_from_reply(long http, const char *reason, const char *body,
			  size_t len, struct phx_err *err)
{
	json_object *root = NULL, *msg = NULL, *errors = NULL;
	bool has_text = false, has_errors = false;

	err->http = (int)http;
	err->msg[0] = '\0';
	if (body && len > 0) {
		json_tokener *tok = json_tokener_new();

		if (tok) {
			root = json_tokener_parse_ex(tok, body, (int)(len > INT32_MAX ? INT32_MAX : len));
			json_tokener_free(tok);
		}
		if (root && !json_object_is_type(root, json_type_object)) {
			json_object_put(root);
			root = NULL;
		}
	}
	if (root && json_object_object_get_ex(root, "message", &msg) &&
	    json_object_is_type(msg, json_type_string) &&
	    json_object_get_string_len(msg) > 0) {
		copy_text(err->msg, sizeof(err->msg), json_object_get_string(msg));
		has_text = err->msg[0] != '\0' && !generic_reason(http, err->msg);
	}
	/* Servers before libpve-http-server-perl 5.2 send no "message": the
	 * text is only in the reason phrase (its first line). */
	if (!has_text && reason && *reason) {
		copy_text(err->msg, sizeof(err->msg), reason);
		has_text = !generic_reason(http, err->msg);
	}
	if (root && json_object_object_get_ex(root, "errors", &errors) &&
	    json_object_is_type(errors, json_type_object) &&
	    json_object_object_length(errors) > 0) {
		const char *sep = " (";

		has_errors = true;
		if (!err->msg[0])
			snprintf(err->msg, sizeof(err->msg), "Parameter verification failed.");
		json_object_object_foreach(errors, key, val) {
			append_raw(err->msg, sizeof(err->msg), sep);
			append(err->msg, sizeof(err->msg), key);
			append_raw(err->msg, sizeof(err->msg), ": ");
			append(err->msg, sizeof(err->msg), json_object_get_string(val));
			sep = "; ";
		}
		append_raw(err->msg, sizeof(err->msg), ")");
	}
	if (!err->msg[0])
		snprintf(err->msg, sizeof(err->msg), "HTTP %ld", http);
	/* 595..599: AnyEvent::HTTP's own codes, which pveproxy passes on when
	 * its hop to the node that owns the call fails; the reason is the
	 * socket error. Say what it means. */
	if (http >= 595 && http <= 599) {
		char why[sizeof(err->msg) - 120];

		snprintf(why, sizeof(why), "%s", err->msg);
		snprintf(err->msg, sizeof(err->msg),
			 "no answer from the node the call is for (pveproxy: %ld %s)", http, why);
		has_text = false;
	}
	err->kind = pve_classify(http, err->msg, has_text, has_errors);
	json_object_put(root);
}

void pve_error_name_node(struct phx_err *err, const char *url)
{
	static const char vague[] = "no answer from the node the call is for";
	const char *at = url ? strstr(url, "/api2/json/nodes/") : NULL;
	char node[64], rest[sizeof(err->msg)];
	size_t n;

	if (err->http < 595 || err->http > 599 || !at ||
	    strncmp(err->msg, vague, sizeof(vague) - 1))
		return;
	at += strlen("/api2/json/nodes/");
	n = strcspn(at, "/?");
	if (n == 0 || n >= sizeof(node))
		return;
	memcpy(node, at, n);
	node[n] = '\0';
	snprintf(rest, sizeof(rest), "%s", err->msg + sizeof(vague) - 1);
	snprintf(err->msg, sizeof(err->msg), "no answer from node '%s'%s", node, rest);
}

int pve_parse_envelope(const char *body, size_t len, json_object **data,
		       struct phx_err *err)
{
	json_tokener *tok;
	json_object *root, *d;

	*data = NULL;
	if (!body || len == 0)
		return fail(err, PHX_E_TRANSIENT, "protocol error: empty answer where JSON was expected");
	if (len > INT32_MAX)
		return fail(err, PHX_E_PROTOCOL, "answer too large");
	tok = json_tokener_new();
	if (!tok)
		return fail(err, PHX_E_TRANSIENT, "out of memory");
	root = json_tokener_parse_ex(tok, body, (int)len);
	/* Trailing bytes after the JSON value mean a damaged answer. */
	if (root && json_tokener_get_parse_end(tok) < len) {
		size_t end = json_tokener_get_parse_end(tok);

		while (end < len && isspace((unsigned char)body[end]))
			end++;
		if (end < len) {
			json_object_put(root);
			root = NULL;
		}
	}
	json_tokener_free(tok);
	/* A body that does not parse was damaged on its way (or cut short by
	 * a proxy): the same request may well be answered whole next time.
	 * JSON of the wrong shape (below) is a real disagreement instead. */
	if (!root)
		return fail(err, PHX_E_TRANSIENT, "protocol error: answer is not valid JSON");
	if (!json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "data", &d)) {
		json_object_put(root);
		return fail(err, PHX_E_PROTOCOL, "answer has no \"data\" member");
	}
	*data = json_object_get(d);
	json_object_put(root);
	return 0;
}

static const char *str_member(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* An integer given as a JSON number or as a decimal string. */
static int int_member(json_object *o, const char *key, int64_t *out)
{
	json_object *v;
	const char *s;
	char *end;

	if (!json_object_object_get_ex(o, key, &v))
		return -1;
	switch (json_object_get_type(v)) {
	case json_type_int:
		*out = json_object_get_int64(v);
		return 0;
	case json_type_boolean:
		*out = json_object_get_boolean(v) ? 1 : 0;
		return 0;
	case json_type_double: {
		double d = json_object_get_double(v);

		/* range first: converting an out-of-range double is undefined */
		if (!(d > -9.2e18 && d < 9.2e18) || d != (double)(int64_t)d)
			return -1;
		*out = (int64_t)d;
		return 0;
	}
	case json_type_string:
		s = json_object_get_string(v);
		errno = 0;
		*out = strtoll(s, &end, 10);
		if (errno || end == s || *end)
			return -1;
		return 0;
	default:
		return -1;
	}
}

static void copy_member(json_object *o, const char *key, char *dst, size_t len)
{
	const char *s = str_member(o, key);

	snprintf(dst, len, "%s", s ? s : "");
}

/* A size the listing may send as number or numeric string; 0 if neither
 * or not positive. A double past uint64_t's range saturates: converting
 * it would be undefined (the fuzzer found "maxmem": 1e30). */
static uint64_t num_member(json_object *o, const char *key)
{
	json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (json_object_is_type(v, json_type_double)) {
		double d = json_object_get_double(v);

		if (!(d > 0))
			return 0; /* also NaN */
		return d >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)d;
	}
	n = json_object_get_int64(v);
	return n > 0 ? (uint64_t)n : 0;
}

static double dbl_member(json_object *o, const char *key)
{
	json_object *v;
	double d;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	d = json_object_get_double(v);
	return d > 0 ? d : 0;
}

int pve_parse_guests(json_object *data, struct phx_guest_list *out,
		     struct phx_err *err)
{
	size_t n, k = 0;

	out->v = NULL;
	out->n = 0;
	if (!json_object_is_type(data, json_type_array))
		return fail(err, PHX_E_PROTOCOL, "guest list is not an array");
	n = json_object_array_length(data);
	if (n > 0 && !(out->v = calloc(n, sizeof(*out->v))))
		return fail(err, PHX_E_TRANSIENT, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(data, i);
		struct phx_guest *g = &out->v[k];
		const char *type, *node;
		int64_t vmid, tmpl;

		if (!json_object_is_type(e, json_type_object))
			goto bad;
		type = str_member(e, "type");
		/* Without ?type=vm the list also holds nodes and storages. */
		if (!type || (strcmp(type, "lxc") != 0 && strcmp(type, "qemu") != 0))
			continue;
		node = str_member(e, "node");
		if (int_member(e, "vmid", &vmid) < 0 || vmid <= 0 || vmid > UINT32_MAX ||
		    !node || !*node || strlen(node) >= sizeof(g->node)) {
			phx_guest_list_free(out);
			return fail(err, PHX_E_PROTOCOL,
				    "guest entry %zu has no usable vmid or node", i);
		}
		g->vmid = (uint32_t)vmid;
		snprintf(g->node, sizeof(g->node), "%s", node);
		snprintf(g->type, sizeof(g->type), "%s", type);
		copy_member(e, "status", g->status, sizeof(g->status));
		if (!g->status[0])
			snprintf(g->status, sizeof(g->status), "unknown");
		copy_member(e, "name", g->name, sizeof(g->name));
		/* name/template come from RRD data and are missing until the
		 * node has published it (proxmox-api.md §2): -1 says "not known". */
		g->template_ = int_member(e, "template", &tmpl) == 0 ? (tmpl != 0) : -1;
		copy_member(e, "lock", g->lock, sizeof(g->lock));
		g->maxmem = num_member(e, "maxmem");
		g->maxdisk = num_member(e, "maxdisk");
		g->maxcpu = dbl_member(e, "maxcpu");
		k++;
	}
	out->n = k;
	return 0;
bad:
	phx_guest_list_free(out);
	return fail(err, PHX_E_PROTOCOL, "guest list holds a non-object");
}

void pve_strlist_free(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The start every "array of objects" answer shares (name lists, storages,
 * node loads): `data` must be an array; the answer is a zeroed vector with
 * room for each of its *len entries of `size` bytes, never NULL even for
 * none, or NULL with err set. "what" names the list in errors. Callers walk
 * the entries with object_at(). */
static void *object_array(json_object *data, const char *what, size_t size, size_t *len,
			  struct phx_err *err)
{
	void *v;

	*len = 0;
	if (!json_object_is_type(data, json_type_array)) {
		fail(err, PHX_E_PROTOCOL, "%s list is not an array", what);
		return NULL;
	}
	*len = json_object_array_length(data);
	if (!(v = calloc(*len ? *len : 1, size)))
		fail(err, PHX_E_TRANSIENT, "out of memory");
	return v;
}

/* Entry i of an array from object_array(), or NULL where it is not an
 * object: each caller decides whether that is an error or a skip. */
static json_object *object_at(json_object *data, size_t i)
{
	json_object *e = json_object_array_get_idx(data, i);

	return json_object_is_type(e, json_type_object) ? e : NULL;
}

/* The `member` string of each object of an array (node names, snapshot
 * names), in order; entries whose name is `skip` are left out. "what"
 * names the list in errors. */
static int name_list(json_object *data, const char *member, size_t maxlen, const char *skip,
		     const char *what, char ***names, size_t *n, struct phx_err *err)
{
	size_t len, k = 0;
	char **v;

	*names = NULL;
	*n = 0;
	if (!(v = object_array(data, what, sizeof(*v), &len, err)))
		return -1;
	for (size_t i = 0; i < len; i++) {
		json_object *e = object_at(data, i);
		const char *name = e ? str_member(e, member) : NULL;

		if (!name || !*name || strlen(name) >= maxlen) {
			pve_strlist_free(v, k);
			return fail(err, PHX_E_PROTOCOL, "%s entry %zu has no usable name", what, i);
		}
		if (skip && strcmp(name, skip) == 0)
			continue;
		if (!(v[k] = strdup(name))) {
			pve_strlist_free(v, k);
			return fail(err, PHX_E_TRANSIENT, "out of memory");
		}
		k++;
	}
	*names = v;
	*n = k;
	return 0;
}

int pve_parse_nodes(json_object *data, char ***nodes, size_t *n,
		    struct phx_err *err)
{
	return name_list(data, "node", PHX_NODE_MAX, NULL, "node", nodes, n, err);
}

/* A JSON boolean, or 0/1 as number or string: the API sends all three. */
static bool flag_member(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return false;
	if (json_object_is_type(v, json_type_string))
		return strcmp(json_object_get_string(v), "1") == 0;
	return json_object_get_int64(v) != 0 || json_object_get_boolean(v);
}

int pve_parse_storage(json_object *data, struct phx_storage_list *out,
		      struct phx_err *err)
{
	size_t len;

	out->n = 0;
	if (!(out->v = object_array(data, "storage", sizeof(*out->v), &len, err)))
		return -1;
	for (size_t i = 0; i < len; i++) {
		json_object *e = object_at(data, i);
		struct phx_storage *st = &out->v[i];
		const char *id = e ? str_member(e, "storage") : NULL;

		if (!id || !*id || strlen(id) >= sizeof(st->id)) {
			phx_storage_list_free(out);
			return fail(err, PHX_E_PROTOCOL, "storage entry %zu has no usable id", i);
		}
		copy_member(e, "storage", st->id, sizeof(st->id));
		copy_member(e, "type", st->type, sizeof(st->type));
		copy_member(e, "path", st->path, sizeof(st->path));
		copy_member(e, "content", st->content, sizeof(st->content));
		copy_member(e, "nodes", st->nodes, sizeof(st->nodes));
		st->shared = flag_member(e, "shared");
		st->disabled = flag_member(e, "disable");
	}
	out->n = len;
	return 0;
}

int pve_parse_snapshots(json_object *data, char ***names, size_t *n,
			struct phx_err *err)
{
	/* "current" is the running state, not a snapshot */
	return name_list(data, "name", 256, "current", "snapshot", names, n, err);
}

int pve_parse_upid_or_null(json_object *data, char upid[PHX_UPID_MAX],
			   struct phx_err *err)
{
	upid[0] = '\0';
	if (!data)
		return 0;
	return pve_parse_upid(data, upid, err);
}

int pve_parse_config(json_object *data, json_object **cfg, struct phx_err *err)
{
	*cfg = NULL;
	if (!json_object_is_type(data, json_type_object))
		return fail(err, PHX_E_PROTOCOL, "config is not an object");
	*cfg = json_object_get(data);
	return 0;
}

int pve_parse_upid(json_object *data, char upid[PHX_UPID_MAX],
		   struct phx_err *err)
{
	char node[PHX_NODE_MAX];
	const char *s;

	upid[0] = '\0';
	if (!json_object_is_type(data, json_type_string))
		return fail(err, PHX_E_PROTOCOL, "expected a task id (UPID), got %s",
			    json_type_to_name(json_object_get_type(data)));
	s = json_object_get_string(data);
	if (strlen(s) >= PHX_UPID_MAX || phx_upid_node(s, node) < 0)
		return fail(err, PHX_E_PROTOCOL, "malformed task id '%.200s'", s);
	snprintf(upid, PHX_UPID_MAX, "%s", s);
	return 0;
}

int pve_parse_task_status(json_object *data, struct phx_task_status *st,
			  struct phx_err *err)
{
	const char *status, *exitstatus;

	st->running = false;
	st->exitstatus[0] = '\0';
	if (!json_object_is_type(data, json_type_object))
		return fail(err, PHX_E_PROTOCOL, "task status is not an object");
	status = str_member(data, "status");
	if (!status)
		return fail(err, PHX_E_PROTOCOL, "task status has no \"status\"");
	if (strcmp(status, "running") == 0) {
		st->running = true;
		return 0;
	}
	if (strcmp(status, "stopped") != 0)
		return fail(err, PHX_E_PROTOCOL, "unknown task status '%.100s'", status);
	exitstatus = str_member(data, "exitstatus");
	if (!exitstatus)
		return fail(err, PHX_E_PROTOCOL, "stopped task has no \"exitstatus\"");
	copy_text(st->exitstatus, sizeof(st->exitstatus), exitstatus);
	return 0;
}

bool pve_exitstatus_ok(const char *s)
{
	if (!s)
		return false;
	if (strcmp(s, "OK") == 0)
		return true;
	if (strncmp(s, "WARNINGS: ", 10) != 0 || !s[10])
		return false;
	for (s += 10; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

int pve_parse_task_log(json_object *data, unsigned start, char ***lines,
		       size_t *n, struct phx_err *err)
{
	size_t len, k = 0;
	char **v;

	*lines = NULL;
	*n = 0;
	if (!json_object_is_type(data, json_type_array))
		return fail(err, PHX_E_PROTOCOL, "task log is not an array");
	len = json_object_array_length(data);
	if (len == 1) {
		json_object *e = json_object_array_get_idx(data, 0);
		int64_t num;
		const char *t;

		if (json_object_is_type(e, json_type_object) &&
		    int_member(e, "n", &num) == 0 && num == 1 &&
		    (t = str_member(e, "t")) && strcmp(t, "no content") == 0)
			len = 0;
	}
	v = calloc(len ? len : 1, sizeof(*v));
	if (!v)
		return fail(err, PHX_E_TRANSIENT, "out of memory");
	for (size_t i = 0; i < len; i++) {
		json_object *e = json_object_array_get_idx(data, i);
		const char *t;
		int64_t num;

		if (!json_object_is_type(e, json_type_object) ||
		    int_member(e, "n", &num) < 0 || !(t = str_member(e, "t"))) {
			pve_strlist_free(v, k);
			return fail(err, PHX_E_PROTOCOL, "task log line %zu is not {n,t}", i);
		}
		/* A server that ignored start= must not repeat old lines. */
		if (num <= (int64_t)start)
			continue;
		if (!(v[k] = strdup(t))) {
			pve_strlist_free(v, k);
			return fail(err, PHX_E_TRANSIENT, "out of memory");
		}
		k++;
	}
	*lines = v;
	*n = k;
	return 0;
}

int pve_upid_fields(const char *upid, unsigned long *starttime,
		    char *type, size_t typelen)
{
	char node[PHX_NODE_MAX];
	const char *p = upid;
	size_t tl;

	if (phx_upid_node(upid, node) < 0)
		return -1;
	/* fields: UPID node pid pstart starttime type ... */
	for (int i = 0; i < 4; i++)
		p = strchr(p, ':') + 1;
	*starttime = strtoul(p, NULL, 16);
	p = strchr(p, ':') + 1;
	tl = (size_t)(strchr(p, ':') - p);
	if (typelen) {
		if (tl >= typelen)
			tl = typelen - 1;
		memcpy(type, p, tl);
		type[tl] = '\0';
	}
	return 0;
}

int pve_parse_newest_task(json_object *data, const char *type,
			  char upid[PHX_UPID_MAX], struct phx_err *err)
{
	unsigned long best = 0;
	bool found = false;
	size_t len;

	upid[0] = '\0';
	if (!json_object_is_type(data, json_type_array))
		return fail(err, PHX_E_PROTOCOL, "task list is not an array");
	len = json_object_array_length(data);
	for (size_t i = 0; i < len; i++) {
		json_object *e = json_object_array_get_idx(data, i);
		const char *u = json_object_is_type(e, json_type_object) ?
				str_member(e, "upid") : NULL;
		unsigned long t;
		char ty[64];

		if (!u || strlen(u) >= PHX_UPID_MAX ||
		    pve_upid_fields(u, &t, ty, sizeof(ty)) < 0)
			return fail(err, PHX_E_PROTOCOL, "task list entry %zu has no valid upid", i);
		/* typefilter is applied again: it is a substring match on
		 * the server (typefilter=vzstart would not match vzstartx,
		 * but we do not rely on it either way). */
		if (type && *type && strcmp(ty, type) != 0)
			continue;
		/* Strictly newer only: PVE lists newest first, so the first
		 * of several tasks started in the same second wins. */
		if (!found || t > best) {
			best = t;
			found = true;
			snprintf(upid, PHX_UPID_MAX, "%s", u);
		}
	}
	return 0;
}

/* Characters a token's user, realm and token name may hold (pve-access-
 * control's userid and token-name formats, simplified to what matters for
 * a header): no separators, no whitespace. */
static bool realm_char(int c)
{
	return isalnum(c) || c == '.' || c == '-' || c == '_';
}

/* The secret is a UUID in practice. The server URL-unescapes the header
 * value, so only unreserved URL characters are accepted: anything else
 * would silently change on the way in. */
static bool secret_char(int c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

int pve_token_parse(const char *text, size_t len, char *hdr, size_t hdrlen,
		    struct phx_err *err)
{
	const char *p, *end, *at, *bang, *eq;

	if (len > 0 && text[len - 1] == '\n')
		len--;
	if (len > 0 && text[len - 1] == '\r')
		len--;
	if (len == 0)
		return fail(err, PHX_E_AUTH, "empty");
	end = text + len;
	for (p = text; p < end; p++) {
		if (*p == '\n')
			return fail(err, PHX_E_AUTH, "has more than one line");
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
			return fail(err, PHX_E_AUTH,
				    "contains whitespace or control characters");
	}
	if (len >= 12 && strncasecmp(text, "PVEAPIToken", 11) == 0 &&
	    (text[11] == '=' || text[11] == ' '))
		return fail(err, PHX_E_AUTH,
			    "starts with 'PVEAPIToken': write only USER@REALM!TOKENID=SECRET");
	at = memchr(text, '@', len);
	if (!at || at == text)
		return fail(err, PHX_E_AUTH, "no user before '@'");
	for (p = text; p < at; p++)
		if (*p == ':' || *p == '/' || *p == '!' || *p == '=')
			return fail(err, PHX_E_AUTH, "malformed user name");
	bang = memchr(at, '!', (size_t)(end - at));
	if (!bang)
		return fail(err, PHX_E_AUTH, "no '!' before the token name");
	if (bang - at < 3 || !isalpha((unsigned char)at[1]))
		return fail(err, PHX_E_AUTH, "malformed realm");
	for (p = at + 1; p < bang; p++)
		if (!realm_char((unsigned char)*p))
			return fail(err, PHX_E_AUTH, "malformed realm");
	eq = memchr(bang, '=', (size_t)(end - bang));
	if (!eq)
		return fail(err, PHX_E_AUTH, "no '=' before the secret");
	if (eq - bang < 3 || !isalpha((unsigned char)bang[1]))
		return fail(err, PHX_E_AUTH, "malformed token name");
	for (p = bang + 1; p < eq; p++)
		if (!realm_char((unsigned char)*p))
			return fail(err, PHX_E_AUTH, "malformed token name");
	if (eq + 1 == end)
		return fail(err, PHX_E_AUTH, "empty secret");
	for (p = eq + 1; p < end; p++)
		if (!secret_char((unsigned char)*p))
			return fail(err, PHX_E_AUTH,
				    "the secret may hold only letters, digits and '-._~'");
	if ((size_t)snprintf(hdr, hdrlen, "PVEAPIToken=%.*s", (int)len, text) >= hdrlen)
		return fail(err, PHX_E_AUTH, "token too long");
	return 0;
}

int pve_parse_node_loads(json_object *data, struct phx_node_load_list *out,
			 struct phx_err *err)
{
	size_t len;

	out->n = 0;
	out->guests = NULL;
	out->nguests = 0;
	if (!(out->v = object_array(data, "resource", sizeof(*out->v), &len, err)))
		return -1;
	if (!(out->guests = calloc(len ? len : 1, sizeof(*out->guests)))) {
		phx_node_load_list_free(out);
		return fail(err, PHX_E_TRANSIENT, "out of memory");
	}
	for (size_t i = 0; i < len; i++) {
		json_object *e = object_at(data, i);
		const char *type = e ? str_member(e, "type") : NULL;
		const char *node = type ? str_member(e, "node") : NULL;
		struct phx_node_load *nl;

		if (!type || !node || !*node || strlen(node) >= PHX_NODE_MAX)
			continue;
		if (!strcmp(type, "lxc") || !strcmp(type, "qemu")) {
			/* placement's reservations end when this shows the
			 * guest running where it was placed */
			struct phx_guest_seen *g = &out->guests[out->nguests];
			uint64_t vmid = num_member(e, "vmid");
			const char *st = str_member(e, "status");

			if (!vmid || vmid > UINT32_MAX)
				continue;
			g->vmid = (uint32_t)vmid;
			snprintf(g->node, sizeof(g->node), "%s", node);
			g->running = st && !strcmp(st, "running");
			out->nguests++;
			continue;
		}
		if (strcmp(type, "node"))
			continue;
		nl = &out->v[out->n++];
		snprintf(nl->name, sizeof(nl->name), "%s", node);
		nl->online = str_member(e, "status") && !strcmp(str_member(e, "status"), "online");
		nl->mem = num_member(e, "mem");
		nl->maxmem = num_member(e, "maxmem");
	}
	for (size_t i = 0; i < len; i++) {
		json_object *e = object_at(data, i);
		const char *type = e ? str_member(e, "type") : NULL;
		const char *node, *sid, *status;

		if (!type || strcmp(type, "storage"))
			continue;
		node = str_member(e, "node");
		sid = str_member(e, "storage");
		status = str_member(e, "status");
		if (!node || !sid || !*sid || !status || strcmp(status, "available"))
			continue;
		for (size_t j = 0; j < out->n; j++) {
			struct phx_node_load *nl = &out->v[j];
			size_t used = strlen(nl->storages);
			if (strcmp(nl->name, node))
				continue;
			if (used + strlen(sid) + 2 < sizeof(nl->storages))
				snprintf(nl->storages + used, sizeof(nl->storages) - used, "%s%s",
					 used ? "," : "", sid);
		}
	}
	return 0;
}
