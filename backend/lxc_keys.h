/* The keys of the origin's config that drive lxc-manager.sh's `create`
 * beyond one Proxmox parameter each: `features` and `application_script`
 * (host hooks), `firewall` (rules and options through the API),
 * `dependencies` (build and start order), `pct_options` (Proxmox's
 * `features` parameter). Each has a validator that follows the format
 * Proxmox (or the origin's scripts) would apply, so a value that cannot
 * work is refused at write, and the helpers the engine forms requests
 * with. Pure functions: no locks, no I/O. */
#ifndef PHX_LXC_KEYS_H
#define PHX_LXC_KEYS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

/* Validators for schema rows (phx_attr.check): 0 or -EINVAL with the
 * reason in err. A JSON null is accepted by each (the origin writes
 * "pct_options": null for "none"). */
int phx_check_features(json_object *v, char *err, size_t errlen);
int phx_check_app_script(json_object *v, char *err, size_t errlen);
int phx_check_firewall(json_object *v, char *err, size_t errlen);
int phx_check_deps(json_object *v, char *err, size_t errlen);
int phx_check_pct_options(json_object *v, char *err, size_t errlen);

/* Proxmox's `features` parameter from pct_options ["nesting=1",
 * "keyctl=1"]: "nesting=1,keyctl=1" into buf; false when there is none. */
bool phx_pct_features(json_object *entry, char *buf, size_t len);

/* Whether the entry's firewall is enabled ({"enabled": true}). */
bool phx_firewall_enabled(json_object *entry);

/* A snapshot name Proxmox accepts (pve-common pve-configid: a letter,
 * then letters, digits, '-' or '_', at most 40). */
bool phx_snapname_ok(const char *s);

/* The entry keys whose combination Proxmox refuses: a template cannot
 * have snapshots (pve-container: "you can't convert a CT to template if
 * the CT has snapshots"), so `is_template` with `template_snapshot_name`
 * or `enable_lifecycle_snapshots` is -EINVAL with the reason in err. */
int phx_entry_conflicts(json_object *entry, char *err, size_t errlen);

#endif
