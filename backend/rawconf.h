/* What an entry asks of a container that an API token cannot set: raw
 * `lxc.*` lines (`lxc_options`, `apparmor_profile`, `apparmor_manages_nesting`,
 * GPU devices from `gpu_assignment`, `lxc.idmap` from `id_maps`) and bind
 * mounts of host paths (`mount_points`). Proxmox lets only root@pam write
 * these (pve-container API2/LXC.pm: "Only root can pass arbitrary filesystem
 * paths", raw lxc keys are not API parameters at all), so lxc-manager.sh
 * appends them to /etc/pve/lxc/CTID.conf as root on the node.
 *
 * This module turns an entry into those lines and merges them into a
 * CTID.conf text idempotently; whether they are written (root on a
 * Proxmox node, the `pve_conf_dir` option) or only named in `log` as not
 * applied is the engine's choice. Pure functions: no files, no locks. */
#ifndef PHX_RAWCONF_H
#define PHX_RAWCONF_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

/* The lines the entry wants in the main section of CTID.conf ("key: value"
 * each, newline-terminated; bind mounts as "mp?: HOST,mp=PATH", numbered at
 * merge), and the entry keys they come from ("lxc_options gpu_assignment",
 * for log lines), both malloc'd ("" when none). unprivileged selects the
 * id map base (100000) that id_maps punch holes into. Returns 0, or
 * -EINVAL with the entry key and reason in err. */
int phx_rawconf_from_entry(json_object *entry, bool unprivileged, char **lines,
			   char **keys, char *err, size_t errlen);

/* `conf` (a CTID.conf text) with `lines` merged into its main section, the
 * part before the first [snapshot] or [pve:pending] header: a line already
 * there is not added again, a single-valued key (lxc.apparmor.profile,
 * lxc.apparmor.allow_nesting) is replaced, lxc.idmap lines are replaced as a
 * group, and each "mp?:" takes the lowest free mpN unless the same bind
 * mount is already there. *changed says whether the text differs. Returns
 * 0 or -ENOMEM / -EINVAL (no free mount point). */
int phx_rawconf_merge(const char *conf, const char *lines, char **out, bool *changed,
		      char *err, size_t errlen);

#endif
