/* The shape of one container entry, shared by the config generator and the
 * baseline filesystem so that both trees hold the same names with the same
 * sizes: what phoenixfs shows for an entry like the ones in
 * phoenix_lxc_configs.json (13 attribute files, 6 files of its own, a
 * network_config directory and 5 other keys) — 25 names per directory. */
#ifndef PHX_BENCH_SHAPE_H
#define PHX_BENCH_SHAPE_H

#include <stddef.h>

struct shape_key {
	const char *file;    /* name in the container directory */
	const char *key;     /* key in the entry; NULL for generated files */
	const char *json;    /* value as JSON text in the config file */
	const char *content; /* what a read of the file returns */
	unsigned mode;       /* 0 = directory */
};

static const struct shape_key shape_keys[] = {
	{ "name", "name", "\"ct%u\"", "ct%u\n", 0644 },
	{ "memory_mb", "memory_mb", "1024", "1024\n", 0644 },
	{ "swap_mb", "swap_mb", "512", "512\n", 0644 },
	{ "cores", "cores", "2", "2\n", 0644 },
	{ "storage_pool", "storage_pool", "\"local-lvm\"", "local-lvm\n", 0644 },
	{ "storage_size_gb", "storage_size_gb", "8", "8\n", 0644 },
	{ "template", "template", "\"local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst\"",
	  "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst\n", 0644 },
	{ "start_at_boot", "start_at_boot", "false", "false\n", 0644 },
	{ "boot_order", "boot_order", "1", "1\n", 0644 },
	{ "boot_delay", "boot_delay", "5", "5\n", 0644 },
	{ "unprivileged", "unprivileged", "true", "true\n", 0644 },
	{ "mac_address", "mac_address", "\"\"", "\n", 0644 },
	{ "node", "node", "\"pve\"", "pve\n", 0644 },
	{ "network_config", "network_config",
	  "{ \"name\": \"eth0\", \"bridge\": \"vmbr0\", \"ip\": \"dhcp\" }", NULL, 0 },
	{ "features", "features", "[ \"base_setup\" ]", "[\n    \"base_setup\"\n]\n", 0644 },
	{ "gpu_assignment", "gpu_assignment", "\"none\"", "\"none\"\n", 0644 },
	{ "firewall", "firewall", "{ \"enabled\": false }", "{\n    \"enabled\": false\n}\n", 0644 },
	{ "description", "description", "\"benchmark container\"", "\"benchmark container\"\n", 0644 },
	{ "tags", "tags", "\"bench\"", "\"bench\"\n", 0644 },
	{ "config.json", NULL, NULL, NULL, 0644 },
	{ "status", NULL, NULL, "absent\n", 0444 },
	{ "error", NULL, NULL, "", 0444 },
	{ "log", NULL, NULL, "", 0444 },
	{ "wait", NULL, NULL, "", 0444 },
	{ "ctl", NULL, NULL, "", 0200 },
};

#define SHAPE_NKEYS (sizeof(shape_keys) / sizeof(shape_keys[0]))

/* network_config as a directory of its keys */
static const struct shape_key shape_net[] = {
	{ "name", "name", NULL, "\"eth0\"\n", 0644 },
	{ "bridge", "bridge", NULL, "\"vmbr0\"\n", 0644 },
	{ "ip", "ip", NULL, "\"dhcp\"\n", 0644 },
};

#define SHAPE_NNET (sizeof(shape_net) / sizeof(shape_net[0]))

#endif
