/* HTTPS transport for the Proxmox driver (see pve_http.h).
 *
 * Connections: every call takes an easy handle from a pool of at most
 * `connections` handles (waiting when all are busy), and all handles share one connection cache, DNS cache and TLS session
 * cache through a CURLSH guarded by one mutex per shared data kind. A call
 * therefore reuses whatever keep-alive connection is idle, whichever
 * thread opened it.
 *
 * Certificate pinning (pve_fingerprint) compares the SHA-256 of the peer's
 * DER certificate with the pin, the way PVE prints and pins fingerprints
 * (proxmox-api.md §7). libcurl's CURLOPT_PINNEDPUBLICKEY hashes the public key
 * instead, a different number, so it cannot take the user's fingerprint.
 * Chain verification is turned off (a self-signed node certificate has no
 * CA to check against) and the certificate is checked in the
 * CURLOPT_PREREQFUNCTION callback, which libcurl calls after the TLS
 * handshake and before it sends a single byte of the request: the token
 * never reaches a server whose certificate did not match. The certificate
 * comes from CURLINFO_CERTINFO, which is filled in on every new
 * connection; a reused connection was checked when it was opened (a
 * connection that fails the check is closed by libcurl, never pooled).
 */
#include "backend/pve/pve_http.h"

#include "backend/log.h"
#include "backend/pve/pve_fingerprint.h"
#include "backend/pve/pve_parse.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_CONNECTIONS 8
#define DEFAULT_RETRIES     1 /* the engine retries (steps.c) */
/* Longer than pveproxy's own 30 s hop to another node (pve-http-server
 * AnyEvent.pm proxy_request, `timeout => 30`): when that node does not
 * answer, pveproxy's 595/596 (a clear "no answer from that node") arrives
 * before our own timeout would cut the request short. libcurl measures it
 * on a monotonic clock (lib/timeval.c Curl_now: CLOCK_MONOTONIC), so a
 * step of the wall clock neither fires it early nor holds it off. */
#define DEFAULT_TIMEOUT_MS  35000
#define CONNECT_TIMEOUT_MS  10000
#define BACKOFF_FIRST_MS    100
#define BACKOFF_MAX_MS      2000
/* No API answer we use comes near this; a bigger one is refused rather
 * than allowed to eat memory. */
#define BODY_MAX            (64u << 20)

struct pve_http {
	char *base;                     /* https://host:port/api2/json */
	char *auth;                     /* "Authorization: PVEAPIToken=..." */
	struct curl_slist *headers;
	char *cafile;
	bool insecure, pin;
	uint8_t fp[PVE_FP_LEN];
	unsigned connections, attempts, timeout_ms;

	CURLSH *share;
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];

	/* At most `connections` requests are in flight, each on its own
	 * easy handle; more callers wait for a handle. libcurl closes a
	 * returned connection when the shared cache holds more than
	 * CURLOPT_MAXCONNECTS, so letting more requests run than that would
	 * turn every call into a new TLS handshake. */
	pthread_mutex_t pool_lock;      /* guards idle, nidle, busy */
	pthread_cond_t pool_free;
	CURL **idle;
	size_t nidle, cap, busy;
};

struct pve_req {
	struct pve_http *h;
	CURL *curl;
	char *body;
	size_t len, cap;
	bool too_big;
	char reason[256];
	char ctype[128];                /* Content-Type of the answer */
	int pin_result;                 /* 0 ok, 1 mismatch, 2 no certificate */
	char seen[PVE_FP_TEXT];
	char errbuf[CURL_ERROR_SIZE];
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

static void global_init(void)
{
	/* Once per process and never cleaned up: other parts of the program
	 * may use libcurl too, and curl_global_cleanup is not thread-safe. */
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void share_lock(CURL *c, curl_lock_data d, curl_lock_access a, void *u)
{
	struct pve_http *h = u;

	(void)c;
	(void)a;
	pthread_mutex_lock(&h->share_locks[d]);
}

static void share_unlock(CURL *c, curl_lock_data d, void *u)
{
	struct pve_http *h = u;

	(void)c;
	pthread_mutex_unlock(&h->share_locks[d]);
}

static int set_err(struct phx_err *err, enum phx_err_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int set_err(struct phx_err *err, enum phx_err_kind kind, const char *fmt, ...)
{
	va_list ap;

	err->kind = kind;
	err->http = 0;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* pve_url: an https URL of a server, optionally ending in /api2/json. */
static int make_base(const char *url, char **base, struct phx_err *err)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *path = NULL, *query = NULL;
	size_t len;
	int rc = -1;

	if (!u)
		return set_err(err, PHX_E_TRANSIENT, "out of memory");
	if (!url || !*url) {
		set_err(err, PHX_E_REFUSED, "no Proxmox VE URL given (pve_url)");
		goto out;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
		set_err(err, PHX_E_REFUSED, "pve_url '%s' is not a URL (expected https://HOST:8006)", url);
		goto out;
	}
	if (strcasecmp(scheme, "https") != 0) {
		/* pveproxy speaks TLS only, and the token must not travel
		 * in clear text anyway. */
		set_err(err, PHX_E_REFUSED, "pve_url '%s' must use https://", url);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK) {
		set_err(err, PHX_E_REFUSED, "pve_url '%s' must not have a query string", url);
		goto out;
	}
	/* pveproxy listens on 8006: a URL without a port means that one, not
	 * https's 443 (a reverse proxy on 443 is written with ":443") */
	{
		char *port = NULL;

		if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_NO_PORT)
			curl_url_set(u, CURLUPART_PORT, "8006", 0);
		curl_free(port);
	}
	curl_url_get(u, CURLUPART_PATH, &path, 0);
	len = path ? strlen(path) : 0;
	while (len > 0 && path[len - 1] == '/')
		path[--len] = '\0';
	if (len >= 10 && strcmp(path + len - 10, "/api2/json") == 0)
		path[len -= 10] = '\0';
	curl_url_set(u, CURLUPART_PATH, path && *path ? path : "/", 0);
	curl_free(path);
	path = NULL;
	if (curl_url_get(u, CURLUPART_URL, &path, 0) != CURLUE_OK) {
		set_err(err, PHX_E_REFUSED, "pve_url '%s' is not a URL", url);
		goto out;
	}
	len = strlen(path);
	while (len > 0 && path[len - 1] == '/')
		path[--len] = '\0';
	if (asprintf(base, "%s/api2/json", path) < 0) {
		*base = NULL;
		set_err(err, PHX_E_TRANSIENT, "out of memory");
		goto out;
	}
	rc = 0;
out:
	curl_free(scheme);
	curl_free(path);
	curl_free(query);
	curl_url_cleanup(u);
	return rc;
}

int pve_http_new(struct pve_http **out, const struct phx_pve_opts *opts,
		 const char *auth, struct phx_err *err)
{
	struct pve_http *h;
	struct curl_slist *l;

	*out = NULL;
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return set_err(err, PHX_E_TRANSIENT, "libcurl: %s", curl_easy_strerror(global_rc));
	h = calloc(1, sizeof(*h));
	if (!h)
		return set_err(err, PHX_E_TRANSIENT, "out of memory");
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&h->share_locks[i], NULL);
	pthread_mutex_init(&h->pool_lock, NULL);
	pthread_cond_init(&h->pool_free, NULL);
	h->connections = opts->connections ? opts->connections : DEFAULT_CONNECTIONS;
	h->attempts = opts->retries ? opts->retries : DEFAULT_RETRIES;
	h->timeout_ms = opts->timeout_ms ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
	h->insecure = opts->insecure;

	if (make_base(opts->url, &h->base, err) < 0)
		goto fail;
	if (opts->fingerprint && *opts->fingerprint) {
		if (pve_fp_parse(opts->fingerprint, h->fp) < 0) {
			set_err(err, PHX_E_TLS,
				"pve_fingerprint '%.200s' is not a SHA-256 fingerprint "
				"(32 hex pairs separated by ':', as `pvenode cert info` prints it)",
				opts->fingerprint);
			goto fail;
		}
		h->pin = true;
	}
	if (opts->cafile && *opts->cafile) {
		if (access(opts->cafile, R_OK) < 0) {
			set_err(err, PHX_E_TLS, "pve_cafile %s: %s", opts->cafile, strerror(errno));
			goto fail;
		}
		if (!(h->cafile = strdup(opts->cafile))) {
			set_err(err, PHX_E_TRANSIENT, "out of memory");
			goto fail;
		}
	}
	if (asprintf(&h->auth, "Authorization: %s", auth) < 0) {
		h->auth = NULL;
		set_err(err, PHX_E_TRANSIENT, "out of memory");
		goto fail;
	}
	/* "Expect:" stops libcurl from waiting for a 100-continue that
	 * pveproxy has no reason to send. */
	l = curl_slist_append(NULL, h->auth);
	if (l && (h->headers = l) && (l = curl_slist_append(h->headers, "Expect:")))
		l = curl_slist_append(l, "Accept: application/json");
	if (!l) {
		set_err(err, PHX_E_TRANSIENT, "out of memory");
		goto fail;
	}
	h->share = curl_share_init();
	if (!h->share) {
		set_err(err, PHX_E_TRANSIENT, "out of memory");
		goto fail;
	}
	curl_share_setopt(h->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(h->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(h->share, CURLSHOPT_USERDATA, h);
	curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	if (!h->pin)
		curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	if (h->insecure && !h->pin)
		phx_warn("pve: TLS verification of %s is disabled (pve_insecure)", h->base);
	*out = h;
	return 0;
fail:
	pve_http_free(h);
	return -1;
}

void pve_http_free(struct pve_http *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->nidle; i++)
		curl_easy_cleanup(h->idle[i]);
	free(h->idle);
	if (h->share)
		curl_share_cleanup(h->share);
	/* Leave no copy of the secret behind in freed memory. */
	for (struct curl_slist *l = h->headers; l; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(h->headers);
	if (h->auth) {
		explicit_bzero(h->auth, strlen(h->auth));
		free(h->auth);
	}
	free(h->base);
	free(h->cafile);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&h->share_locks[i]);
	pthread_mutex_destroy(&h->pool_lock);
	pthread_cond_destroy(&h->pool_free);
	free(h);
}

static CURL *take_handle(struct pve_http *h)
{
	CURL *c = NULL;

	pthread_mutex_lock(&h->pool_lock);
	while (h->busy >= h->connections)
		pthread_cond_wait(&h->pool_free, &h->pool_lock);
	h->busy++;
	if (h->nidle > 0)
		c = h->idle[--h->nidle];
	pthread_mutex_unlock(&h->pool_lock);
	if (!c && !(c = curl_easy_init())) {
		pthread_mutex_lock(&h->pool_lock);
		h->busy--;
		pthread_cond_signal(&h->pool_free);
		pthread_mutex_unlock(&h->pool_lock);
	}
	return c;
}

static void give_handle(struct pve_http *h, CURL *c)
{
	/* Drop the pointers into the finished request (error buffer,
	 * callbacks' data) before the handle waits for its next use. */
	curl_easy_reset(c);
	pthread_mutex_lock(&h->pool_lock);
	h->busy--;
	pthread_cond_signal(&h->pool_free);
	if (h->nidle == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 8;
		CURL **v = realloc(h->idle, cap * sizeof(*v));

		if (!v) {
			pthread_mutex_unlock(&h->pool_lock);
			curl_easy_cleanup(c);
			return;
		}
		h->idle = v;
		h->cap = cap;
	}
	h->idle[h->nidle++] = c;
	pthread_mutex_unlock(&h->pool_lock);
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *u)
{
	struct pve_req *r = u;
	size_t n = size * nmemb;

	if (r->len + n > BODY_MAX) {
		r->too_big = true;
		return 0;
	}
	if (r->len + n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		char *b;

		while (cap < r->len + n + 1)
			cap *= 2;
		if (!(b = realloc(r->body, cap)))
			return 0;
		r->body = b;
		r->cap = cap;
	}
	memcpy(r->body + r->len, p, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

/* Keeps the status line's reason phrase: servers before
 * libpve-http-server-perl 5.2 put the error text only there (proxmox-api.md §1). */
static size_t on_header(char *p, size_t size, size_t nmemb, void *u)
{
	struct pve_req *r = u;
	size_t n = size * nmemb, i = 0, k = 0;
	int spaces = 0;

	if (n > 13 && strncasecmp(p, "Content-Type:", 13) == 0) {
		i = 13;
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		while (i < n && p[i] != '\r' && p[i] != '\n' && k + 1 < sizeof(r->ctype))
			r->ctype[k++] = p[i++];
		r->ctype[k] = '\0';
		return n;
	}
	if (n < 5 || strncmp(p, "HTTP/", 5) != 0)
		return n;
	r->reason[0] = '\0';
	r->ctype[0] = '\0'; /* a new response (after a 100, a redirect) */
	/* "HTTP/1.1 500 CT is locked (disk)\r\n": after the second space */
	while (i < n && spaces < 2)
		if (p[i++] == ' ')
			spaces++;
	while (i < n && p[i] != '\r' && p[i] != '\n' && k + 1 < sizeof(r->reason))
		r->reason[k++] = p[i++];
	r->reason[k] = '\0';
	return n;
}

static int check_pin(void *u, char *ip, char *local_ip, int port, int local_port)
{
	struct pve_req *r = u;
	struct curl_certinfo *ci = NULL;
	long connects = 0;
	uint8_t fp[PVE_FP_LEN];

	(void)ip;
	(void)local_ip;
	(void)port;
	(void)local_port;
	/* A reused connection was checked by the request that opened it. */
	if (curl_easy_getinfo(r->curl, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK &&
	    connects == 0)
		return CURL_PREREQFUNC_OK;
	if (curl_easy_getinfo(r->curl, CURLINFO_CERTINFO, &ci) != CURLE_OK || !ci ||
	    ci->num_of_certs < 1) {
		r->pin_result = 2;
		return CURL_PREREQFUNC_ABORT;
	}
	for (struct curl_slist *l = ci->certinfo[0]; l; l = l->next) {
		if (strncmp(l->data, "Cert:", 5) != 0)
			continue;
		if (pve_fp_of_pem(l->data + 5, fp) < 0)
			break;
		if (memcmp(fp, r->h->fp, PVE_FP_LEN) == 0)
			return CURL_PREREQFUNC_OK;
		pve_fp_format(fp, r->seen);
		r->pin_result = 1;
		return CURL_PREREQFUNC_ABORT;
	}
	r->pin_result = 2;
	return CURL_PREREQFUNC_ABORT;
}

static enum phx_err_kind curl_kind(CURLcode rc)
{
	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_CLIENTCERT:
	case CURLE_USE_SSL_FAILED:
		return PHX_E_TLS;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_OUT_OF_MEMORY:
	case CURLE_AGAIN:
		return PHX_E_TRANSIENT;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return PHX_E_REFUSED;
	default:
		return PHX_E_PROTOCOL;
	}
}

/* "k=v&k=v" with both sides escaped; "" for no params. */
static char *encode_params(const struct phx_kv *params, size_t n)
{
	char *out = strdup(""), *tmp;

	for (size_t i = 0; out && i < n; i++) {
		char *k = curl_easy_escape(NULL, params[i].key, 0);
		char *v = curl_easy_escape(NULL, params[i].value ? params[i].value : "", 0);

		if (!k || !v || asprintf(&tmp, "%s%s%s=%s", out, i ? "&" : "", k, v) < 0)
			tmp = NULL;
		curl_free(k);
		curl_free(v);
		free(out);
		out = tmp;
	}
	return out;
}

static const char *method_name(enum pve_method m)
{
	static const char *const names[] = { "GET", "POST", "PUT", "DELETE" };

	return names[m];
}

static void setup(struct pve_http *h, struct pve_req *r, CURL *c)
{
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_SHARE, h->share);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	/* HTTP/1.1: the reason phrase carries the error text on old servers
	 * and does not exist in HTTP/2. */
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h->headers);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_MAXCONNECTS, (long)h->connections);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)h->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)(h->timeout_ms < CONNECT_TIMEOUT_MS ? h->timeout_ms : CONNECT_TIMEOUT_MS));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->errbuf);
	if (h->pin) {
		/* Checked by check_pin before the request is sent. The TLS
		 * session cache is off so that every new connection brings
		 * the server's certificate along with a full handshake. */
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_SESSIONID_CACHE, 0L);
		curl_easy_setopt(c, CURLOPT_CERTINFO, 1L);
		curl_easy_setopt(c, CURLOPT_PREREQFUNCTION, check_pin);
		curl_easy_setopt(c, CURLOPT_PREREQDATA, r);
	} else if (h->insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	} else {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
		if (h->cafile)
			curl_easy_setopt(c, CURLOPT_CAINFO, h->cafile);
	}
}

/* One exchange, no retries. */
static int attempt(struct pve_http *h, enum pve_method m, const char *url,
		   const char *form, json_object **data, struct phx_err *err)
{
	struct pve_req r = { .h = h };
	CURLcode rc;
	long status = 0;
	int ret = -1;

	r.curl = take_handle(h);
	if (!r.curl)
		return set_err(err, PHX_E_TRANSIENT, "out of memory");
	setup(h, &r, r.curl);
	curl_easy_setopt(r.curl, CURLOPT_URL, url);
	switch (m) {
	case PVE_GET:
		curl_easy_setopt(r.curl, CURLOPT_HTTPGET, 1L);
		break;
	case PVE_DELETE:
		/* Parameters are in the URL; a body on DELETE is refused
		 * with 501 (proxmox-api.md §1). */
		curl_easy_setopt(r.curl, CURLOPT_CUSTOMREQUEST, "DELETE");
		break;
	case PVE_PUT:
		curl_easy_setopt(r.curl, CURLOPT_CUSTOMREQUEST, "PUT");
		/* fall through: a PUT body is sent like a POST body */
	case PVE_POST:
		curl_easy_setopt(r.curl, CURLOPT_POST, 1L);
		curl_easy_setopt(r.curl, CURLOPT_POSTFIELDSIZE, (long)strlen(form));
		curl_easy_setopt(r.curl, CURLOPT_COPYPOSTFIELDS, form);
		break;
	}
	rc = curl_easy_perform(r.curl);
	curl_easy_getinfo(r.curl, CURLINFO_RESPONSE_CODE, &status);
	if (r.pin_result == 1) {
		set_err(err, PHX_E_TLS,
			"server certificate fingerprint did not match pve_fingerprint: "
			"the server presented %s", r.seen);
	} else if (r.pin_result == 2) {
		set_err(err, PHX_E_TLS,
			"server certificate fingerprint could not be checked: no certificate seen");
	} else if (r.too_big) {
		set_err(err, PHX_E_PROTOCOL, "answer larger than %u bytes", BODY_MAX);
	} else if (rc == CURLE_PARTIAL_FILE) {
		/* the connection closed before the announced length arrived */
		set_err(err, PHX_E_TRANSIENT, "protocol error: answer cut short (%s)",
			r.errbuf[0] ? r.errbuf : curl_easy_strerror(rc));
	} else if (rc != CURLE_OK) {
		enum phx_err_kind kind = curl_kind(rc);

		set_err(err, kind, "%s%s", r.errbuf[0] ? r.errbuf : curl_easy_strerror(rc),
			kind == PHX_E_TLS && !h->pin && !h->insecure ?
			" (give pve_fingerprint or pve_cafile to trust this server)" : "");
	} else if (status != 200) {
		pve_error_from_reply(status, r.reason, r.body, r.len, err);
		pve_error_name_node(err, url);
	} else if (r.ctype[0] && strncasecmp(r.ctype, "application/json", 16) != 0) {
		/* pveproxy answers /api2/json with JSON only: another content
		 * type is something in between (a captive portal, a misrouted
		 * reverse proxy), which may be gone at the next try */
		set_err(err, PHX_E_TRANSIENT,
			"protocol error: answer is '%.60s', not JSON (a proxy in the way?)", r.ctype);
		err->http = 200;
	} else {
		json_object *d = NULL;

		if (pve_parse_envelope(r.body, r.len, &d, err) == 0) {
			ret = 0;
			if (data)
				*data = d;
			else
				json_object_put(d);
		}
		err->http = 200;
	}
	if (ret < 0 && err->http == 0)
		err->http = (int)status;
	free(r.body);
	give_handle(h, r.curl);
	return ret;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* 100 ms doubling up to 2 s, each wait drawn from its upper half so that
 * workers that failed together do not come back together. */
static unsigned backoff_ms(unsigned retry, unsigned *seed)
{
	unsigned d = BACKOFF_FIRST_MS;

	for (unsigned i = 0; i < retry && d < BACKOFF_MAX_MS; i++)
		d *= 2;
	if (d > BACKOFF_MAX_MS)
		d = BACKOFF_MAX_MS;
	return d / 2 + (unsigned)rand_r(seed) % (d / 2 + 1);
}

/* Retrying is safe for every call we make except that a create or clone
 * whose answer was lost may already have happened: the retry then gets
 * "CT <id> already exists" (PHX_E_EXISTS) or, for a clone, the source's
 * "CT is locked (disk)" (PHX_E_LOCKED). We return those as they are; only
 * the engine knows whether that guest is its own (docs/driver.md). */
int pve_http_call(struct pve_http *h, enum pve_method m, const char *path,
		  const struct phx_kv *params, size_t n, json_object **data,
		  struct phx_err *err)
{
	char *form, *url;
	struct timespec now;
	unsigned seed;
	int rc = -1;
	bool query = (m == PVE_GET || m == PVE_DELETE);

	if (data)
		*data = NULL;
	memset(err, 0, sizeof(*err));
	form = encode_params(params, n);
	if (!form)
		return set_err(err, PHX_E_TRANSIENT, "out of memory");
	if (asprintf(&url, "%s%s%s%s", h->base, path, query && *form ? "?" : "",
		     query ? form : "") < 0) {
		free(form);
		return set_err(err, PHX_E_TRANSIENT, "out of memory");
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	seed = (unsigned)now.tv_nsec ^ (unsigned)(uintptr_t)&seed;
	for (unsigned i = 1; i <= h->attempts; i++) {
		rc = attempt(h, m, url, query ? "" : form, data, err);
		if (rc == 0 || err->kind != PHX_E_TRANSIENT || i == h->attempts)
			break;
		unsigned wait = backoff_ms(i - 1, &seed);

		phx_debug("pve: %s %s: %s; attempt %u of %u in %u ms", method_name(m),
			  path, err->msg, i + 1, h->attempts, wait);
		sleep_ms(wait);
	}
	free(url);
	free(form);
	return rc;
}
