#!/bin/bash
# A two-node cluster: guests of both nodes are listed; a container's `node`
# chooses where it is created (pve_node= is the default, else placement:
# most free memory); every operation goes to the node that holds the guest.
set -u
. "$PHX_SOURCE/tests/integration/engine/lib.sh"

pvesim_start "$ENG_WORK/sim" 0 --node pve1 --node pve2 --task-ms 100 \
	--storage local:dir --storage local-lvm:lvmthin --storage shared:nfs || bail "pvesim did not start"
eng_api_create 110 pve1 start || bail "cannot create 110 on pve1"
eng_api_create 120 pve2 || bail "cannot create 120 on pve2"
cat >"$ENG_CONFIG" <<JSON
{"lxc_configs": {
  "970": {"name": "on-two", "node": "pve2", "storage_pool": "local-lvm", "template": "$OSTMPL"},
  "971": {"name": "placed", "storage_pool": "local-lvm", "template": "$OSTMPL"},
  "972": {"name": "by-default", "storage_pool": "local-lvm", "template": "$OSTMPL"},
  "973": {"name": "nowhere", "storage_pool": "nostore", "template": "$OSTMPL"},
  "900": {"name": "tpl2", "node": "pve2", "is_template": true, "storage_pool": "local-lvm",
          "template": "$OSTMPL"},
  "981": {"name": "leaf2", "memory_mb": 256}
}}
JSON
eng_mount
wait_for "110 (pve1) listed running" 10 status_is 110 running
wait_for "120 (pve2) listed stopped" 10 status_is 120 stopped
check "both are directories" sh -c "ls '$ENG_MNT' | grep -qx 110 && ls '$ENG_MNT' | grep -qx 120"

check "build 970 (node = pve2)" bash -c "echo create > '$ENG_MNT/970/ctl'"
check "wait 970" timeout 30 cat "$ENG_MNT/970/wait"
expect_eq "970 running" running "$(cat "$W/out")"
node_of() { pvesim_api GET /cluster/resources | jq -r ".data[] | select(.vmid == $1) | .node"; }
expect_eq "970 was created on pve2" pve2 "$(node_of 970)"
expect_eq "its create ran on pve2" 1 "$(eng_tasks pve2 vzcreate 970)"
expect_eq "nothing was created on pve1" 0 "$(eng_tasks pve1 vzcreate 970)"
expect_eq "970 runs on pve2" running \
	"$(pvesim_api GET /nodes/pve2/lxc/970/status/current | jq -r .data.status)"

# no node, no pve_node, two nodes: placed where most memory is free
# (test_placement.sh pins which node; here: it is built and says why)
check "build 971 (no node)" bash -c "echo create > '$ENG_MNT/971/ctl'"
check "wait 971" timeout 30 cat "$ENG_MNT/971/wait"
expect_eq "971 running" running "$(cat "$W/out")"
placed=$(node_of 971)
check "971's log says why that node" grep -q "placed 971 on $placed: most free memory: " "$ENG_MNT/971/log"
# no node has the storage: a clear error, nothing made
check "build 973 (storage nowhere)" bash -c "echo create > '$ENG_MNT/973/ctl'"
check_fails "wait 973: EIO" "Input/output error" timeout 30 cat "$ENG_MNT/973/wait"
check "973's error says no node has the storage" grep -q \
	"cannot choose a node for 973: no online node with storage 'nostore' reports its memory (2 nodes listed)" \
	"$ENG_MNT/973/error"
expect_eq "973 not made" "" "$(node_of 973)"

# operations go to the guest's node
check "echo stop > 110/ctl" bash -c "echo stop > '$ENG_MNT/110/ctl'"
check "wait 110" timeout 30 cat "$ENG_MNT/110/wait"
expect_eq "110 stopped" stopped "$(cat "$W/out")"
expect_eq "the stop ran on pve1" 1 "$(eng_tasks pve1 vzstop 110)"
check "echo start > 120/ctl" bash -c "echo start > '$ENG_MNT/120/ctl'"
check "wait 120" timeout 30 cat "$ENG_MNT/120/wait"
expect_eq "120 running" running "$(cat "$W/out")"
expect_eq "the start ran on pve2" 1 "$(eng_tasks pve2 vzstart 120)"
check "echo 640 > 970/memory_mb" bash -c "echo 640 > '$ENG_MNT/970/memory_mb'"
check "wait 970" timeout 30 cat "$ENG_MNT/970/wait"
expect_eq "memory set on pve2" 640 "$(pvesim_api GET /nodes/pve2/lxc/970/config | jq -r .data.memory)"

# a clone goes to its source's node: 981 from the template 900 on pve2
check "echo 900 > 981/clone_from" bash -c "echo 900 > '$ENG_MNT/981/clone_from'"
check "wait 981" timeout 60 cat "$ENG_MNT/981/wait"
expect_eq "981 running" running "$(cat "$W/out")"
expect_eq "900 on pve2" pve2 "$(node_of 900)"
expect_eq "981 on pve2, beside its source" pve2 "$(node_of 981)"
expect_eq "the clone ran on pve2" 1 "$(eng_tasks pve2 vzclone 900)"

# destroy on pve2
check "echo destroy > 120/ctl" bash -c "echo destroy > '$ENG_MNT/120/ctl'"
check "wait 120" timeout 30 cat "$ENG_MNT/120/wait"
expect_eq "120 absent" absent "$(cat "$W/out")"
expect_eq "the destroy ran on pve2" 1 "$(eng_tasks pve2 vzdestroy 120)"

# pve_node= is the default node
eng_umount
eng_mount pve_node=pve1
check "build 972 with pve_node=pve1" bash -c "echo create > '$ENG_MNT/972/ctl'"
check "wait 972" timeout 30 cat "$ENG_MNT/972/wait"
expect_eq "972 running" running "$(cat "$W/out")"
expect_eq "972 was created on pve1" pve1 "$(node_of 972)"
expect_eq "guests on both nodes" "$(echo pve1 pve1 pve2 pve2 pve2 $placed | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')" \
	"$(pvesim_api GET /cluster/resources | jq -r '[.data[] | select(.type == "lxc") | .node] | sort | join(" ")')"
listed=$(ls "$ENG_MNT" | grep -E '^[0-9]+$' | tr '\n' ' ')
expect_eq "all listed in the mount" "110 900 970 971 972 973 981 " "$listed"
done_testing
