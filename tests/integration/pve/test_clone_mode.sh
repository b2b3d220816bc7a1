#!/bin/bash
# Linked clones never fall back (issue 14.2): a clone is linked only where
# Proxmox can make it linked; otherwise full, with `storage` when the entry
# names one. pvesim refuses what Proxmox refuses (storage with a linked
# clone, linked on dir/nfs, local storage across nodes), so each of these
# builds would fail if the mount chose wrongly.
set -u
. "$PHX_SOURCE/tests/integration/engine/lib.sh"

pvesim_start "$ENG_WORK/sim" 0 --node pve --node pve2 \
	--storage local:dir --storage local-lvm:lvmthin --storage local-zfs:zfspool \
	--storage shared:nfs ||
	bail "pvesim did not start"
cat >"$ENG_CONFIG" <<JSON
{"lxc_configs": {
  "900": {"name": "tpl-lvm", "is_template": true, "storage_pool": "local-lvm", "storage_size_gb": 4,
          "template": "$OSTMPL"},
  "910": {"name": "tpl-nfs", "is_template": true, "storage_pool": "shared", "storage_size_gb": 4,
          "template": "$OSTMPL"},
  "103": {"name": "other-pool", "clone_from_ctid": 900, "storage_pool": "local-zfs"},
  "104": {"name": "same-pool", "clone_from_ctid": 900, "storage_pool": "local-lvm"},
  "105": {"name": "from-nfs", "clone_from_ctid": 910},
  "106": {"name": "to-pve2", "clone_from_ctid": 910, "node": "pve2"}
}}
JSON
eng_mount pve_node=pve
for id in 900 910 103 104 105 106; do echo create >"$ENG_MNT/$id/ctl" || bail "create > $id/ctl"; done
for id in 103 104 105 106; do
	st=$(timeout 90 cat "$ENG_MNT/$id/wait" 2>"$ENG_WORK/err.$id") || echo "# $id: $(cat "$ENG_WORK/err.$id"): $(cat "$ENG_MNT/$id/status")"
	expect_eq "$id is built" running "$st" || sed 's/^/#   /' "$ENG_MNT/$id/error" 2>/dev/null
done
logged() { grep -q "cloning $1 from $2 on pve: $3" "$ENG_MNT/$1/log"; }
check "103: full to local-zfs, because its pool differs" \
	logged 103 900 "full clone: storage_pool local-zfs is not the template's storage local-lvm"
check "104: linked on the template's lvmthin" \
	logged 104 900 "linked clone on the template's storage local-lvm (lvmthin)"
check "105: full, nfs cannot link" \
	logged 105 910 "full clone: storage shared (nfs) cannot make linked clones"
check "106: full, it goes to pve2" \
	logged 106 910 "full clone: it goes to node pve2, the template is on pve"
rootfs() { pvesim_api GET "/nodes/$2/lxc/$1/config" | jq -r .data.rootfs; }
case $(rootfs 103 pve) in local-zfs:subvol-103-*) ok "103's rootfs is on local-zfs" ;;
	*) nok "103's rootfs: $(rootfs 103 pve)" ;; esac
case $(rootfs 106 pve2) in shared:106/*) ok "106 is on pve2, on the shared storage" ;;
	*) nok "106's rootfs: $(rootfs 106 pve2)" ;; esac
done_testing
