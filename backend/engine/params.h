/* Request parameters built from a container's entry: what POST create,
 * POST clone and PUT config are sent. Which entry key becomes which
 * parameter is the schema table's (backend/schema.c); this file only forms
 * the values, exactly as Proxmox wants them (booleans "0"/"1"). */
#ifndef PHX_ENGINE_PARAMS_H
#define PHX_ENGINE_PARAMS_H

#include "backend/driver.h"

#include <json-c/json.h>
#include <stdbool.h>

#define KV_MAX 32

struct kvbuf {
	struct phx_kv v[KV_MAX];
	char *own[KV_MAX];
	size_t n;
	/* Sticky: a parameter could not be added (no memory, too many). A
	 * request missing a parameter is never sent: the caller fails the
	 * step instead. */
	bool failed;
};

void kv_add(struct kvbuf *kv, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Replace key's value (add it when absent). */
void kv_set(struct kvbuf *kv, const char *key, const char *value);
void kv_free(struct kvbuf *kv);
/* "hostname, memory" for log lines; into buf. */
void kv_keys(const struct kvbuf *kv, char *buf, size_t len);

/* The rows a PUT config can carry to an existing container (live and
 * restart rows with a Proxmox parameter), as a set of row bits. */
unsigned params_config_rows(void);
/* The parameters of the rows in `rows` (phx_attr_bit) that the entry sets. */
void params_config(json_object *entry, unsigned rows, struct kvbuf *kv);
/* Everything POST create takes from the entry (ostemplate, rootfs,
 * unprivileged, and every config row). */
void params_create(json_object *entry, struct kvbuf *kv);

#endif
