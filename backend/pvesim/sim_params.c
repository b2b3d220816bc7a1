/* Parameter validation the way PVE's JSONSchema does it before a handler
 * runs: unknown keys, type checks, ranges, formats, required keys, each with
 * the real error text, collected into the 400 answer's `errors` object. */
#include "sim_internal.h"

#include <ctype.h>
#include <limits.h>
#include <arpa/inet.h>
#include <regex.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOLIM LLONG_MAX

static const struct pdef conf_keys[] = {
	{ "hostname", PT_DNS, 0, 255, NULL },
	{ "memory", PT_INT, 16, NOLIM, NULL },
	{ "swap", PT_INT, 0, NOLIM, NULL },
	{ "cores", PT_INT, 1, 8192, NULL },
	{ "cpulimit", PT_NUM, 0, 8192, NULL },
	{ "cpuunits", PT_INT, 0, 500000, NULL },
	{ "onboot", PT_BOOL, 0, 1, NULL },
	{ "startup", PT_STR, 0, 4096, NULL },
	{ "unprivileged", PT_BOOL, 0, 1, NULL },
	{ "features", PT_FEATURES, 0, 0, NULL },
	{ "template", PT_BOOL, 0, 1, NULL },
	{ "tags", PT_STR, 0, 4096, NULL },
	{ "description", PT_STR, 0, 8192, NULL },
	{ "arch", PT_ENUM, 0, 0, "amd64,i386,arm64,armhf,riscv32,riscv64" },
	{ "ostype", PT_ENUM, 0, 0,
	  "debian,devuan,ubuntu,centos,fedora,opensuse,archlinux,alpine,gentoo,nixos,unmanaged" },
	{ "nameserver", PT_IPLIST, 0, 0, NULL },
	{ "searchdomain", PT_DNSLIST, 0, 0, NULL },
	{ "entrypoint", PT_NOCTL, 0, 0, NULL },
	{ "env", PT_ENV, 0, 0, NULL },
	{ "protection", PT_BOOL, 0, 1, NULL },
	{ "rootfs", PT_STR, 0, 4096, NULL },
	{ "console", PT_BOOL, 0, 1, NULL },
	{ "tty", PT_INT, 0, 6, NULL },
	{ "cmode", PT_ENUM, 0, 0, "shell,console,tty" },
	{ "timezone", PT_STR, 0, 4096, NULL },
	{ "hookscript", PT_STR, 0, 4096, NULL },
	{ "lock", PT_ENUM, 0, 0,
	  "backup,create,destroyed,disk,fstrim,migrate,mounted,rollback,snapshot,snapshot-delete" },
	{ NULL, 0, 0, 0, NULL },
};

/* netN, mpN, unusedN, devN: numbered property-string keys */
static bool numbered(const char *k, const char *prefix, int max)
{
	size_t n = strlen(prefix);
	char *end;
	long v;

	if (strncmp(k, prefix, n) || !isdigit((unsigned char)k[n]))
		return false;
	v = strtol(k + n, &end, 10);
	if (*end || v > max || (k[n] == '0' && k[n + 1]))
		return false;
	return true;
}

bool sim_is_mp_key(const char *k)
{
	return !strcmp(k, "rootfs") || numbered(k, "mp", 255);
}

const struct pdef *sim_conf_pdef(const char *key)
{
	static const struct pdef numbered_str = { "", PT_STR, 0, 4096, NULL };

	for (const struct pdef *d = conf_keys; d->name; d++)
		if (!strcmp(d->name, key))
			return d;
	if (numbered(key, "net", 31) || numbered(key, "mp", 255) ||
	    numbered(key, "unused", 255) || numbered(key, "dev", 255))
		return &numbered_str;
	return NULL;
}

bool sim_match(const char *re, const char *s)
{
	regex_t rx;
	bool ok;
	if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB))
		return false;
	ok = regexec(&rx, s, 0, NULL, 0) == 0;
	regfree(&rx);
	return ok;
}

static bool is_dns_name(const char *s)
{
	return sim_match("^([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)"
		     "(\\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*$", s);
}

int sim_parse_vmid(const char *s)
{
	char *end;
	long v;
	if (!s || !sim_match("^[+-]?[0-9]+$", s))
		return -1;
	v = strtol(s, &end, 10);
	if (v < 0 || v > 999999999)
		return -1;
	return (int)v;
}

/* pve-common ParseUtils.pm split_list: on NUL if there is one, else on
 * commas, semicolons and white space; empty items are dropped. Calls fn
 * for each item until it returns non-zero. */
static int split_list(const char *s, int (*fn)(const char *item, void *ctx),
		      void *ctx)
{
	const char *p = s;
	while (*p) {
		size_t n = strcspn(p, ",; \t\n");
		char item[256];
		int rc;
		if (n == 0) {
			p++;
			continue;
		}
		snprintf(item, sizeof(item), "%.*s", (int)n, p);
		if ((rc = fn(item, ctx)))
			return rc;
		p += n;
	}
	return 0;
}

/* JSONSchema.pm pve_verify_ip: IPV4RE or IPV6RE */
static bool is_ip(const char *s)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* pve-container LXC/Config.pm verify_ip_with_ll_iface: an address, or a
 * link-local fe80: address with a %interface suffix */
static int check_nameserver(const char *item, void *ctx)
{
	const char *pct = strchr(item, '%');
	(void)ctx;
	if (pct && !strncmp(item, "fe80:", 5)) {
		char a[64];
		snprintf(a, sizeof(a), "%.*s", (int)(pct - item), item);
		if (is_ip(a) && sim_match("^[a-zA-Z][a-zA-Z0-9_]{1,20}([:\\.][0-9]+)?$", pct + 1))
			return 0;
	}
	return is_ip(item) ? 0 : -1;
}

static int check_dns_item(const char *item, void *ctx)
{
	(void)ctx;
	return is_dns_name(item) ? 0 : -1;
}

/* JSONSchema.pm parse_boolean */
static bool parse_bool_word(const char *v)
{
	return sim_match("^(1|on|yes|true|0|off|no|false)$", v) ||
	       !strcasecmp(v, "on") || !strcasecmp(v, "yes") ||
	       !strcasecmp(v, "true") || !strcasecmp(v, "off") ||
	       !strcasecmp(v, "no") || !strcasecmp(v, "false");
}

/* LXC/Config.pm $features_desc through JSONSchema.pm parse_property_string:
 * boolean nesting, keyctl, fuse, mknod, force_rw_sys and the fstype list
 * mount. The die texts become "invalid format - TEXT". */
static void check_features(const char *key, const char *sv, struct sim_res *r)
{
	static const char *const flags[] = { "nesting", "keyctl", "fuse", "mknod",
					     "force_rw_sys", "mount", NULL };
	char buf[1024], seen[8] = { 0 }, *save, *tok;

	snprintf(buf, sizeof(buf), "%s", sv);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		int f = -1;
		if (strspn(tok, " \t") == strlen(tok))
			continue;
		if (!eq || eq == tok || !eq[1]) {
			if (!eq)
				res_param(r, key, "invalid format - value without key, but schema does not define a default key\n");
			else
				res_param(r, key, "invalid format - missing key in comma-separated list property\n");
			return;
		}
		*eq = 0;
		for (int i = 0; flags[i]; i++)
			if (!strcmp(flags[i], tok))
				f = i;
		if (f < 0) {
			res_param(r, key, "invalid format - invalid key in comma-separated list property: %s\n", tok);
			return;
		}
		if (seen[f]) {
			res_param(r, key, "invalid format - duplicate key in comma-separated list property: %s\n", tok);
			return;
		}
		seen[f] = 1;
	}
	/* values are checked after the whole string parsed (check_object) */
	snprintf(buf, sizeof(buf), "%s", sv);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		if (!eq)
			continue;
		*eq = 0;
		if (strcmp(tok, "mount") && !parse_bool_word(eq + 1)) {
			res_param(r, key, "invalid format - format error\n%s: type check ('boolean') failed - got '%s'\n",
				  tok, eq + 1);
			return;
		}
		if (!strcmp(tok, "mount") && !sim_match("^[a-zA-Z0-9_; ]+$", eq + 1)) {
			res_param(r, key, "invalid format - format error\nmount: value does not match the regex pattern\n");
			return;
		}
	}
}

static const char *type_name(enum ptype t)
{
	switch (t) {
	case PT_INT:
	case PT_VMID: return "integer";
	case PT_NUM: return "number";
	case PT_BOOL: return "boolean";
	default: return "string";
	}
}

static void check_one(const struct pdef *d, const char *key, json_object *v,
		      struct sim_res *r)
{
	const char *sv = json_object_get_string(v);
	enum json_type jt = json_object_get_type(v);
	long long iv;

	/* pve-common JSONSchema.pm check_type: a reference where a scalar
	 * belongs (a repeated form key is an array since pve-http-server
	 * 5.0.2) fails with Perl's name of the reference type */
	if (jt == json_type_array || jt == json_type_object) {
		res_param(r, key, "type check ('%s') failed - got %s", type_name(d->type),
			  jt == json_type_array ? "ARRAY" : "HASH");
		return;
	}

	switch (d->type) {
	case PT_INT:
	case PT_VMID:
		if (jt != json_type_int && !sim_match("^[+-]?[0-9]+$", sv)) {
			res_param(r, key, "type check ('integer') failed - got '%s'", sv);
			return;
		}
		iv = strtoll(sv, NULL, 10);
		if (d->type == PT_VMID) {
			if (iv < 100)
				res_param(r, key, "value must have a minimum value of 100");
			else if (iv > 999999999)
				res_param(r, key, "value must have a maximum value of 999999999");
			return;
		}
		if (iv < d->min)
			res_param(r, key, "value must have a minimum value of %lld", d->min);
		else if (d->max != NOLIM && iv > d->max)
			res_param(r, key, "value must have a maximum value of %lld", d->max);
		return;
	case PT_NUM: {
		double dv;
		if (jt != json_type_int && jt != json_type_double &&
		    !sim_match("^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?$", sv)) {
			res_param(r, key, "type check ('number') failed - got '%s'", sv);
			return;
		}
		dv = strtod(sv, NULL);
		if (dv < d->min)
			res_param(r, key, "value must have a minimum value of %lld", d->min);
		else if (d->max != NOLIM && dv > d->max)
			res_param(r, key, "value must have a maximum value of %lld", d->max);
		return;
	}
	case PT_BOOL:
		if (jt == json_type_boolean)
			return;
		if (strcmp(sv, "0") && strcmp(sv, "1"))
			res_param(r, key, "type check ('boolean') failed - got '%s'", sv);
		return;
	case PT_DNS:
		if (strlen(sv) > (size_t)d->max)
			res_param(r, key, "value may only be %lld characters long", d->max);
		else if (!is_dns_name(sv))
			res_param(r, key, "invalid format - value does not look like a valid DNS name\n");
		return;
	case PT_ENUM: {
		char list[256], want[128];
		const char *p = d->enums;
		size_t n = 0;
		snprintf(want, sizeof(want), ",%s,", sv);
		snprintf(list, sizeof(list), ",%s,", d->enums);
		if (strstr(list, want))
			return;
		/* the enumeration is shown joined with ", " */
		for (; *p && n < sizeof(list) - 3; p++) {
			list[n++] = *p;
			if (*p == ',')
				list[n++] = ' ';
		}
		list[n] = 0;
		res_param(r, key, "value '%s' does not have a value in the enumeration '%s'",
			  sv, list);
		return;
	}
	case PT_IPLIST:
		if (split_list(sv, check_nameserver, NULL))
			res_param(r, key, "invalid format - value does not look like a valid IP address\n");
		return;
	case PT_DNSLIST:
		if (split_list(sv, check_dns_item, NULL))
			res_param(r, key, "invalid format - value does not look like a valid DNS name\n");
		return;
	case PT_FEATURES:
		check_features(key, sv, r);
		return;
	case PT_NOCTL:
		if (!sim_match("^[^\x01-\x08\x0a-\x1f\x7f]+$", sv))
			res_param(r, key, "value does not match the regex pattern");
		return;
	case PT_ENV:
		/* NUL cannot reach here through a C string: one NAME=value */
		if (!sim_match("^[A-Za-z0-9_]+=[^\x01-\x08\x0a-\x1f\x7f]*$", sv))
			res_param(r, key, "value does not match the regex pattern");
		return;
	case PT_STR:
		if (d->max && strlen(sv) > (size_t)d->max)
			res_param(r, key, "value may only be %lld characters long", d->max);
		return;
	}
}

/* Parameters whose format is a `-list`: pve-common RESTHandler.pm
 * normalize_legacy_param_formats joins an array given for one with ",",
 * so `tags=a&tags=b` means "a,b" (pve-common 8.0, 2023: in PVE 8 and 9). */
static bool list_format(const char *key)
{
	static const char *const lists[] = { "tags", "nameserver", "searchdomain",
					     "delete", "revert", NULL };
	for (const char *const *l = lists; *l; l++)
		if (!strcmp(*l, key))
			return true;
	return false;
}

static void join_lists(json_object *p)
{
	char keys[64][64];
	int n = 0;

	json_object_object_foreach(p, key, v)
		if (json_object_is_type(v, json_type_array) && list_format(key) &&
		    n < 64 && strlen(key) < sizeof(keys[0]))
			snprintf(keys[n++], sizeof(keys[0]), "%s", key);
	for (int i = 0; i < n; i++) {
		json_object *a = json_object_object_get(p, keys[i]);
		size_t len = 1, m = json_object_array_length(a);
		char *buf;
		for (size_t j = 0; j < m; j++)
			len += strlen(json_object_get_string(json_object_array_get_idx(a, j))) + 1;
		buf = malloc(len);
		if (!buf)
			continue; /* left an array: refused as one below */
		buf[0] = 0;
		for (size_t j = 0; j < m; j++) {
			if (j)
				strcat(buf, ",");
			strcat(buf, json_object_get_string(json_object_array_get_idx(a, j)));
		}
		json_object_object_add(p, keys[i], json_object_new_string(buf));
		free(buf);
	}
}

/* Keys PVE 9 added that PVE 8 does not know (pve-container master vs
 * stable-bookworm: LXC/Config.pm entrypoint and env, API2/LXC.pm create's
 * ha-managed). */
static bool pve9_only(const char *key)
{
	return !strcmp(key, "entrypoint") || !strcmp(key, "env") ||
	       !strcmp(key, "ha-managed");
}

int sim_validate(const struct sim *s, json_object *p, const struct pdef *extra,
		 bool conf_keys_ok, const char *const *required,
		 struct sim_res *r)
{
	if (p)
		join_lists(p);
	if (p) {
		json_object_object_foreach(p, key, v) {
			const struct pdef *d = NULL;
			for (const struct pdef *e = extra; e && e->name; e++)
				if (!strcmp(e->name, key)) {
					d = e;
					break;
				}
			if (!d && conf_keys_ok)
				d = sim_conf_pdef(key);
			if (d && sim_pve(s) < 9 && pve9_only(key))
				d = NULL;
			if (!d) {
				res_param(r, key, "property is not defined in schema and the schema does not allow additional properties");
				continue;
			}
			if (json_object_is_type(v, json_type_null))
				continue;
			check_one(d, key, v, r);
		}
	}
	for (const char *const *q = required; q && *q; q++)
		if (!p || !json_object_object_get_ex(p, *q, NULL))
			res_param(r, *q, "property is missing and it is not optional");
	return r->status == 400 ? -1 : 0;
}

bool sim_param_str(json_object *p, const char *k, const char **out)
{
	json_object *v;
	if (!p || !json_object_object_get_ex(p, k, &v) ||
	    json_object_is_type(v, json_type_null))
		return false;
	*out = json_object_get_string(v);
	return true;
}

bool sim_param_bool(json_object *p, const char *k, bool dflt)
{
	json_object *v;
	if (!p || !json_object_object_get_ex(p, k, &v) ||
	    json_object_is_type(v, json_type_null))
		return dflt;
	if (json_object_is_type(v, json_type_boolean) ||
	    json_object_is_type(v, json_type_int))
		return json_object_get_int(v) != 0;
	return !strcmp(json_object_get_string(v), "1");
}

long long sim_param_int(json_object *p, const char *k, long long dflt)
{
	const char *s;
	if (!sim_param_str(p, k, &s))
		return dflt;
	return strtoll(s, NULL, 10);
}

/* pve-common JSONSchema.pm parse_storage_id -> parse_id */
int sim_check_storage_id(const char *param, const char *sid, struct sim_res *r)
{
	if (strlen(sid) < 2)
		res_param(r, param, "invalid format - storage ID '%s' cannot be shorter than 2 characters\n", sid);
	else if (!sim_match("^[a-zA-Z][a-zA-Z0-9_.-]*[a-zA-Z0-9]$", sid))
		res_param(r, param, "invalid format - storage ID '%s' contains illegal characters\n", sid);
	else
		return 0;
	return -1;
}
