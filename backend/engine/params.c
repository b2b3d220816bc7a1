#include "backend/engine/params.h"

#include "backend/engine/engine_int.h"
#include "backend/engine/steps.h"
#include "backend/lxc_keys.h"
#include "backend/schema.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kv_add(struct kvbuf *kv, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *val;

	if (kv->n == KV_MAX) {
		kv->failed = true;
		return;
	}
	va_start(ap, fmt);
	if (vasprintf(&val, fmt, ap) < 0)
		val = NULL;
	va_end(ap);
	if (!val) {
		kv->failed = true;
		return;
	}
	kv->own[kv->n] = val;
	kv->v[kv->n].key = key;
	kv->v[kv->n].value = val;
	kv->n++;
}

void kv_set(struct kvbuf *kv, const char *key, const char *value)
{
	for (size_t i = 0; i < kv->n; i++)
		if (!strcmp(kv->v[i].key, key)) {
			char *dup = strdup(value);

			if (!dup) {
				kv->failed = true;
				return;
			}
			free(kv->own[i]);
			kv->own[i] = dup;
			kv->v[i].value = dup;
			return;
		}
	kv_add(kv, key, "%s", value);
}

void kv_free(struct kvbuf *kv)
{
	for (size_t i = 0; i < kv->n; i++)
		free(kv->own[i]);
	kv->n = 0;
}

void kv_keys(const struct kvbuf *kv, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < kv->n && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%s", i ? ", " : "", kv->v[i].key);
}

unsigned params_config_rows(void)
{
	unsigned rows = 0;

	for (size_t i = 0; i < phx_nattrs; i++)
		if (phx_attrs[i].pve && phx_attrs[i].apply != PHX_AT_BUILD)
			rows |= phx_attr_bit(&phx_attrs[i]);
	return rows;
}

/* net0 from network_config {name, bridge, ip, gw, ...} and mac_address. */
static void add_net0(json_object *entry, struct kvbuf *kv)
{
	static const char *const keys[] = { "name", "bridge", "ip", "gw", "ip6", "gw6",
					    "tag", "mtu", "firewall", "rate" };
	json_object *net;
	const char *mac = entry_str(entry, "mac_address");
	char buf[1024];
	size_t used = 0;

	if (!json_object_object_get_ex(entry, "network_config", &net) ||
	    !json_object_is_type(net, json_type_object))
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_object *v;
		const char *s;

		if (!json_object_object_get_ex(net, keys[i], &v) ||
		    json_object_is_type(v, json_type_null))
			continue;
		if (json_object_is_type(v, json_type_boolean))
			s = json_object_get_boolean(v) ? "1" : "0";
		else
			s = json_object_get_string(v);
		if (!s || !*s)
			continue;
		used += snprintf(buf + used, sizeof(buf) - used, "%s%s=%s",
				 used ? "," : "", keys[i], s);
		if (used >= sizeof(buf)) {
			kv->failed = true; /* never send half an interface */
			return;
		}
	}
	if (mac && *mac)
		used += snprintf(buf + used, sizeof(buf) - used, "%shwaddr=%s", used ? "," : "", mac);
	/* lxc-manager.sh turns the interface's firewall on when the entry's
	 * firewall is enabled; network_config's own "firewall" wins */
	if (used < sizeof(buf) && phx_firewall_enabled(entry) &&
	    !json_object_object_get_ex(net, "firewall", NULL))
		used += snprintf(buf + used, sizeof(buf) - used, "%sfirewall=1", used ? "," : "");
	if (used >= sizeof(buf))
		kv->failed = true;
	else if (used)
		kv_add(kv, "net0", "%s", buf);
}

static void add_startup(json_object *entry, struct kvbuf *kv)
{
	long long order, delay;
	bool has_order = entry_int(entry, "boot_order", &order);
	bool has_delay = entry_int(entry, "boot_delay", &delay);

	if (has_order && has_delay)
		kv_add(kv, "startup", "order=%lld,up=%lld", order, delay);
	else if (has_order)
		kv_add(kv, "startup", "order=%lld", order);
	else if (has_delay)
		kv_add(kv, "startup", "up=%lld", delay);
}

static void add_rootfs(json_object *entry, struct kvbuf *kv)
{
	const char *pool = entry_str(entry, "storage_pool");
	long long size;

	if (pool && entry_int(entry, "storage_size_gb", &size))
		kv_add(kv, "rootfs", "%s:%lld", pool, size);
	else if (pool)
		kv_add(kv, "storage", "%s", pool); /* Proxmox's default size */
	else if (entry_int(entry, "storage_size_gb", &size))
		kv_add(kv, "rootfs", "%lld", size);
}

/* Proxmox's features from pct_options; an empty or null list sends none
 * (a create leaves Proxmox's defaults, nesting=1 for unprivileged on PVE 9) */
static void add_features(json_object *entry, struct kvbuf *kv)
{
	char buf[512];

	if (phx_pct_features(entry, buf, sizeof(buf)))
		kv_add(kv, "features", "%s", buf);
}

/* A list value (spaces, commas or ';' between items) as Proxmox stores it:
 * items separated by one space (pve-container verify_nameserver_list). */
static void add_list(struct kvbuf *kv, const char *param, const char *s)
{
	char *out = malloc(strlen(s) + 1);
	size_t n = 0;

	if (!out) {
		kv->failed = true;
		return;
	}
	for (const char *p = s; *p;) {
		size_t len = strcspn(p, " \t,;");

		if (len) {
			if (n)
				out[n++] = ' ';
			memcpy(out + n, p, len);
			n += len;
		}
		p += len;
		if (*p)
			p++;
	}
	out[n] = '\0';
	if (n)
		kv_add(kv, param, "%s", out);
	free(out);
}

/* One row's parameter, its value as is. */
static void add_value(json_object *entry, const struct phx_attr *a, struct kvbuf *kv)
{
	json_object *v = phx_entry_value(entry, a);
	long long n;
	bool b;

	if (!v) {
		if (a->pve_default)
			kv_add(kv, a->pve, "%s", a->pve_default);
		return;
	}
	switch (a->type) {
	case PHX_T_BOOL:
		if (entry_bool(entry, a->key, &b))
			kv_add(kv, a->pve, "%d", b ? 1 : 0);
		break;
	case PHX_T_INT:
	case PHX_T_CTID:
		if (phx_json_int(v, &n))
			kv_add(kv, a->pve, "%lld", n);
		break;
	case PHX_T_ADDRLIST:
	case PHX_T_DNSLIST:
		if (json_object_is_type(v, json_type_string))
			add_list(kv, a->pve, json_object_get_string(v));
		break;
	default:
		if (json_object_is_type(v, json_type_string) && json_object_get_string_len(v) > 0)
			kv_add(kv, a->pve, "%s", json_object_get_string(v));
		break;
	}
}

/* The parameters of the rows in `rows`, each formed parameter once (two
 * rows may feed one parameter: boot_order and boot_delay make startup). */
static void add_rows(json_object *entry, unsigned rows, struct kvbuf *kv)
{
	unsigned formed = 0;

	for (size_t i = 0; i < phx_nattrs; i++) {
		const struct phx_attr *a = &phx_attrs[i];

		if (!(rows & phx_attr_bit(a)) || !a->pve)
			continue;
		if (a->form != PHX_PVE_VALUE) {
			if (formed & (1u << a->form))
				continue;
			formed |= 1u << a->form;
		}
		switch (a->form) {
		case PHX_PVE_NET0:    add_net0(entry, kv); break;
		case PHX_PVE_STARTUP: add_startup(entry, kv); break;
		case PHX_PVE_ROOTFS:  add_rootfs(entry, kv); break;
		case PHX_PVE_FEATURES: add_features(entry, kv); break;
		case PHX_PVE_VALUE:   add_value(entry, a, kv); break;
		}
	}
}

void params_config(json_object *entry, unsigned rows, struct kvbuf *kv)
{
	if (entry)
		add_rows(entry, rows & params_config_rows(), kv);
}

void params_create(json_object *entry, struct kvbuf *kv)
{
	unsigned what = 0, build = 0, defaults = 0;

	/* what to build from, the disk, the settings, then the defaults
	 * sent when the entry is silent: the order people read them in */
	for (size_t i = 0; i < phx_nattrs; i++) {
		const struct phx_attr *a = &phx_attrs[i];

		if (a->pve_default)
			defaults |= phx_attr_bit(a);
		else if (a->apply == PHX_AT_BUILD && (a->flags & PHX_A_BUILDS))
			what |= phx_attr_bit(a);
		else if (a->apply == PHX_AT_BUILD)
			build |= phx_attr_bit(a);
	}
	add_rows(entry, what, kv);
	add_rows(entry, build, kv);
	add_rows(entry, params_config_rows(), kv);
	add_rows(entry, defaults, kv);
}
