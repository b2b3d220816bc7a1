/* A container's firewall (pve-firewall API2/Firewall/VM.pm for the `ct`
 * rule environment, API2/Firewall/Rules.pm RulesBase, Firewall.pm
 * verify_rule): its rules, newest first, and its options. Kept in the
 * guest record as /etc/pve/firewall/ID.fw is kept beside the config (and
 * deleted with it). Proxmox answers for a CT that does not exist as if
 * its file were empty; pvesim answers the missing-config error. */
#include "sim_internal.h"

#include <gnutls/crypto.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_object *fw(json_object *g, const char *what, enum json_type t)
{
	json_object *f, *x;
	if (!json_object_object_get_ex(g, "firewall", &f)) {
		f = json_object_new_object();
		json_object_object_add(g, "firewall", f);
	}
	if (!json_object_object_get_ex(f, what, &x)) {
		x = t == json_type_array ? json_object_new_array() : json_object_new_object();
		json_object_object_add(f, what, x);
	}
	return x;
}

/* copy_opject_with_digest / copy_list_with_digest: SHA-1 over the data */
static void digest_of(json_object *o, char out[41])
{
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	unsigned char md[20];
	gnutls_hash_fast(GNUTLS_DIG_SHA1, text, strlen(text), md);
	for (int i = 0; i < 20; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
	out[40] = 0;
}

/* Firewall.pm $rule_properties (pos, digest and delete added per call) */
static const struct pdef rule_params[] = {
	{ "type", PT_ENUM, 0, 0, "in,out,forward,group" },
	{ "action", PT_STR, 0, 20, NULL },
	{ "macro", PT_STR, 0, 128, NULL },
	{ "iface", PT_STR, 0, 20, NULL },
	{ "source", PT_STR, 0, 512, NULL },
	{ "dest", PT_STR, 0, 512, NULL },
	{ "proto", PT_STR, 0, 64, NULL },
	{ "enable", PT_INT, 0, LLONG_MAX, NULL },
	{ "log", PT_ENUM, 0, 0, "emerg,alert,crit,err,warning,notice,info,debug,nolog" },
	{ "sport", PT_STR, 0, 256, NULL },
	{ "dport", PT_STR, 0, 256, NULL },
	{ "comment", PT_STR, 0, 8192, NULL },
	{ "icmp-type", PT_STR, 0, 64, NULL },
	{ "pos", PT_INT, 0, LLONG_MAX, NULL },
	{ "moveto", PT_INT, 0, LLONG_MAX, NULL },
	{ "digest", PT_STR, 0, 64, NULL },
	{ "delete", PT_STR, 0, 4096, NULL },
	{ NULL, 0, 0, 0, NULL },
};

static const char *const rule_keys[] = { "type", "action", "macro", "iface",
	"source", "dest", "proto", "enable", "log", "sport", "dport", "comment",
	"icmp-type", NULL };

/* port list: NUMBER or A:B, comma separated, each <= 65535
 * (Firewall.pm parse_port_name_number_or_range, numbers only here) */
static int check_ports(const char *param, const char *v, struct sim_res *r)
{
	char buf[256], *save, *tok;
	snprintf(buf, sizeof(buf), "%s", v);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');
		long a = strtol(tok, NULL, 10), b = colon ? strtol(colon + 1, NULL, 10) : a;
		if (strspn(tok, "0123456789:") != strlen(tok)) {
			res_param(r, param, "invalid port '%s'", tok);
			return -1;
		}
		if (a > 65535 || b > 65535) {
			res_param(r, param, "invalid port '%ld'", a > 65535 ? a : b);
			return -1;
		}
		if (colon && b < a) {
			res_param(r, param, "backwards range '%ld:%ld' not allowed, did you mean '%ld:%ld'?",
				  a, b, b, a);
			return -1;
		}
	}
	return 0;
}

/* Firewall.pm verify_rule for rule_env `ct` (the checks pvesim models:
 * type, action, iface, ports needing a protocol) */
static int verify_rule(json_object *rule, struct sim_res *r)
{
	const char *type = NULL, *action = NULL, *v, *proto = NULL;

	sim_param_str(rule, "type", &type);
	sim_param_str(rule, "action", &action);
	sim_param_str(rule, "proto", &proto);
	if (!type)
		res_param(r, "type", "missing property");
	if (!action)
		res_param(r, "action", "missing property");
	if (r->status == 400)
		return -1;
	if (!strcmp(type, "forward")) {
		res_param(r, "type", "invalid rule type '%s' for rule_env 'ct'", type);
		return -1;
	}
	if (!strcmp(type, "group")) {
		/* the group's existence is not checked when the rule is made */
		if (!sim_match("^[A-Za-z][A-Za-z0-9_-]+$", action)) {
			res_param(r, "action", "invalid characters in security group name");
			return -1;
		}
		return 0;
	}
	if (!sim_match("^(ACCEPT|DROP|REJECT)$", action)) {
		res_param(r, "action", "unknown action '%s'", action);
		return -1;
	}
	if (sim_param_str(rule, "iface", &v) && !sim_match("^net[0-9]+$", v)) {
		res_param(r, "iface", "value does not match the regex pattern 'net\\d+'");
		return -1;
	}
	if (proto && !sim_match("^(tcp|udp|icmp|icmpv6|ipv6-icmp|sctp|udplite|esp|ah|gre|[0-9]+)$", proto)) {
		res_param(r, "proto", "unknown protocol '%s'", proto);
		return -1;
	}
	if (sim_param_str(rule, "dport", &v)) {
		if (check_ports("dport", v, r))
			return -1;
		if (!proto) {
			res_param(r, "proto", "missing property - 'dport' requires this property");
			return -1;
		}
	}
	if (sim_param_str(rule, "sport", &v)) {
		if (check_ports("sport", v, r))
			return -1;
		if (!proto) {
			res_param(r, "proto", "missing property - 'sport' requires this property");
			return -1;
		}
	}
	return 0;
}

/* VM.pm / Rules.pm permissions: VM.Audit to read, VM.Config.Network to
 * change */
static json_object *fw_guest(struct sim *s, const char *node, const char *vmid,
			     json_object *p, const struct pdef *params,
			     const char *priv, struct sim_res *r)
{
	int id;
	if (sim_check_node(s, node, r) || sim_vm_perm(s, vmid, priv, false, r) ||
	    sim_validate(s, p, params, false, NULL, r))
		return NULL;
	return sim_load_config(s, node, vmid, r, &id);
}

static int check_digest(json_object *data, json_object *p, struct sim_res *r)
{
	const char *want;
	char cur[41];
	if (!sim_param_str(p, "digest", &want))
		return 0;
	digest_of(data, cur);
	if (strcmp(cur, want)) {
		res_err(r, 500, "detected modified configuration - file changed by other user? Try again.");
		return -1;
	}
	return 0;
}

static json_object *rule_out(json_object *rule, int pos, const char *digest)
{
	json_object *o = json_object_new_object();
	json_object_object_foreach(rule, k, v)
		json_object_object_add(o, k, json_object_get(v));
	json_object_object_add(o, "pos", json_object_new_int(pos));
	json_object_object_add(o, "digest", json_object_new_string(digest));
	return o;
}

void sim_fw_rules_list(struct sim *s, const char *node, const char *vmid,
		       json_object *p, struct sim_res *r)
{
	json_object *g = fw_guest(s, node, vmid, p, NULL, "VM.Audit", r), *rules, *arr;
	char digest[41];

	if (!g)
		return;
	rules = fw(g, "rules", json_type_array);
	digest_of(rules, digest);
	arr = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(rules); i++)
		json_object_array_add(arr, rule_out(json_object_array_get_idx(rules, i),
						    (int)i, digest));
	res_ok(r, arr);
}

static int rule_pos(json_object *rules, const char *pos, struct sim_res *r)
{
	long n = strtol(pos, NULL, 10);
	if (!sim_match("^[0-9]+$", pos)) {
		res_param(r, "pos", "type check ('integer') failed - got '%s'", pos);
		return -1;
	}
	if (n >= (long)json_object_array_length(rules)) {
		res_err(r, 500, "no rule at position %ld", n);
		return -1;
	}
	return (int)n;
}

void sim_fw_rule_get(struct sim *s, const char *node, const char *vmid,
		     const char *pos, json_object *p, struct sim_res *r)
{
	json_object *g = fw_guest(s, node, vmid, p, NULL, "VM.Audit", r), *rules;
	char digest[41];
	int i;

	if (!g)
		return;
	rules = fw(g, "rules", json_type_array);
	if ((i = rule_pos(rules, pos, r)) < 0)
		return;
	digest_of(rules, digest);
	res_ok(r, rule_out(json_object_array_get_idx(rules, i), i, digest));
}

/* RulesBase create_rule: the new rule goes first (unshift), or at pos;
 * enable defaults to 0 */
void sim_fw_rule_create(struct sim *s, const char *node, const char *vmid,
			json_object *p, struct sim_res *r)
{
	static const char *const req[] = { "type", "action", NULL };
	json_object *g, *rules, *rule, *nr;
	long pos = 0;
	size_t n;

	/* the method's `permissions` (RPCEnvironment.pm check) */
	if (sim_vm_perm(s, vmid, "VM.Config.Network", false, r))
		return;
	if (sim_check_node(s, node, r) || sim_validate(s, p, rule_params, false, req, r))
		return;
	{
		int id;
		g = sim_load_config(s, node, vmid, r, &id);
	}
	if (!g)
		return;
	rules = fw(g, "rules", json_type_array);
	if (check_digest(rules, p, r))
		return;
	rule = json_object_new_object();
	for (const char *const *k = rule_keys; *k; k++) {
		const char *v;
		if (sim_param_str(p, *k, &v))
			json_object_object_add(rule, *k, !strcmp(*k, "enable") ?
					       json_object_new_int(atoi(v) ? 1 : 0) :
					       json_object_new_string(v));
	}
	if (verify_rule(rule, r)) {
		json_object_put(rule);
		return;
	}
	if (!json_object_object_get_ex(rule, "enable", NULL))
		json_object_object_add(rule, "enable", json_object_new_int(0));
	pos = sim_param_int(p, "pos", 0);
	n = json_object_array_length(rules);
	if (pos > (long)n)
		pos = (long)n;
	nr = json_object_new_array();
	for (size_t i = 0; i <= n; i++) {
		if ((long)i == pos)
			json_object_array_add(nr, rule);
		if (i < n)
			json_object_array_add(nr, json_object_get(json_object_array_get_idx(rules, i)));
	}
	json_object_object_add(json_object_object_get(g, "firewall"), "rules", nr);
	sim_mark_dirty(s);
	res_ok(r, NULL);
}

/* RulesBase update_rule: change keys, delete keys, or move (moveto) */
void sim_fw_rule_update(struct sim *s, const char *node, const char *vmid,
			const char *pos, json_object *p, struct sim_res *r)
{
	json_object *g, *rules, *rule, *copy;
	const char *del = NULL;
	int i, id;

	/* the method's `permissions` (RPCEnvironment.pm check) */
	if (sim_vm_perm(s, vmid, "VM.Config.Network", false, r))
		return;
	if (sim_check_node(s, node, r) || sim_validate(s, p, rule_params, false, NULL, r))
		return;
	g = sim_load_config(s, node, vmid, r, &id);
	if (!g)
		return;
	rules = fw(g, "rules", json_type_array);
	if (check_digest(rules, p, r) || (i = rule_pos(rules, pos, r)) < 0)
		return;
	rule = json_object_array_get_idx(rules, i);
	if (json_object_object_get_ex(p, "moveto", NULL)) {
		long to = sim_param_int(p, "moveto", i);
		size_t n = json_object_array_length(rules);
		json_object *nr = json_object_new_array();
		if (to > (long)n)
			to = (long)n;
		/* Rules.pm: the rule lands before the one now at moveto */
		for (size_t j = 0; j <= n; j++) {
			if ((long)j == to)
				json_object_array_add(nr, json_object_get(rule));
			if (j < n && (int)j != i)
				json_object_array_add(nr, json_object_get(
					json_object_array_get_idx(rules, j)));
		}
		json_object_object_add(json_object_object_get(g, "firewall"), "rules", nr);
		sim_mark_dirty(s);
		res_ok(r, NULL);
		return;
	}
	copy = json_object_new_object();
	json_object_object_foreach(rule, k, v)
		json_object_object_add(copy, k, json_object_get(v));
	if (sim_param_str(p, "delete", &del)) {
		char buf[4096], *save, *tok;
		snprintf(buf, sizeof(buf), "%s", del);
		for (tok = strtok_r(buf, ",; ", &save); tok; tok = strtok_r(NULL, ",; ", &save))
			json_object_object_del(copy, tok);
	}
	for (const char *const *k = rule_keys; *k; k++) {
		const char *v;
		if (sim_param_str(p, *k, &v))
			json_object_object_add(copy, *k, !strcmp(*k, "enable") ?
					       json_object_new_int(atoi(v) ? 1 : 0) :
					       json_object_new_string(v));
	}
	if (verify_rule(copy, r)) {
		json_object_put(copy);
		return;
	}
	json_object_array_put_idx(rules, i, copy);
	sim_mark_dirty(s);
	res_ok(r, NULL);
}

void sim_fw_rule_delete(struct sim *s, const char *node, const char *vmid,
			const char *pos, json_object *p, struct sim_res *r)
{
	static const struct pdef params[] = {
		{ "digest", PT_STR, 0, 64, NULL },
		{ NULL, 0, 0, 0, NULL },
	};
	json_object *g = fw_guest(s, node, vmid, p, params, "VM.Config.Network", r), *rules;
	int i;

	if (!g)
		return;
	rules = fw(g, "rules", json_type_array);
	if (check_digest(rules, p, r) || (i = rule_pos(rules, pos, r)) < 0)
		return;
	json_object_array_del_idx(rules, i, 1);
	sim_mark_dirty(s);
	res_ok(r, NULL);
}

/* VM.pm $vm_option_properties; ndp defaults to 0 in PVE 8 and 1 in PVE 9
 * (pve-firewall stable-bookworm vs master), which only the docs show:
 * GET answers the options set, as Proxmox does. */
static const struct pdef option_params[] = {
	{ "enable", PT_BOOL, 0, 1, NULL },
	{ "macfilter", PT_BOOL, 0, 1, NULL },
	{ "dhcp", PT_BOOL, 0, 1, NULL },
	{ "ndp", PT_BOOL, 0, 1, NULL },
	{ "radv", PT_BOOL, 0, 1, NULL },
	{ "ipfilter", PT_BOOL, 0, 1, NULL },
	{ "policy_in", PT_ENUM, 0, 0, "ACCEPT,REJECT,DROP" },
	{ "policy_out", PT_ENUM, 0, 0, "ACCEPT,REJECT,DROP" },
	{ "log_level_in", PT_ENUM, 0, 0, "emerg,alert,crit,err,warning,notice,info,debug,nolog" },
	{ "log_level_out", PT_ENUM, 0, 0, "emerg,alert,crit,err,warning,notice,info,debug,nolog" },
	{ "delete", PT_STR, 0, 4096, NULL },
	{ "digest", PT_STR, 0, 64, NULL },
	{ NULL, 0, 0, 0, NULL },
};

void sim_fw_options_get(struct sim *s, const char *node, const char *vmid,
			json_object *p, struct sim_res *r)
{
	json_object *g = fw_guest(s, node, vmid, p, NULL, "VM.Audit", r), *opts, *o;
	char digest[41];

	if (!g)
		return;
	opts = fw(g, "options", json_type_object);
	digest_of(opts, digest);
	o = json_object_new_object();
	json_object_object_foreach(opts, k, v)
		json_object_object_add(o, k, json_object_get(v));
	json_object_object_add(o, "digest", json_object_new_string(digest));
	res_ok(r, o);
}

void sim_fw_options_set(struct sim *s, const char *node, const char *vmid,
			json_object *p, struct sim_res *r)
{
	json_object *g = fw_guest(s, node, vmid, p, option_params, "VM.Config.Network", r), *opts;
	const char *del = NULL;

	if (!g)
		return;
	opts = fw(g, "options", json_type_object);
	if (check_digest(opts, p, r))
		return;
	if (sim_param_str(p, "delete", &del)) {
		char buf[4096], *save, *tok;
		snprintf(buf, sizeof(buf), "%s", del);
		for (tok = strtok_r(buf, ",; ", &save); tok; tok = strtok_r(NULL, ",; ", &save)) {
			bool known = false;
			for (const struct pdef *d = option_params; d->name; d++)
				known |= strcmp(d->name, "delete") && strcmp(d->name, "digest") &&
					 !strcmp(d->name, tok);
			if (!known) {
				res_param(r, "delete", "no such option '%s'", tok);
				return;
			}
		}
		snprintf(buf, sizeof(buf), "%s", del);
		for (tok = strtok_r(buf, ",; ", &save); tok; tok = strtok_r(NULL, ",; ", &save))
			json_object_object_del(opts, tok);
	}
	for (const struct pdef *d = option_params; d->name; d++) {
		const char *v;
		if (!strcmp(d->name, "delete") || !strcmp(d->name, "digest") ||
		    !sim_param_str(p, d->name, &v))
			continue;
		if (d->type == PT_BOOL)
			json_object_object_add(opts, d->name,
					       json_object_new_int(sim_param_bool(p, d->name, false)));
		else
			json_object_object_add(opts, d->name, json_object_new_string(v));
	}
	sim_mark_dirty(s);
	res_ok(r, NULL);
}
