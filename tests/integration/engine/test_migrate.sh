#!/bin/bash
# Migration (issue 16.3) through the mount against a three-node pvesim:
# another node written into `node` of an existing container moves it (a
# running one in restart mode, shown as `migrating: to NODE (UPID…)`); a
# stopped one moves stopped, with its local volume; a refusal (the target
# is offline) is `failed:` with Proxmox's reason, the container stays, and
# drift shows the entry's node against the real one.
set -u
. "$PHX_SOURCE/tests/integration/engine/lib.sh"

pvesim_start "$ENG_WORK/sim" 0 --node pve1 --node pve2 --node pve3 --task-ms 1500 \
	--storage local:dir --storage local-lvm:lvmthin --storage shared:nfs || bail "pvesim did not start"
cat >"$ENG_CONFIG" <<JSON
{"lxc_configs": {
  "600": {"name": "runs", "node": "pve1", "storage_pool": "shared", "template": "$OSTMPL"},
  "601": {"name": "rests", "node": "pve1", "storage_pool": "local-lvm", "template": "$OSTMPL"},
  "610": {"name": "tpl", "node": "pve1", "is_template": true, "storage_pool": "local-lvm",
          "template": "$OSTMPL"},
  "611": {"name": "linked", "clone_from_ctid": 610}
}}
JSON
node_of() { pvesim_api GET /cluster/resources | jq -r ".data[] | select(.vmid == $1) | .node"; }
api_status() { pvesim_api GET "/nodes/$1/lxc/$2/status/current" | jq -r .data.status; }
log_has() { grep -qF -- "$2" "$ENG_MNT/$1/log"; }
eng_mount
check "build 600 and 601" bash -c "echo create > '$ENG_MNT/600/ctl' && echo create > '$ENG_MNT/601/ctl'"
check "wait 600" timeout 90 cat "$ENG_MNT/600/wait"
check "wait 601" timeout 90 cat "$ENG_MNT/601/wait"
expect_eq "600 runs on pve1" "pve1 running" "$(node_of 600) $(api_status pve1 600)"

# a running container: restart migration
check "echo pve2 > 600/node" bash -c "echo pve2 > '$ENG_MNT/600/node'"
wait_for "600 shows migrating: to pve2 (UPID" 10 status_like 600 "migrating: to pve2 (UPID:pve1:*:vzmigrate:600:*)"
check "wait 600" timeout 60 cat "$ENG_MNT/600/wait"
expect_eq "600 runs on pve2" "pve2 running" "$(node_of 600) $(api_status pve2 600)"
expect_eq "one vzmigrate on pve1" 1 "$(eng_tasks pve1 vzmigrate 600)"
check "600's log: restart mode" log_has 600 "migrating 600 from pve1 to pve2 (restart mode: it runs)"
check "later work goes to pve2" bash -c "echo 640 > '$ENG_MNT/600/memory_mb' && timeout 60 cat '$ENG_MNT/600/wait' >/dev/null"
expect_eq "memory set on pve2" 640 "$(pvesim_api GET /nodes/pve2/lxc/600/config | jq -r .data.memory)"

# a stopped container with a local volume: moved stopped, the volume too
check "echo stop > 601/ctl" bash -c "echo stop > '$ENG_MNT/601/ctl' && timeout 60 cat '$ENG_MNT/601/wait' >/dev/null"
check "echo pve2 > 601/node" bash -c "echo pve2 > '$ENG_MNT/601/node'"
check "wait 601" timeout 60 cat "$ENG_MNT/601/wait"
expect_eq "601 stopped on pve2" "pve2 stopped" "$(node_of 601) $(api_status pve2 601)"
expect_eq "its volume moved with it" "local-lvm:vm-601-disk-0,size=4G" \
	"$(pvesim_api GET /nodes/pve2/lxc/601/config | jq -r .data.rootfs)"

# a refusal for local storage: a linked clone cannot leave its template
check "build 611 (linked clone of 610 on pve1)" bash -c "echo create > '$ENG_MNT/611/ctl' && timeout 90 cat '$ENG_MNT/611/wait' >/dev/null"
expect_eq "611 on pve1" pve1 "$(node_of 611)"
check "echo pve2 > 611/node" bash -c "echo pve2 > '$ENG_MNT/611/node'"
check_fails "wait 611: EIO" "Input/output error" timeout 60 cat "$ENG_MNT/611/wait"
wait_for "611 failed: with Proxmox's reason" 10 status_like 611 \
	"failed: migration of 611 to pve2 failed: can't migrate CT - check log: can't migrate local volume 'local-lvm:vm-611-disk-0': clone of 'base-610-disk-0' (it stays on pve1)*"
expect_eq "611 stays on pve1, running, unlocked" "pve1 running none" \
	"$(node_of 611) $(api_status pve1 611) $(pvesim_api GET /nodes/pve1/lxc/611/config | jq -r '.data.lock // "none"')"

# a refusal: the target is offline
curl -sk -o /dev/null -X POST -H "Authorization: PVEAPIToken=$PVESIM_TOKEN" "$PVESIM_URL/pvesim/offline/pve3"
check "echo pve3 > 601/node" bash -c "echo pve3 > '$ENG_MNT/601/node'"
check_fails "wait 601: EIO" "Input/output error" timeout 60 cat "$ENG_MNT/601/wait"
wait_for "601 failed: with Proxmox's reason" 10 status_like 601 \
	"failed: migration of 601 to pve3 failed: Can't connect to destination address using public key (it stays on pve2)*"
expect_eq "601 stays on pve2, unlocked" "pve2 none" \
	"$(node_of 601) $(pvesim_api GET /nodes/pve2/lxc/601/config | jq -r '.data.lock // "none"')"
wait_for "drift: node file=pve3 proxmox=pve2" 20 log_has 601 "drift: node file=pve3 proxmox=pve2"
done_testing
