/* Parameter validation the way PVE's JSONSchema does it before a handler
 * runs: unknown keys, type checks, ranges, formats, required keys, each with
 * the real error text, collected into the 400 answer's `errors` object. */
#include "sim_internal.h"

#include <ctype.h>
#include <limits.h>
#include <regex.h>
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
	{ "features", PT_STR, 0, 4096, NULL },
	{ "template", PT_BOOL, 0, 1, NULL },
	{ "tags", PT_STR, 0, 4096, NULL },
	{ "description", PT_STR, 0, 8192, NULL },
	{ "arch", PT_ENUM, 0, 0, "amd64,i386,arm64,armhf,riscv32,riscv64" },
	{ "ostype", PT_ENUM, 0, 0,
	  "debian,devuan,ubuntu,centos,fedora,opensuse,archlinux,alpine,gentoo,nixos,unmanaged" },
	{ "nameserver", PT_STR, 0, 4096, NULL },
	{ "searchdomain", PT_STR, 0, 4096, NULL },
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

static bool match(const char *re, const char *s)
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
	return match("^([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)"
		     "(\\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*$", s);
}

int sim_parse_vmid(const char *s)
{
	char *end;
	long v;
	if (!s || !match("^[+-]?[0-9]+$", s))
		return -1;
	v = strtol(s, &end, 10);
	if (v < 0 || v > 999999999)
		return -1;
	return (int)v;
}

static void check_one(const struct pdef *d, const char *key, json_object *v,
		      struct sim_res *r)
{
	const char *sv = json_object_get_string(v);
	enum json_type jt = json_object_get_type(v);
	long long iv;

	switch (d->type) {
	case PT_INT:
	case PT_VMID:
		if (jt != json_type_int && !match("^[+-]?[0-9]+$", sv)) {
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
		    !match("^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?$", sv)) {
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
	case PT_STR:
		if (jt == json_type_object || jt == json_type_array)
			res_param(r, key, "type check ('string') failed - got '%s'", sv);
		else if (d->max && strlen(sv) > (size_t)d->max)
			res_param(r, key, "value may only be %lld characters long", d->max);
		return;
	}
}

int sim_validate(json_object *p, const struct pdef *extra, bool conf_keys_ok,
		 const char *const *required, struct sim_res *r)
{
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
