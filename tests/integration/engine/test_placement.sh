#!/bin/bash
# Placement (issue 16.2) through the mount against a three-node pvesim whose
# nodes differ in memory (--node-memory) and storages (--storage-nodes): a
# container without `node` goes to the online node with the most free
# memory that has its storage, and its log says why; a clone goes beside
# its source (a linked clone must stay with its template); `node` set is
# obeyed.
set -u
. "$PHX_SOURCE/tests/integration/engine/lib.sh"

pvesim_start "$ENG_WORK/sim" 0 --node pve1 --node pve2 --node pve3 --task-ms 100 \
	--storage local:dir --storage local-lvm:lvmthin --storage shared:nfs \
	--storage-nodes local-lvm:pve1,pve3 --node-memory pve1:16 --node-memory pve2:64 \
	--node-memory pve3:32 || bail "pvesim did not start"
cat >"$ENG_CONFIG" <<JSON
{"lxc_configs": {
  "500": {"name": "needs-lvm", "storage_pool": "local-lvm", "template": "$OSTMPL", "memory_mb": 512},
  "501": {"name": "on-shared", "storage_pool": "shared", "template": "$OSTMPL", "memory_mb": 512},
  "502": {"name": "pinned", "node": "pve1", "storage_pool": "local-lvm", "template": "$OSTMPL"},
  "510": {"name": "tpl", "node": "pve1", "is_template": true, "storage_pool": "local-lvm",
          "template": "$OSTMPL"},
  "511": {"name": "leaf", "memory_mb": 256}
}}
JSON
node_of() { pvesim_api GET /cluster/resources | jq -r ".data[] | select(.vmid == $1) | .node"; }
build() { # VMID
	bash -c "echo create > '$ENG_MNT/$1/ctl'" && timeout 60 cat "$ENG_MNT/$1/wait" >/dev/null
}
eng_mount

# pve2 has the most memory but not local-lvm; pve3 has more free than pve1
check "build 500 (local-lvm, no node)" build 500
expect_eq "500 placed on pve3" pve3 "$(node_of 500)"
check "500's log says why pve3" grep -qF \
	"placed 500 on pve3: most free memory: 31.0 of 32.0 GiB, has local-lvm; pve1 15.0 GiB free; pve2 lacks local-lvm" \
	"$ENG_MNT/500/log"
# shared storage is everywhere: the most free memory wins
check "build 501 (shared, no node)" build 501
expect_eq "501 placed on pve2" pve2 "$(node_of 501)"
check "501's log says why pve2" grep -qF "placed 501 on pve2: most free memory: 63.0 of 64.0 GiB, has shared" \
	"$ENG_MNT/501/log"
# node set: as written, no placement
check "build 502 (node pve1)" build 502
expect_eq "502 on pve1" pve1 "$(node_of 502)"
check "502 was not placed" bash -c "! grep -q 'placed 502' '$ENG_MNT/502/log'"
# a linked clone goes to its template's node, not where memory is free
check "build 510 (template on pve1)" build 510
check "echo 510 > 511/clone_from" bash -c "echo 510 > '$ENG_MNT/511/clone_from'"
check "wait 511" timeout 60 cat "$ENG_MNT/511/wait"
expect_eq "511 beside its template on pve1" pve1 "$(node_of 511)"
expect_eq "511's disk is on pve1's local-lvm" "local-lvm:vm-511-disk-0,size=4G" \
	"$(pvesim_api GET /nodes/pve1/lxc/511/config | jq -r .data.rootfs)"
done_testing
