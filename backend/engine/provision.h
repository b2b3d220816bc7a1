/* The steps of lxc-manager.sh's `create` beyond create, configure and
 * start (docs/lxc-manager.md): the OS template given as a host path, the
 * firewall, the disk size, the raw CTID.conf lines, snapshots, and the
 * host hooks (features, application script). Each returns STEP_OK,
 * STEP_FAILED (recorded) or STEP_STOPPED, and says in the log what it did
 * or why it did nothing. Run by workers without e->lock held. */
#ifndef PHX_ENGINE_PROVISION_H
#define PHX_ENGINE_PROVISION_H

#include "backend/engine/params.h"
#include "backend/engine/steps.h"

/* The lifecycle snapshots lxc-manager.sh takes (enable_lifecycle_snapshots). */
#define SNAP_PRECONF "pre-configured"
#define SNAP_FINAL "final-form"

/* `template` as a host path: its volume id through GET /storage
 * (phx_ostemplate_volid), put in kv's ostemplate and logged. A volume id
 * is left as it is. */
int step_ostemplate(struct step *s, struct kvbuf *kv);
/* net0's firewall flag is configured with net0; here the options
 * (enable=1 and `firewall.options`) and the rules, replaced as a whole
 * unless they are already what the entry says. */
int step_firewall(struct step *s);
/* Grow rootfs to storage_size_gb; a smaller size is refused (Proxmox
 * cannot shrink a container's disk), never sent. */
int step_disk(struct step *s);
/* The lines an API token cannot set (rawconf.h): merged into
 * pve_conf_dir/CTID.conf when that option is given, else each key is named
 * in the log as not applied, with why. */
int step_rawconf(struct step *s);
/* Whether vmid (on node) has snapshot name: 1 yes, 0 no, STEP_FAILED
 * (recorded), or SNAP_LIST_STOPPED (the engine is stopping). */
#define SNAP_LIST_STOPPED (-2)
int step_has_snapshot(struct step *s, const char *node, uint32_t vmid, const char *name);
/* Take snapshot name of the container. recreate: delete an existing one
 * first (lxc-manager.sh's lifecycle snapshots); otherwise an existing one
 * is kept. optional: "snapshot feature is not available" is a warning in
 * the log, as lxc-manager.sh has it, not a failure. */
int step_snapshot(struct step *s, const char *name, bool recreate, bool optional);

/* hooks.c: the feature hooks of the entry's `features` in list order,
 * skipping those named in `skip` (space-separated) and, when only is not
 * NULL, those it does not name; each one run is added to `done`
 * (space-separated, at most donelen). */
int step_features(struct step *s, const char *skip, const char *only, char *done,
		  size_t donelen);
/* The entry's application_script, if any. */
int step_app_script(struct step *s);

#endif
