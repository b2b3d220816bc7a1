/* An OS template given as a path on the host (the origin's config names
 * `/fastData/shared-iso/template/cache/ubuntu-...tar.zst`) turned into the
 * volume id Proxmox wants from an API token ("local:vztmpl/ubuntu-...").
 * Proxmox refuses filesystem paths from anyone but root@pam ("Only root can
 * pass arbitrary filesystem paths"), and does this same mapping itself for
 * root (pve-storage, PVE::Storage::path_to_volume_id): the file must sit
 * directly in `<storage path>/template/cache/` and end in .tar, .tar.gz,
 * .tar.xz, .tar.zst or .tar.bz2. */
#ifndef PHX_OSTEMPLATE_H
#define PHX_OSTEMPLATE_H

#include "backend/driver.h"

#include <stdbool.h>
#include <stddef.h>

/* True for "/..." (a host path); volume ids are "STORAGE:vztmpl/FILE". */
bool phx_ostemplate_is_path(const char *s);

/* The volume id for `path` among the cluster's storages, usable on `node`
 * (NULL: any node): a storage that is enabled, has a path, lists vztmpl in
 * its content and whose template directory holds the file. Returns 0 with
 * the volid and the storage id, or -ENOENT with a sentence in err saying
 * which condition failed (no storage has that directory; it has but is
 * not for templates, disabled or not on the node; the file name is not a
 * template's). */
int phx_ostemplate_volid(const char *path, const struct phx_storage_list *storages,
			 const char *node, char *volid, size_t volidlen,
			 char *err, size_t errlen);

#endif
