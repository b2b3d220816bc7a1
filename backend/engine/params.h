/* Request parameters built from a container's entry: what POST create,
 * POST clone and PUT config are sent. Values are form values exactly as
 * Proxmox wants them (booleans "0"/"1", PVE-API §1). */
#ifndef PHX_ENGINE_PARAMS_H
#define PHX_ENGINE_PARAMS_H

#include "backend/driver.h"

#include <json-c/json.h>

#define KV_MAX 32

struct kvbuf {
	struct phx_kv v[KV_MAX];
	char *own[KV_MAX];
	size_t n;
};

void kv_add(struct kvbuf *kv, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void kv_free(struct kvbuf *kv);
/* "hostname, memory" for log lines; into buf. */
void kv_keys(const struct kvbuf *kv, char *buf, size_t len);

/* The attributes in keys (K_* bits) that the entry sets. */
void params_config(json_object *entry, unsigned keys, struct kvbuf *kv);
/* Everything POST create takes from the entry (ostemplate included). */
void params_create(json_object *entry, struct kvbuf *kv);

#endif
