#include "backend/engine/params.h"

#include "backend/engine/engine_int.h"
#include "backend/engine/steps.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kv_add(struct kvbuf *kv, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *val;

	if (kv->n == KV_MAX)
		return;
	va_start(ap, fmt);
	if (vasprintf(&val, fmt, ap) < 0)
		val = NULL;
	va_end(ap);
	if (!val)
		return;
	kv->own[kv->n] = val;
	kv->v[kv->n].key = key;
	kv->v[kv->n].value = val;
	kv->n++;
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

/* Entry keys and the K_ bit that carries each to the backend. */
static const struct {
	const char *key;
	unsigned bit;
} key_bits[] = {
	{ "name", K_NAME },
	{ "memory_mb", K_MEMORY },
	{ "swap_mb", K_SWAP },
	{ "cores", K_CORES },
	{ "network_config", K_NET },
	{ "mac_address", K_NET },
	{ "start_at_boot", K_ONBOOT },
	{ "boot_order", K_STARTUP },
	{ "boot_delay", K_STARTUP },
};

unsigned ct_cfg_key_bit(const char *key)
{
	for (size_t i = 0; key && i < sizeof(key_bits) / sizeof(key_bits[0]); i++)
		if (strcmp(key, key_bits[i].key) == 0)
			return key_bits[i].bit;
	return 0;
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
		if (used >= sizeof(buf))
			return;
	}
	if (mac && *mac)
		used += snprintf(buf + used, sizeof(buf) - used, "%shwaddr=%s", used ? "," : "", mac);
	if (used && used < sizeof(buf))
		kv_add(kv, "net0", "%s", buf);
}

void params_config(json_object *entry, unsigned keys, struct kvbuf *kv)
{
	long long n, order, delay;
	bool b, has_order, has_delay;
	const char *s;

	if (!entry)
		return;
	if ((keys & K_NAME) && (s = entry_str(entry, "name")) && *s)
		kv_add(kv, "hostname", "%s", s);
	if ((keys & K_MEMORY) && entry_int(entry, "memory_mb", &n))
		kv_add(kv, "memory", "%lld", n);
	if ((keys & K_SWAP) && entry_int(entry, "swap_mb", &n))
		kv_add(kv, "swap", "%lld", n);
	if ((keys & K_CORES) && entry_int(entry, "cores", &n))
		kv_add(kv, "cores", "%lld", n);
	if (keys & K_NET)
		add_net0(entry, kv);
	if ((keys & K_ONBOOT) && entry_bool(entry, "start_at_boot", &b))
		kv_add(kv, "onboot", "%d", b ? 1 : 0);
	if (keys & K_STARTUP) {
		has_order = entry_int(entry, "boot_order", &order);
		has_delay = entry_int(entry, "boot_delay", &delay);
		if (has_order && has_delay)
			kv_add(kv, "startup", "order=%lld,up=%lld", order, delay);
		else if (has_order)
			kv_add(kv, "startup", "order=%lld", order);
		else if (has_delay)
			kv_add(kv, "startup", "up=%lld", delay);
	}
}

void params_create(json_object *entry, struct kvbuf *kv)
{
	const char *tmpl = entry_str(entry, "template");
	const char *pool = entry_str(entry, "storage_pool");
	long long size;
	bool b;

	if (tmpl)
		kv_add(kv, "ostemplate", "%s", tmpl);
	if (pool && entry_int(entry, "storage_size_gb", &size))
		kv_add(kv, "rootfs", "%s:%lld", pool, size);
	else if (pool)
		kv_add(kv, "storage", "%s", pool); /* Proxmox's default size */
	else if (entry_int(entry, "storage_size_gb", &size))
		kv_add(kv, "rootfs", "%lld", size);
	params_config(entry, K_ALL, kv);
	if (entry_bool(entry, "unprivileged", &b))
		kv_add(kv, "unprivileged", "%d", b ? 1 : 0);
}
