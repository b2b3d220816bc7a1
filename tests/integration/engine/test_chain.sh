#!/bin/bash
# A three-level chain from one write: 960 clones from template 901, which
# clones from template 900, which is made from an OS template; nothing
# exists. One `echo 901 > 960/clone_from` builds 900, converts it, clones
# 901 linked from it, converts 901, clones 960 linked from 901, configures
# and starts 960 — each exactly once, in that order.
set -u
. "$PHX_SOURCE/tests/integration/engine/lib.sh"

# tasks long enough that the queued states can be seen
pvesim_start "$ENG_WORK/sim" 0 --task-ms 400 || bail "pvesim did not start"
cat >"$ENG_CONFIG" <<JSON
{"lxc_configs": {
  "900": {"name": "base", "is_template": true, "memory_mb": 512, "storage_pool": "local-lvm",
          "storage_size_gb": 4, "template": "$OSTMPL"},
  "901": {"name": "base-web", "is_template": true, "clone_from_ctid": 900, "memory_mb": 768},
  "960": {"name": "web1", "memory_mb": 1024, "cores": 2,
          "network_config": {"name": "eth0", "bridge": "vmbr0", "ip": "10.0.0.60/24", "gw": "10.0.0.1"}}
}}
JSON
# a long refresh: the only listings are the first and the one asked for below
eng_mount refresh=30

for c in 900 901 960; do
	expect_eq "$c is absent before" absent "$(eng_status "$c")"
done
check "echo 901 > 960/clone_from" sh -c "echo 901 > '$ENG_MNT/960/clone_from'"
expect_eq "960 waits for its source right away" "queued: waiting for 901" "$(eng_status 960)"
expect_eq "901 waits for its own source" "queued: waiting for 900" "$(eng_status 901)"
wait_for "900 is being created" 10 status_like 900 'creating: from local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst ?UPID:pve:*:vzcreate:900:*'
# while 960 is cloned from 901, Proxmox holds a disk lock on 901 and a
# listing shows it; once the clone is over it must not linger
wait_for "960 is being cloned from 901" 30 status_like 960 'cloning: from 901 ?UPID:pve:*:vzclone:901:*'
check "echo refresh > 901/ctl" sh -c "echo refresh > '$ENG_MNT/901/ctl'"
wait_for "901 shows the clone's lock" 5 status_is 901 "template: locked (disk)"
check "wait on 960" timeout 90 cat "$ENG_MNT/960/wait"
expect_eq "960 settled running" running "$(cat "$W/out")"
expect_eq "900 is a template" template "$(eng_status 900)"
expect_eq "901 is a template" template "$(eng_status 901)"
expect_eq "960 is running" running "$(eng_status 960)"
expect_eq "three guests on the backend" 3 "$(eng_guest_count)"
expect_eq "900 created once" 1 "$(eng_tasks pve vzcreate 900)"
expect_eq "one create in all" 1 "$(eng_tasks pve vzcreate)"
expect_eq "901 cloned from 900 once" 1 "$(eng_tasks pve vzclone 900)"
expect_eq "960 cloned from 901 once" 1 "$(eng_tasks pve vzclone 901)"
expect_eq "two clones in all" 2 "$(eng_tasks pve vzclone)"
expect_eq "960 started once" 1 "$(eng_tasks pve vzstart 960)"
expect_eq "nothing else started" 1 "$(eng_tasks pve vzstart)"

# the backend's view, checked with its own API
for c in 900 901; do
	expect_eq "$c has template: 1" 1 \
		"$(pvesim_api GET /nodes/pve/lxc/$c/config | jq -r '.data.template // 0')"
done
cfg=$(pvesim_api GET /nodes/pve/lxc/960/config)
expect_eq "960 hostname" web1 "$(echo "$cfg" | jq -r .data.hostname)"
expect_eq "960 memory" 1024 "$(echo "$cfg" | jq -r .data.memory)"
expect_eq "960 cores" 2 "$(echo "$cfg" | jq -r .data.cores)"
expect_eq "901 memory (its own entry, not 900's)" 768 \
	"$(pvesim_api GET /nodes/pve/lxc/901/config | jq -r .data.memory)"
expect_eq "960 running on the backend" running \
	"$(pvesim_api GET /nodes/pve/lxc/960/status/current | jq -r .data.status)"

# the order, from each log: 900 converted before 901 was cloned, 901
# converted before 960 was cloned
check "900's log shows create then conversion" sh -c \
	"grep -n 'creating 900' '$ENG_MNT/900/log' && grep -q 'converted' '$ENG_MNT/900/log'"
check "960's log shows a linked clone from 901" grep -q 'cloning 960 from 901 on pve: linked clone' "$ENG_MNT/960/log"
check "901's log shows a linked clone from 900" grep -q 'cloning 901 from 900 on pve: linked clone' "$ENG_MNT/901/log"
order=$(pvesim_api GET "/nodes/pve/tasks?source=all&limit=0" |
	jq -r '[.data[] | select(.type != "vzstart" or .id == "960")] | sort_by(.starttime, .upid) | map(.type + ":" + .id) | join(" ")')
expect_eq "backend tasks in order" "vzcreate:900 vzclone:900 vzclone:901 vzstart:960" \
	"$(echo "$order" | sed 's/ *vztemplate:[0-9]*//g')"
done_testing
