#include "backend/lxc_keys.h"

#include "backend/schema.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static bool is_null(json_object *v)
{
	return !v || json_object_is_type(v, json_type_null);
}

static const char *str(json_object *v)
{
	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* A name that becomes part of a file name: letters, digits, '_', '-', '.',
 * not starting with '.' or '-' (so never "..", never an option). */
static bool is_word(const char *s)
{
	if (!s || !*s || strlen(s) > 128 || s[0] == '.' || s[0] == '-')
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
			return false;
	return true;
}

int phx_check_features(json_object *v, char *err, size_t errlen)
{
	size_t n;

	if (is_null(v))
		return 0;
	if (!json_object_is_type(v, json_type_array))
		return phx_einval(err, errlen, "\"features\" must be a list of feature names such as "
			   "[\"base_setup\", \"nvidia\"]");
	n = json_object_array_length(v);
	for (size_t i = 0; i < n; i++) {
		const char *s = str(json_object_array_get_idx(v, i));

		if (!is_word(s))
			return phx_einval(err, errlen, "\"features\"[%zu] must be a feature name (letters, "
				   "digits, '_', '-', '.'): it names the script "
				   "phoenix_hypervisor_feature_install_<feature>.sh", i);
		for (size_t k = 0; k < i; k++)
			if (!strcmp(s, json_object_get_string(json_object_array_get_idx(v, k))))
				return phx_einval(err, errlen, "\"features\": '%s' is listed twice", s);
	}
	return 0;
}

int phx_check_app_script(json_object *v, char *err, size_t errlen)
{
	const char *s;

	if (is_null(v))
		return 0;
	s = str(v);
	if (!s)
		return phx_einval(err, errlen, "\"application_script\" must be a script name such as "
			   "\"app_inference.sh\"");
	if (!*s)
		return 0; /* "" is "none", as the origin's jq test reads it */
	/* a path below the script directory: no absolute path, no "..", no
	 * component that is empty or starts with '.' or '-' */
	for (const char *p = s; *p;) {
		size_t len = strcspn(p, "/");
		char part[129];

		if (len == 0 || len >= sizeof(part))
			return phx_einval(err, errlen, "\"application_script\": '%s' must be a relative "
				   "path below app_script_dir", s);
		memcpy(part, p, len);
		part[len] = '\0';
		if (!is_word(part))
			return phx_einval(err, errlen, "\"application_script\": '%s' must be a relative "
				   "path of letters, digits, '_', '-', '.' (no '..', no "
				   "component starting with '.' or '-')", s);
		p += len;
		if (*p == '/')
			p++;
	}
	return 0;
}

int phx_check_deps(json_object *v, char *err, size_t errlen)
{
	size_t n;

	if (is_null(v))
		return 0;
	if (!json_object_is_type(v, json_type_array))
		return phx_einval(err, errlen, "\"dependencies\" must be a list of guest ids such as "
			   "[\"103\", 1002]");
	n = json_object_array_length(v);
	for (size_t i = 0; i < n; i++) {
		uint32_t id;

		if (phx_json_ctid(json_object_array_get_idx(v, i), &id) < 0)
			return phx_einval(err, errlen, "\"dependencies\"[%zu] must be a guest id, 100 to "
				   "999999999", i);
	}
	return 0;
}

/* pve-container Config.pm $features_desc: mount (fstype;fstype), nesting,
 * keyctl, fuse, mknod, force_rw_sys (booleans). */
static bool pve_bool(const char *s)
{
	static const char *const words[] = { "0", "1", "yes", "no", "on", "off", "true",
					     "false", NULL };

	for (const char *const *w = words; *w; w++)
		if (!strcasecmp(s, *w))
			return true;
	return false;
}

static bool pct_option_ok(const char *s, char *why, size_t whylen)
{
	static const char *const flags[] = { "nesting", "keyctl", "fuse", "mknod",
					     "force_rw_sys", NULL };
	const char *eq = strchr(s, '=');
	size_t klen = eq ? (size_t)(eq - s) : strlen(s);

	if (!eq) {
		snprintf(why, whylen, "'%s' must be FLAG=VALUE such as nesting=1", s);
		return false;
	}
	if (klen == 5 && !strncmp(s, "mount", 5)) {
		if (!eq[1] || strspn(eq + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "0123456789_; ") != strlen(eq + 1)) {
			snprintf(why, whylen, "'%s': mount takes file system types such as "
				 "mount=nfs;cifs", s);
			return false;
		}
		return true;
	}
	for (const char *const *f = flags; *f; f++)
		if (strlen(*f) == klen && !strncmp(s, *f, klen)) {
			if (pve_bool(eq + 1))
				return true;
			snprintf(why, whylen, "'%s': %s is a boolean (0 or 1)", s, *f);
			return false;
		}
	snprintf(why, whylen, "'%.*s' is not a Proxmox container feature (mount, nesting, "
		 "keyctl, fuse, mknod, force_rw_sys)", (int)(klen > 40 ? 40 : klen), s);
	return false;
}

int phx_check_pct_options(json_object *v, char *err, size_t errlen)
{
	char why[256];
	size_t n;

	if (is_null(v))
		return 0;
	if (!json_object_is_type(v, json_type_array))
		return phx_einval(err, errlen, "\"pct_options\" must be a list such as [\"nesting=1\"]");
	n = json_object_array_length(v);
	for (size_t i = 0; i < n; i++) {
		const char *s = str(json_object_array_get_idx(v, i));

		if (!s)
			return phx_einval(err, errlen, "\"pct_options\"[%zu] must be a string such as "
				   "\"nesting=1\"", i);
		if (!pct_option_ok(s, why, sizeof(why)))
			return phx_einval(err, errlen, "\"pct_options\"[%zu]: %s", i, why);
	}
	return 0;
}

bool phx_pct_features(json_object *entry, char *buf, size_t len)
{
	json_object *v;
	size_t used = 0, n;

	buf[0] = '\0';
	if (!entry || !json_object_object_get_ex(entry, "pct_options", &v) ||
	    !json_object_is_type(v, json_type_array))
		return false;
	n = json_object_array_length(v);
	for (size_t i = 0; i < n && used < len; i++) {
		const char *s = str(json_object_array_get_idx(v, i));

		if (s && *s)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "," : "", s);
	}
	return used > 0 && used < len;
}

bool phx_firewall_enabled(json_object *entry)
{
	json_object *fw, *en;

	return entry && json_object_object_get_ex(entry, "firewall", &fw) &&
	       json_object_is_type(fw, json_type_object) &&
	       json_object_object_get_ex(fw, "enabled", &en) &&
	       json_object_is_type(en, json_type_boolean) && json_object_get_boolean(en);
}

/* --- firewall rules: pve-firewall Firewall.pm verify_rule, for rule_env ct --- */

static bool is_port_item(const char *s, size_t len)
{
	char buf[64];
	char *colon, *end;
	long a, b;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (isalpha((unsigned char)buf[0])) { /* a service name from /etc/services */
		for (char *p = buf; *p; p++)
			if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
				return false;
		return true;
	}
	colon = strchr(buf, ':');
	a = strtol(buf, &end, 10);
	if (end == buf || (colon ? end != colon : *end) || a < 0 || a > 65535)
		return false;
	if (!colon)
		return true;
	b = strtol(colon + 1, &end, 10);
	return end != colon + 1 && !*end && b >= a && b <= 65535;
}

static bool is_ports(const char *s)
{
	for (const char *p = s;;) {
		size_t len = strcspn(p, ",");

		if (!is_port_item(p, len))
			return false;
		if (!p[len])
			return true;
		p += len + 1;
	}
}

static bool is_cidr_item(const char *s, size_t len)
{
	char buf[128], *slash, *dash;
	unsigned char a[16];
	int fam;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (buf[0] == '+' || isalpha((unsigned char)buf[0])) { /* ipset or alias name */
		const char *p = buf + (buf[0] == '+');

		if (!strncmp(p, "dc/", 3) || !strncmp(p, "guest/", 6))
			p = strchr(p, '/') + 1;
		if (!isalpha((unsigned char)*p) && buf[0] != '+')
			return false;
		if (!strchr(buf, ':'))
			return is_word(p);
	}
	slash = strchr(buf, '/');
	dash = strchr(buf, '-');
	if (dash && !slash) { /* a range a-b */
		*dash = '\0';
		fam = strchr(buf, ':') ? AF_INET6 : AF_INET;
		return inet_pton(fam, buf, a) == 1 && inet_pton(fam, dash + 1, a) == 1;
	}
	if (slash)
		*slash = '\0';
	fam = strchr(buf, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(fam, buf, a) != 1)
		return false;
	if (slash) {
		char *end;
		long p = strtol(slash + 1, &end, 10);

		return end != slash + 1 && !*end && p >= 0 && p <= (fam == AF_INET ? 32 : 128);
	}
	return true;
}

static bool is_addresses(const char *s)
{
	for (const char *p = s;;) {
		size_t len = strcspn(p, ",");

		if (!is_cidr_item(p, len))
			return false;
		if (!p[len])
			return true;
		p += len + 1;
	}
}

static bool proto_has_ports(const char *p)
{
	static const char *const with[] = { "tcp", "udp", "udplite", "sctp", "dccp",
					    "6", "17", "136", "132", "33", NULL };

	for (const char *const *w = with; *w; w++)
		if (!strcmp(p, *w))
			return true;
	return false;
}

static bool is_proto(const char *s)
{
	char *end;
	long n;

	if (isdigit((unsigned char)s[0])) {
		n = strtol(s, &end, 10);
		return !*end && n >= 0 && n <= 255;
	}
	return is_word(s);
}

/* A rule field as a string (the origin writes "port": 22 as well as "22"). */
static const char *field(json_object *rule, const char *key, char *num, size_t numlen)
{
	json_object *v;

	if (!json_object_object_get_ex(rule, key, &v) || is_null(v))
		return NULL;
	if (json_object_is_type(v, json_type_int)) {
		snprintf(num, numlen, "%lld", (long long)json_object_get_int64(v));
		return num;
	}
	return str(v) ? str(v) : "";
}

static int check_rule(json_object *rule, size_t i, char *err, size_t errlen)
{
	static const char *const known[] = { "type", "action", "source", "dest", "proto",
					     "port", "dport", "sport", "comment", "iface",
					     "enable", "log", "macro", "icmp-type", "pos", NULL };
	char nb[5][32];
	const char *type, *action, *proto, *dport, *sport, *s;

	if (!json_object_is_type(rule, json_type_object))
		return phx_einval(err, errlen, "\"firewall\".rules[%zu] must be an object such as "
			   "{\"type\": \"in\", \"action\": \"ACCEPT\", \"proto\": \"tcp\", "
			   "\"port\": \"22\"}", i);
	json_object_object_foreach(rule, key, val) {
		bool ok = false;

		(void)val;
		for (const char *const *k = known; *k && !ok; k++)
			ok = !strcmp(key, *k);
		if (!ok)
			return phx_einval(err, errlen, "\"firewall\".rules[%zu]: '%s' is not a field of a "
				   "Proxmox firewall rule", i, key);
	}
	type = field(rule, "type", nb[0], sizeof(nb[0]));
	action = field(rule, "action", nb[1], sizeof(nb[1]));
	if (!type || !*type)
		return phx_einval(err, errlen, "\"firewall\".rules[%zu]: type: missing property", i);
	if (!action || !*action)
		return phx_einval(err, errlen, "\"firewall\".rules[%zu]: action: missing property", i);
	if (!strcmp(type, "in") || !strcmp(type, "out")) {
		if (strcmp(action, "ACCEPT") && strcmp(action, "DROP") && strcmp(action, "REJECT"))
			return phx_einval(err, errlen, "\"firewall\".rules[%zu]: action: unknown action "
				   "'%s' (ACCEPT, DROP or REJECT)", i, action);
	} else if (!strcmp(type, "group")) {
		if (!is_word(action))
			return phx_einval(err, errlen, "\"firewall\".rules[%zu]: action: invalid characters "
				   "in security group name", i);
	} else {
		return phx_einval(err, errlen, "\"firewall\".rules[%zu]: type: invalid rule type '%s' "
			   "for a container (in, out or group)", i, type);
	}
	if ((s = field(rule, "iface", nb[2], sizeof(nb[2]))) && *s &&
	    (strncmp(s, "net", 3) || !s[3] || strspn(s + 3, "0123456789") != strlen(s + 3)))
		return phx_einval(err, errlen, "\"firewall\".rules[%zu]: iface: value does not match "
			   "the regex pattern 'net\\d+'", i);
	proto = field(rule, "proto", nb[3], sizeof(nb[3]));
	if (proto && *proto && !is_proto(proto))
		return phx_einval(err, errlen, "\"firewall\".rules[%zu]: proto: '%s' is not a protocol "
			   "name or number", i, proto);
	dport = field(rule, "dport", nb[4], sizeof(nb[4]));
	if (!dport)
		dport = field(rule, "port", nb[4], sizeof(nb[4]));
	sport = field(rule, "sport", nb[2], sizeof(nb[2]));
	for (int k = 0; k < 2; k++) {
		const char *p = k ? sport : dport, *name = k ? "sport" : "dport";

		if (!p || !*p)
			continue;
		if (!is_ports(p))
			return phx_einval(err, errlen, "\"firewall\".rules[%zu]: %s: '%s' is not a port, "
				   "range (80:90) or list", i, name, p);
		if (!proto || !*proto)
			return phx_einval(err, errlen, "\"firewall\".rules[%zu]: proto: missing property - "
				   "'%s' requires this property", i, name);
		if (!proto_has_ports(proto))
			return phx_einval(err, errlen, "\"firewall\".rules[%zu]: %s: protocol '%s' does "
				   "not support ports", i, name, proto);
	}
	for (int k = 0; k < 2; k++) {
		const char *name = k ? "dest" : "source";

		s = field(rule, name, nb[0], sizeof(nb[0]));
		if (s && *s && !is_addresses(s))
			return phx_einval(err, errlen, "\"firewall\".rules[%zu]: %s: '%s' is not an "
				   "address, CIDR, range, alias or ipset", i, name, s);
	}
	if ((s = field(rule, "comment", nb[0], sizeof(nb[0]))) && strchr(s, '\n'))
		return phx_einval(err, errlen, "\"firewall\".rules[%zu]: comment: one line only", i);
	return 0;
}

/* pve-firewall API2/Firewall/VM.pm options: what `options` may set. */
static int check_fw_options(json_object *o, char *err, size_t errlen)
{
	static const char *const bools[] = { "enable", "dhcp", "ipfilter", "macfilter",
					     "ndp", "radv", NULL };
	static const char *const policies[] = { "policy_in", "policy_out", NULL };
	static const char *const levels[] = { "log_level_in", "log_level_out", NULL };
	static const char *const level_words[] = { "emerg", "alert", "crit", "err", "warning",
						   "notice", "info", "debug", "nolog", NULL };

	if (!json_object_is_type(o, json_type_object))
		return phx_einval(err, errlen, "\"firewall\".options must be an object such as "
			   "{\"policy_in\": \"DROP\"}");
	json_object_object_foreach(o, key, val) {
		const char *s = str(val);
		bool known = false;

		for (const char *const *k = bools; *k; k++)
			if (!strcmp(key, *k)) {
				known = true;
				if (!json_object_is_type(val, json_type_boolean) &&
				    !(json_object_is_type(val, json_type_int) &&
				      json_object_get_int(val) >= 0 && json_object_get_int(val) <= 1))
					return phx_einval(err, errlen, "\"firewall\".options.%s must be true "
						   "or false", key);
			}
		for (const char *const *k = policies; *k; k++)
			if (!strcmp(key, *k)) {
				known = true;
				if (!s || (strcmp(s, "ACCEPT") && strcmp(s, "DROP") &&
					   strcmp(s, "REJECT")))
					return phx_einval(err, errlen, "\"firewall\".options.%s must be "
						   "ACCEPT, DROP or REJECT", key);
			}
		for (const char *const *k = levels; *k; k++)
			if (!strcmp(key, *k)) {
				bool ok = false;

				known = true;
				for (const char *const *w = level_words; s && *w && !ok; w++)
					ok = !strcmp(s, *w);
				if (!ok)
					return phx_einval(err, errlen, "\"firewall\".options.%s must be a log "
						   "level (nolog, info, warning, ...)", key);
			}
		if (!known)
			return phx_einval(err, errlen, "\"firewall\".options: '%s' is not a container "
				   "firewall option", key);
	}
	return 0;
}

int phx_check_firewall(json_object *v, char *err, size_t errlen)
{
	int rc;

	if (is_null(v))
		return 0;
	if (!json_object_is_type(v, json_type_object))
		return phx_einval(err, errlen, "\"firewall\" must be an object such as {\"enabled\": true, "
			   "\"rules\": [...]}");
	json_object_object_foreach(v, key, val) {
		if (!strcmp(key, "enabled")) {
			if (!json_object_is_type(val, json_type_boolean))
				return phx_einval(err, errlen, "\"firewall\".enabled must be true or false");
		} else if (!strcmp(key, "rules")) {
			if (is_null(val))
				continue;
			if (!json_object_is_type(val, json_type_array))
				return phx_einval(err, errlen, "\"firewall\".rules must be a list of rules");
			for (size_t i = 0; i < json_object_array_length(val); i++)
				if ((rc = check_rule(json_object_array_get_idx(val, i), i, err,
						     errlen)) < 0)
					return rc;
		} else if (!strcmp(key, "options")) {
			if ((rc = check_fw_options(val, err, errlen)) < 0)
				return rc;
		} else {
			return phx_einval(err, errlen, "\"firewall\": '%s' is not a key of it (enabled, "
				   "rules, options)", key);
		}
	}
	return 0;
}

bool phx_snapname_ok(const char *s)
{
	size_t len = s ? strlen(s) : 0;

	if (len < 2 || len > 40 || !isalpha((unsigned char)s[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

int phx_entry_conflicts(json_object *entry, char *err, size_t errlen)
{
	json_object *v;
	bool lifecycle = false;
	const char *snap = NULL;

	if (!phx_entry_wants_template(entry))
		return 0;
	if (json_object_object_get_ex(entry, "template_snapshot_name", &v) && str(v) && *str(v))
		snap = str(v);
	if (json_object_object_get_ex(entry, "enable_lifecycle_snapshots", &v) &&
	    json_object_is_type(v, json_type_boolean))
		lifecycle = json_object_get_boolean(v);
	if (snap)
		return phx_einval(err, errlen, "is_template with template_snapshot_name '%s': Proxmox "
			   "cannot make a template of a container that has snapshots; clones "
			   "of a template are linked clones and need no snapshot (drop one of "
			   "the two)", snap);
	if (lifecycle)
		return phx_einval(err, errlen, "is_template with enable_lifecycle_snapshots: Proxmox "
			   "cannot make a template of a container that has snapshots (drop one "
			   "of the two)");
	return 0;
}
