#include "backend/schema.h"

#include "backend/json_raw.h"
#include "backend/json_write.h"
#include "backend/lxc_keys.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define GiB_IN_MiB 1024LL
/* The Proxmox columns of a row: parameter, how it is formed, when it applies. */
#define PVE(param, how, when) .pve = param, .form = how, .apply = when
#define INT_ROW(f, lo, hi, what, ...) { f, f, PHX_T_INT, lo, hi, 0, what, __VA_ARGS__ }
#define NO_PVE .pve = NULL, .apply = PHX_AT_BUILD

/* The attribute table. Ranges and formats follow Proxmox's own schema
 * (pve-container src/PVE/LXC/Config.pm, pve-common JSONSchema.pm) so that a
 * value accepted here is one the backend accepts too. When a change applies
 * follows pve-container's vmconfig_hotplug_pending: hostname, onboot,
 * startup and cores are fast-plugged, memory, swap and net0 hot-plugged;
 * anything else stays pending until the next start. */
const struct phx_attr phx_attrs[] = {
	{ "name", "name", PHX_T_HOSTNAME, 0, 0, 0, "a hostname (letters, digits, '-', dots between labels)",
	  PVE("hostname", PHX_PVE_VALUE, PHX_LIVE) },
	INT_ROW("memory_mb", 16, 268435456, "an integer number of MiB, at least 16",
		PVE("memory", PHX_PVE_VALUE, PHX_LIVE)),
	INT_ROW("swap_mb", 0, 268435456, "an integer number of MiB, 0 or more",
		PVE("swap", PHX_PVE_VALUE, PHX_LIVE)),
	INT_ROW("cores", 1, 8192, "an integer number of cores, 1 to 8192",
		PVE("cores", PHX_PVE_VALUE, PHX_LIVE)),
	{ "storage_pool", "storage_pool", PHX_T_STORAGE, 0, 0, 0, "a Proxmox storage id such as local-lvm",
	  PVE("rootfs", PHX_PVE_ROOTFS, PHX_AT_BUILD) },
	INT_ROW("storage_size_gb", 1, 128 * GiB_IN_MiB, "an integer number of GiB, at least 1",
		PVE("rootfs", PHX_PVE_ROOTFS, PHX_AT_BUILD)),
	{ "template", "template", PHX_T_OSTEMPLATE, 0, 0, PHX_A_BUILDS,
	  "an OS template volid such as local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst, or an absolute path",
	  PVE("ostemplate", PHX_PVE_VALUE, PHX_AT_BUILD) },
	{ "clone_from", "clone_from_ctid", PHX_T_CTID, PHX_CTID_MIN, PHX_CTID_MAX,
	  PHX_A_STRING_NEW | PHX_A_BUILDS, "a container id, 100 to 999999999", NO_PVE },
	{ "template_snapshot_name", "template_snapshot_name", PHX_T_SNAPNAME, 0, 0, 0,
	  "a snapshot name: a letter, then letters, digits, '-' or '_'", NO_PVE },
	{ "is_template", "is_template", PHX_T_BOOL, 0, 0, PHX_A_ONLY_TRUE | PHX_A_TOUCH_SETS | PHX_A_BUILDS,
	  "true or false", NO_PVE },
	{ "start_at_boot", "start_at_boot", PHX_T_BOOL, 0, 0, 0, "true or false",
	  PVE("onboot", PHX_PVE_VALUE, PHX_LIVE) },
	INT_ROW("boot_order", 0, 1000000, "an integer, 0 or more",
		PVE("startup", PHX_PVE_STARTUP, PHX_LIVE)),
	INT_ROW("boot_delay", 0, 1000000, "an integer number of seconds, 0 or more",
		PVE("startup", PHX_PVE_STARTUP, PHX_LIVE)),
	/* PVE 8 creates a privileged container when the parameter is left out
	 * (PVE 9 an unprivileged one): always say which. Read-only after. */
	{ "unprivileged", "unprivileged", PHX_T_BOOL, 0, 0, 0, "true or false",
	  PVE("unprivileged", PHX_PVE_VALUE, PHX_AT_BUILD), .pve_default = "1" },
	{ "mac_address", "mac_address", PHX_T_MAC, 0, 0, 0, "a unicast MAC address such as BC:24:11:00:00:01 (empty: let Proxmox pick)",
	  PVE("net0", PHX_PVE_NET0, PHX_LIVE) },
	{ "node", "node", PHX_T_NODE, 0, 0, 0, "a Proxmox node name", NO_PVE },
	{ NULL, "network_config", PHX_T_NETWORK, 0, 0, 0, "an object of net0's keys (name, bridge, ip, gw, ...)",
	  PVE("net0", PHX_PVE_NET0, PHX_LIVE) },
	{ "nameservers", "nameservers", PHX_T_ADDRLIST, 0, 0, 0,
	  "IP addresses separated by spaces or commas, such as 10.0.0.13 1.1.1.1",
	  PVE("nameserver", PHX_PVE_VALUE, PHX_RESTART), .net_alias = "nameservers" },
	{ "searchdomain", "searchdomain", PHX_T_DNSLIST, 0, 0, 0,
	  "DNS domains separated by spaces or commas, such as lab.example.com",
	  PVE("searchdomain", PHX_PVE_VALUE, PHX_RESTART), .net_alias = "searchdomain" },
	/* The keys lxc-manager.sh's `create` reads beyond one parameter each
	 * (lxc_keys.h). They have no file of their own: they show as the
	 * entry's other keys, in JSON, as before. pct_options is Proxmox's
	 * `features`, which a running container takes at its next start
	 * (vmconfig_hotplug_pending does not hot-plug it). */
	{ NULL, "pct_options", PHX_T_JSON, 0, 0, 0, "a list of Proxmox features such as [\"nesting=1\"]",
	  PVE("features", PHX_PVE_FEATURES, PHX_RESTART), .check = phx_check_pct_options },
	{ NULL, "firewall", PHX_T_JSON, 0, 0, 0, "an object {enabled, rules, options}",
	  PVE("net0", PHX_PVE_NET0, PHX_LIVE), .check = phx_check_firewall },
	{ NULL, "features", PHX_T_JSON, 0, 0, 0, "a list of feature names", NO_PVE,
	  .check = phx_check_features },
	{ NULL, "application_script", PHX_T_JSON, 0, 0, 0, "a script name", NO_PVE,
	  .check = phx_check_app_script },
	{ NULL, "dependencies", PHX_T_JSON, 0, 0, 0, "a list of guest ids", NO_PVE,
	  .check = phx_check_deps },
	{ NULL, "enable_lifecycle_snapshots", PHX_T_BOOL, 0, 0, 0, "true or false", NO_PVE },
};
const size_t phx_nattrs = sizeof(phx_attrs) / sizeof(phx_attrs[0]);
_Static_assert(sizeof(phx_attrs) / sizeof(phx_attrs[0]) <= PHX_ATTRS_MAX,
	       "the engine keeps a set of rows in 32 bits");

const struct phx_attr *phx_attr_by_file(const char *file)
{
	for (size_t i = 0; i < phx_nattrs; i++)
		if (phx_attrs[i].file && strcmp(phx_attrs[i].file, file) == 0)
			return &phx_attrs[i];
	return NULL;
}

const struct phx_attr *phx_schema_row(const char *key)
{
	for (size_t i = 0; key && i < phx_nattrs; i++)
		if (strcmp(phx_attrs[i].key, key) == 0)
			return &phx_attrs[i];
	return NULL;
}

const struct phx_attr *phx_attr_by_key(const char *key)
{
	const struct phx_attr *a = phx_schema_row(key);

	return a && a->file ? a : NULL;
}

bool phx_entry_wants_template(json_object *entry)
{
	json_object *v;

	if (!entry || !json_object_object_get_ex(entry, "is_template", &v))
		return false;
	/* a hand-edited file may say "true" */
	return json_object_is_type(v, json_type_string) ?
		strcmp(json_object_get_string(v), "true") == 0 : json_object_get_boolean(v);
}

json_object *phx_entry_value(json_object *entry, const struct phx_attr *a)
{
	json_object *v = NULL, *net;

	if (!entry || !json_object_is_type(entry, json_type_object))
		return NULL;
	if (!json_object_object_get_ex(entry, a->key, &v) && a->net_alias &&
	    json_object_object_get_ex(entry, "network_config", &net) &&
	    json_object_is_type(net, json_type_object))
		json_object_object_get_ex(net, a->net_alias, &v);
	return json_object_is_type(v, json_type_null) ? NULL : v;
}

int phx_einval(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

size_t phx_trim(const char **text, size_t len)
{
	const char *s = *text;

	while (len > 0 && isspace((unsigned char)s[0])) {
		s++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	*text = s;
	return len;
}

static bool parse_decimal(const char *s, size_t len, long long *out)
{
	long long v = 0;

	if (len == 0 || len > 18)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

int phx_parse_ctid(const char *s, size_t len, uint32_t *out)
{
	long long v;

	if (!parse_decimal(s, len, &v) || v < PHX_CTID_MIN || v > PHX_CTID_MAX)
		return -EINVAL;
	if (len > 1 && s[0] == '0')
		return -EINVAL; /* one spelling per CTID: "0900" is not 900 */
	*out = (uint32_t)v;
	return 0;
}

bool phx_json_int(json_object *v, long long *out)
{
	if (json_object_is_type(v, json_type_int)) {
		*out = json_object_get_int64(v);
		return true;
	}
	if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);
		size_t len = phx_trim(&s, strlen(s));

		return parse_decimal(s, len, out);
	}
	return false;
}

int phx_json_ctid(json_object *v, uint32_t *out)
{
	long long n;

	if (!phx_json_int(v, &n) || n < PHX_CTID_MIN || n > PHX_CTID_MAX)
		return -EINVAL;
	*out = (uint32_t)n;
	return 0;
}

static bool is_label(const char *s, size_t len)
{
	if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

static bool is_hostname(const char *s, size_t len)
{
	size_t start = 0;

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (!is_label(s + start, i - start))
				return false;
			start = i + 1;
		}
	}
	return true;
}

/* pve-storage-id: ^[a-z][a-z0-9\-_.]*[a-z0-9]$ matched case-insensitively
 * (pve-common JSONSchema.pm parse_storage_id -> parse_id uses m/.../i), so
 * the origin's "FastPool-CT-Disks" is a storage id as Proxmox sees it. */
static bool is_storage_id(const char *s, size_t len)
{
	if (len < 2 || len > 64 || !isalpha((unsigned char)s[0]))
		return false;
	if (!isalnum((unsigned char)s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isalnum(c) && c != '-' && c != '_' && c != '.')
			return false;
	}
	return true;
}

static bool has_space_or_ctrl(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (isspace((unsigned char)s[i]) || iscntrl((unsigned char)s[i]))
			return true;
	return false;
}

static bool is_ostemplate(const char *s, size_t len)
{
	const char *colon;

	if (len == 0 || len > 4096 || has_space_or_ctrl(s, len))
		return false;
	if (s[0] == '/')
		return len > 1;
	colon = memchr(s, ':', len);
	if (!colon || !is_storage_id(s, (size_t)(colon - s)))
		return false;
	return (size_t)(colon - s) + 1 < len; /* something after the colon */
}

static bool is_mac(const char *s, size_t len)
{
	if (len == 0)
		return true; /* "" means "let Proxmox pick", as the existing file uses it */
	if (len != 17)
		return false;
	for (size_t i = 0; i < 17; i++) {
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	/* Proxmox refuses multicast addresses (low bit of the first octet). */
	return (strtol((char[]){ s[0], s[1], 0 }, NULL, 16) & 1) == 0;
}

static bool is_snapname(const char *s, size_t len)
{
	if (len < 2 || len > 40 || !isalpha((unsigned char)s[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

static bool parse_bool(const char *s, size_t len, bool *out)
{
	if ((len == 4 && memcmp(s, "true", 4) == 0) || (len == 1 && s[0] == '1')) {
		*out = true;
		return true;
	}
	if ((len == 5 && memcmp(s, "false", 5) == 0) || (len == 1 && s[0] == '0')) {
		*out = false;
		return true;
	}
	return false;
}

/* An IPv4 or IPv6 address (inet_pton's forms), of at most len bytes. */
static bool is_ip(const char *s, size_t len, int family)
{
	char buf[INET6_ADDRSTRLEN + 1];
	unsigned char out[sizeof(struct in6_addr)];

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (family)
		return inet_pton(family, buf, out) == 1;
	return inet_pton(AF_INET, buf, out) == 1 || inet_pton(AF_INET6, buf, out) == 1;
}

/* ADDRESS/PREFIX with the prefix in 8..maxbits: pve-common JSONSchema.pm
 * pve_verify_cidrv4 / pve_verify_cidrv6 (/(\d+) with $1 > 7). */
static bool is_cidr(const char *s, size_t len, int family, long maxbits)
{
	const char *slash = memchr(s, '/', len);
	long long bits;

	if (!slash || !is_ip(s, (size_t)(slash - s), family))
		return false;
	len -= (size_t)(slash - s) + 1;
	return parse_decimal(slash + 1, len, &bits) && bits >= 8 && bits <= maxbits;
}

/* pve-common PVE::Tools::split_list: items separated by spaces, commas or
 * ';'. Each item must pass ok; an empty list is refused. */
static bool is_list_sep(char c)
{
	return c == ' ' || c == '\t' || c == ',' || c == ';'; /* not NUL: strchr would say yes */
}

static bool list_ok(const char *s, size_t len, bool (*ok)(const char *, size_t))
{
	size_t i = 0, items = 0;

	while (i < len) {
		size_t j = i;

		while (j < len && !is_list_sep(s[j]))
			j++;
		if (j > i) {
			if (!ok(s + i, j - i))
				return false;
			items++;
		}
		i = j + 1;
	}
	return items > 0;
}

/* pve-container's lxc-ip-with-ll-iface: an address, a link-local IPv6 one
 * may name its interface (fe80::1%eth0). */
static bool is_nameserver(const char *s, size_t len)
{
	const char *pct = memchr(s, '%', len);

	if (pct)
		return is_ip(s, (size_t)(pct - s), AF_INET6) && is_label(pct + 1, len - (size_t)(pct - s) - 1);
	return is_ip(s, len, 0);
}

static bool is_dns_name(const char *s, size_t len) { return is_hostname(s, len); }

/* net0's name and bridge: pve-container's pattern [-_.\w\d]+ */
static bool is_ifname(const char *s, size_t len)
{
	if (len == 0 || len > 64)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

static bool is_ipv4_config(const char *s, size_t len)
{
	return (len == 4 && memcmp(s, "dhcp", 4) == 0) || (len == 6 && memcmp(s, "manual", 6) == 0) ||
	       is_cidr(s, len, AF_INET, 32);
}

static bool is_ipv6_config(const char *s, size_t len)
{
	return (len == 4 && (memcmp(s, "dhcp", 4) == 0 || memcmp(s, "auto", 4) == 0)) ||
	       (len == 6 && memcmp(s, "manual", 6) == 0) || is_cidr(s, len, AF_INET6, 128);
}

static bool is_ipv4(const char *s, size_t len) { return is_ip(s, len, AF_INET); }
static bool is_ipv6(const char *s, size_t len) { return is_ip(s, len, AF_INET6); }

/* The keys of network_config that become net0 (pve-container's
 * $netconf_desc), and the two that the origin's scripts keep there for
 * their own parameters. Other keys are free. */
static const struct net_key {
	const char *key;
	bool (*text)(const char *, size_t); /* a string key */
	long long min, max;                 /* an integer key, when text is NULL */
	const char *what;
} net_keys[] = {
	{ "name", is_ifname, 0, 0, "an interface name (letters, digits, '-', '_', '.')" },
	{ "bridge", is_ifname, 0, 0, "a bridge name such as vmbr0 (letters, digits, '-', '_', '.')" },
	{ "ip", is_ipv4_config, 0, 0, "an IPv4 address with its prefix, 8 to 32 (10.0.0.5/24), dhcp or manual" },
	{ "gw", is_ipv4, 0, 0, "an IPv4 address" },
	{ "ip6", is_ipv6_config, 0, 0, "an IPv6 address with its prefix, 8 to 128 (fd00::5/64), auto, dhcp or manual" },
	{ "gw6", is_ipv6, 0, 0, "an IPv6 address" },
	{ "tag", NULL, 1, 4094, "a VLAN tag, 1 to 4094" },
	{ "mtu", NULL, 64, 65535, "an MTU, 64 to 65535" },
	{ "rate", NULL, 0, 0, "a rate limit in MB/s, 0 or more" },
	{ "firewall", NULL, 0, 0, "true or false" },
};

bool phx_schema_knows(const struct phx_attr *row, const char *key)
{
	if (!row || row->type != PHX_T_NETWORK || !key)
		return false;
	for (size_t i = 0; i < sizeof(net_keys) / sizeof(net_keys[0]); i++)
		if (strcmp(net_keys[i].key, key) == 0)
			return true;
	return false;
}

/* Proxmox's boolean words (pve-common JSONSchema: 1|0|yes|no|on|off|true|false). */
static bool is_pve_bool(json_object *v)
{
	static const char *const words[] = { "1", "0", "yes", "no", "on", "off", "true", "false" };
	long long n;

	if (json_object_is_type(v, json_type_boolean))
		return true;
	if (json_object_is_type(v, json_type_int))
		return phx_json_int(v, &n) && (n == 0 || n == 1);
	if (!json_object_is_type(v, json_type_string))
		return false;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(json_object_get_string(v), words[i]) == 0)
			return true;
	return false;
}

static bool is_rate(json_object *v)
{
	const char *s;
	char *end;
	double d;

	if (json_object_is_type(v, json_type_int))
		return json_object_get_int64(v) >= 0;
	if (json_object_is_type(v, json_type_double))
		return json_object_get_double(v) >= 0;
	if (!json_object_is_type(v, json_type_string))
		return false;
	s = json_object_get_string(v);
	if (!isdigit((unsigned char)s[0]))
		return false;
	d = strtod(s, &end);
	return *end == '\0' && isfinite(d) && d >= 0;
}

static void shown(char *dst, size_t dstlen, const char *s, size_t len);

static int net_check(json_object *net, char *err, size_t errlen)
{
	if (!json_object_is_type(net, json_type_object))
		return phx_einval(err, errlen, "\"network_config\" must be a JSON object of net0's keys");
	json_object_object_foreach(net, key, v) {
		const struct net_key *k = NULL;
		long long n;
		bool ok;

		for (size_t i = 0; i < sizeof(net_keys) / sizeof(net_keys[0]); i++)
			if (strcmp(net_keys[i].key, key) == 0)
				k = &net_keys[i];
		if (strcmp(key, "nameservers") == 0 || strcmp(key, "searchdomain") == 0) {
			const struct phx_attr *a = phx_schema_row(key);
			char why[256];

			if (!json_object_is_type(v, json_type_null) &&
			    phx_attr_check(a, v, why, sizeof(why)) < 0)
				return phx_einval(err, errlen, "network_config.%s must be %s", key, a->what);
			continue;
		}
		if (!k || json_object_is_type(v, json_type_null))
			continue;
		if (k->text)
			ok = json_object_is_type(v, json_type_string) &&
			     k->text(json_object_get_string(v), (size_t)json_object_get_string_len(v));
		else if (strcmp(key, "firewall") == 0)
			ok = is_pve_bool(v);
		else if (strcmp(key, "rate") == 0)
			ok = is_rate(v);
		else
			ok = phx_json_int(v, &n) && n >= k->min && n <= k->max;
		if (!ok) {
			char show[96];
			const char *s = json_object_is_type(v, json_type_string) ?
				json_object_get_string(v) : NULL;
			char num[64];

			if (!s)
				s = json_object_is_type(v, json_type_object) || json_object_is_type(v, json_type_array) ?
					"(an object or array)" : phx_json_scalar(v, num, sizeof(num));
			shown(show, sizeof(show), s, strlen(s));
			return phx_einval(err, errlen, "network_config.%s: '%s' is not %s", key, show, k->what);
		}
	}
	return 0;
}

/* Check text against a string-valued type. */
static bool text_ok(enum phx_vtype t, const char *s, size_t len)
{
	switch (t) {
	case PHX_T_HOSTNAME:   return is_hostname(s, len);
	case PHX_T_NODE:       return is_label(s, len);
	case PHX_T_STORAGE:    return is_storage_id(s, len);
	case PHX_T_OSTEMPLATE: return is_ostemplate(s, len);
	case PHX_T_MAC:        return is_mac(s, len);
	case PHX_T_SNAPNAME:   return is_snapname(s, len);
	case PHX_T_STRING:     return memchr(s, '\n', len) == NULL && memchr(s, '\0', len) == NULL;
	case PHX_T_ADDRLIST:   return list_ok(s, len, is_nameserver);
	case PHX_T_DNSLIST:    return list_ok(s, len, is_dns_name);
	default:               return false;
	}
}

static void shown(char *dst, size_t dstlen, const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n + 5 < dstlen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (n + 5 >= dstlen || i >= 60) {
			n += (size_t)snprintf(dst + n, dstlen - n, "...");
			break;
		}
		if (isprint(c) && c != '\'')
			dst[n++] = (char)c;
		else
			n += (size_t)snprintf(dst + n, dstlen - n, "\\x%02x", c);
	}
	dst[n < dstlen ? n : dstlen - 1] = '\0';
}

/* json-c keeps the text a double was read with and writes it back as it
 * was, so a number json-c tolerates but JSON does not ("1.", "NaN") would
 * make the saved file unreadable for every other program: refuse it here. */
static bool is_json_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (isdigit((unsigned char)*s))
		while (isdigit((unsigned char)*s))
			s++;
	else
		return false;
	if (*s == '.') {
		if (!isdigit((unsigned char)*++s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	return *s == '\0';
}

static bool numbers_ok(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_double:
		return isfinite(json_object_get_double(v)) &&
		       is_json_number(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(v); i++)
			if (!numbers_ok(json_object_array_get_idx(v, i)))
				return false;
		return true;
	case json_type_object: {
		json_object_object_foreach(v, key, val) {
			(void)key;
			if (!numbers_ok(val))
				return false;
		}
		return true;
	}
	default:
		return true;
	}
}

json_object *phx_json_parse(const char *text, size_t len, size_t *where, const char **why)
{
	return phx_json_parse_at(text, len, 1, where, why);
}

json_object *phx_json_parse_at(const char *text, size_t len, int depth, size_t *where,
			       const char **why)
{
	json_tokener *tok;
	json_object *v;
	enum json_tokener_error e;
	size_t end, start = 0;

	*where = 0;
	if (len > INT32_MAX) {
		*why = "the document is too large";
		return NULL;
	}
	if (depth < 1 || depth > PHX_JSON_MAX_DEPTH) {
		*why = "nested too deep";
		return NULL;
	}
	/* the levels above the value count against the same limit */
	tok = json_tokener_new_ex(PHX_JSON_MAX_DEPTH - depth + 1);
	if (!tok) {
		*why = "out of memory";
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	v = json_tokener_parse_ex(tok, text, (int)len);
	e = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (e == json_tokener_continue && len > 0) {
		/* a number may end the text: the terminator says it is complete */
		v = json_tokener_parse_ex(tok, "", 1);
		e = json_tokener_get_error(tok);
		end = len;
	}
	json_tokener_free(tok);
	if (e == json_tokener_success) {
		while (start < end && isspace((unsigned char)text[start]))
			start++;
		for (size_t i = end; i < len; i++) {
			if (!isspace((unsigned char)text[i])) {
				json_object_put(v);
				*where = i;
				*why = "trailing text after the value";
				return NULL;
			}
		}
		if (!v) { /* json-c says success for a bare null */
			*why = NULL;
			return NULL;
		}
		if (!numbers_ok(v)) {
			json_object_put(v);
			*why = "a number that is not valid JSON (such as 1. or NaN)";
			return NULL;
		}
		if (phx_json_keep_text(v, text + start, end - start) < 0) {
			json_object_put(v);
			*why = "out of memory";
			return NULL;
		}
		return v;
	}
	json_object_put(v);
	*where = end;
	*why = len == 0 ? "empty value" :
	       e == json_tokener_continue ? "unexpected end of the text" :
	       e == json_tokener_error_depth && depth > 1 ?
			"nested more than 32 levels deep (counting the document's own 3), "
			"which the file cannot be read back with" :
	       json_tokener_error_desc(e);
	return NULL;
}

/* json-c's JSON_TOKENER_VALIDATE_UTF8, byte for byte: a lead byte of 2 to 4
 * bytes followed by that many continuation bytes. It checks the shape
 * only (not overlong forms or surrogates); refusing more here than the
 * load refuses would make entries with such text uneditable. */
static bool utf8_shape_ok(const char *s, size_t n)
{
	unsigned more = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (more) {
			if ((c & 0xc0) != 0x80)
				return false;
			more--;
		} else if (c >= 0x80) {
			if ((c & 0xe0) == 0xc0)
				more = 1;
			else if ((c & 0xf0) == 0xe0)
				more = 2;
			else if ((c & 0xf8) == 0xf0)
				more = 3;
			else
				return false;
		}
	}
	return more == 0;
}

int phx_key_acceptable(const char *name, char *err, size_t errlen)
{
	char show[96];

	if (utf8_shape_ok(name, strlen(name)))
		return 0;
	shown(show, sizeof(show), name, strlen(name));
	return phx_einval(err, errlen, "the name '%s' is not valid UTF-8, which the file (JSON) "
		      "cannot hold", show);
}

static int acceptable(json_object *v, int depth, const char *where, char *err, size_t errlen)
{
	switch (json_object_get_type(v)) {
	case json_type_object:
	case json_type_array:
		if (depth > PHX_JSON_MAX_DEPTH)
			return phx_einval(err, errlen, "%s: nested more than %d levels deep "
				      "(counting the document's own 3), which the file cannot be "
				      "read back with", where, PHX_JSON_MAX_DEPTH);
		if (json_object_is_type(v, json_type_array)) {
			for (size_t i = 0; i < json_object_array_length(v); i++) {
				int rc = acceptable(json_object_array_get_idx(v, i), depth + 1,
						    where, err, errlen);

				if (rc < 0)
					return rc;
			}
			return 0;
		}
		json_object_object_foreach(v, key, val) {
			int rc = phx_key_acceptable(key, err, errlen);

			if (rc == 0)
				rc = acceptable(val, depth + 1, where, err, errlen);
			if (rc < 0)
				return rc;
		}
		return 0;
	case json_type_string:
		if (!utf8_shape_ok(json_object_get_string(v), (size_t)json_object_get_string_len(v)))
			return phx_einval(err, errlen, "%s: a string that is not valid UTF-8, which "
				      "the file (JSON) cannot hold", where);
		return 0;
	default:
		return 0;
	}
}

int phx_json_acceptable(json_object *v, int depth, const char *where, char *err, size_t errlen)
{
	return acceptable(v, depth, where, err, errlen);
}

int phx_attr_parse(const struct phx_attr *a, const char *text, size_t len,
		   json_object *old, json_object **out, char *err, size_t errlen)
{
	char show[96];
	long long n;
	bool b;

	*out = NULL;
	len = phx_trim(&text, len);
	shown(show, sizeof(show), text, len);
	/* no value holds a NUL byte: it would end the text the file shows
	 * (fuzz-attr: an address list took "::" followed by NUL and more) */
	if (memchr(text, '\0', len))
		return phx_einval(err, errlen, "%s: '%s' is not %s (it holds a NUL byte)",
			      a->file ? a->file : a->key, show, a->what ? a->what : "a value");

	switch (a->type) {
	case PHX_T_CTID:
	case PHX_T_INT:
		if (!parse_decimal(text, len, &n) || (len > 1 && text[0] == '0'))
			return phx_einval(err, errlen, "%s: '%s' is not %s", a->file, show, a->what);
		if (n < a->min || n > a->max)
			return phx_einval(err, errlen, "%s: %lld is out of range: expected %s",
				      a->file, n, a->what);
		if ((old && json_object_is_type(old, json_type_string)) ||
		    (!old && (a->flags & PHX_A_STRING_NEW))) {
			char buf[24];

			snprintf(buf, sizeof(buf), "%lld", n);
			*out = json_object_new_string(buf);
		} else {
			*out = json_object_new_int64(n);
		}
		return 0;
	case PHX_T_BOOL:
		if (!parse_bool(text, len, &b))
			return phx_einval(err, errlen, "%s: '%s' is not %s", a->file, show, a->what);
		if ((a->flags & PHX_A_ONLY_TRUE) && !b)
			return 0; /* remove the key */
		*out = json_object_new_boolean(b);
		return 0;
	case PHX_T_JSON: {
		const char *why = NULL;
		size_t where;
		json_object *v = phx_json_parse_at(text, len, PHX_ENTRY_DEPTH + 1, &where, &why);

		if (!v && why)
			return phx_einval(err, errlen, "%s: not valid JSON: %s", a->file ? a->file : a->key, why);
		/* a row with a checker of its own (dependencies, features, ...)
		 * accepts here exactly what the whole-entry check accepts */
		if (v && a->check && a->check(v, err, errlen) < 0) {
			json_object_put(v);
			return -EINVAL;
		}
		*out = v; /* NULL for a JSON null, as before */
		return 0;
	}
	case PHX_T_OBJECT:
	case PHX_T_NETWORK:
		return phx_einval(err, errlen, "%s: internal: objects are written as config.json", a->key);
	default:
		if (!text_ok(a->type, text, len))
			return phx_einval(err, errlen, "%s: '%s' is not %s", a->file, show, a->what);
		*out = json_object_new_string_len(text, (int)len);
		return 0;
	}
}

int phx_attr_check(const struct phx_attr *a, json_object *v, char *err, size_t errlen)
{
	long long n;

	switch (a->type) {
	case PHX_T_CTID:
	case PHX_T_INT:
		if (!phx_json_int(v, &n))
			return phx_einval(err, errlen, "\"%s\" must be %s", a->key, a->what);
		if (n < a->min || n > a->max)
			return phx_einval(err, errlen, "\"%s\": %lld is out of range: expected %s",
				      a->key, n, a->what);
		return 0;
	case PHX_T_BOOL:
		if (!json_object_is_type(v, json_type_boolean))
			return phx_einval(err, errlen, "\"%s\" must be true or false", a->key);
		return 0;
	case PHX_T_JSON:
		return a->check ? a->check(v, err, errlen) : 0;
	case PHX_T_OBJECT:
		if (!json_object_is_type(v, json_type_object))
			return phx_einval(err, errlen, "\"%s\" must be a JSON object", a->key);
		return 0;
	case PHX_T_NETWORK:
		return net_check(v, err, errlen);
	default:
		if (!json_object_is_type(v, json_type_string) ||
		    !text_ok(a->type, json_object_get_string(v),
			     (size_t)json_object_get_string_len(v)))
			return phx_einval(err, errlen, "\"%s\" must be %s", a->key, a->what);
		return 0;
	}
}

static char *with_newline(const char *s)
{
	size_t n = strlen(s);
	char *r = malloc(n + 2);

	if (r) {
		memcpy(r, s, n);
		r[n] = '\n';
		r[n + 1] = '\0';
	}
	return r;
}

char *phx_json_format(json_object *v)
{
	return phx_json_pretty(v, 4, NULL);
}

char *phx_attr_format(const struct phx_attr *a, json_object *v)
{
	if (a->type == PHX_T_JSON || a->type == PHX_T_OBJECT || a->type == PHX_T_NETWORK)
		return phx_json_format(v);
	if (json_object_is_type(v, json_type_string))
		return with_newline(json_object_get_string(v));
	if (json_object_is_type(v, json_type_null))
		return with_newline("");
	/* numbers and booleans as JSON prints them: 4096, true */
	{
		char buf[64];

		return with_newline(phx_json_scalar(v, buf, sizeof(buf)));
	}
}

int phx_entry_check(json_object *entry, char *err, size_t errlen)
{
	if (!json_object_is_type(entry, json_type_object))
		return phx_einval(err, errlen, "a container entry must be a JSON object");
	json_object_object_foreach(entry, key, val) {
		const struct phx_attr *a = phx_schema_row(key);
		int rc;

		if (a && (rc = phx_attr_check(a, val, err, errlen)) < 0)
			return rc;
	}
	return phx_entry_conflicts(entry, err, errlen);
}
