#!/bin/bash
# dependencies: a container starts only once each guest it depends on
# runs. One in the file is built alongside and started first; one that is
# not (a VM) is waited for on the backend: `queued: waiting for 1002`
# until pvesim lists it running. Here 701 depends on 702, which depends on
# VM 1002. Also: features without feature_dir are skipped with a log line,
# and the keys an API token cannot set are merged into
# pve_conf_dir/CTID.conf before the start.
set -u
. "$PHX_SOURCE/tests/integration/engine/lib.sh"

pvesim_start "$ENG_WORK/sim" 0 --task-ms 100 || bail "pvesim did not start"
port=$PVESIM_PORT
mkdir -p "$W/pveconf"
printf 'arch: amd64\nhostname: dep\n' >"$W/pveconf/702.conf"
cat >"$ENG_CONFIG" <<JSON
{"lxc_configs": {
  "701": {"name": "needs-702", "template": "$OSTMPL", "storage_pool": "local-lvm",
          "dependencies": [702]},
  "702": {"name": "dep", "template": "$OSTMPL", "storage_pool": "local-lvm",
          "dependencies": ["1002"], "features": ["x"],
          "apparmor_profile": "unconfined", "lxc_options": ["lxc.cgroup2.devices.allow=c 195:* rwm"]}
}}
JSON
eng_mount "pve_conf_dir=$W/pveconf"

check "echo create > 701/ctl" sh -c "echo create > '$ENG_MNT/701/ctl'"
wait_for "702 waits for 1002 on the backend" 20 status_is 702 "queued: waiting for 1002"
wait_for "701 waits for 702" 20 status_is 701 "queued: waiting for 702"
expect_eq "both were made meanwhile" "1 1" "$(eng_tasks pve vzcreate 701) $(eng_tasks pve vzcreate 702)"
expect_eq "neither was started" 0 "$(eng_tasks pve vzstart)"
check "702's log says it was asked for" grep -q "build asked for: 701 depends on it" "$ENG_MNT/702/log"
check "702.conf got the raw lines before the start" grep -qx "lxc.apparmor.profile: unconfined" "$W/pveconf/702.conf"
check "  and the lxc option" grep -qx "lxc.cgroup2.devices.allow: c 195:\* rwm" "$W/pveconf/702.conf"
check "  and kept what was there" grep -qx "arch: amd64" "$W/pveconf/702.conf"
check "702's log says so" grep -q "written into $W/pveconf/702.conf" "$ENG_MNT/702/log"

# the VM comes up: pvesim again on the same port, now listing 1002 running
pvesim_stop
pvesim_start "$ENG_WORK/sim" "$port" --task-ms 100 --qemu 1002 || bail "pvesim did not restart"
check "wait on 701" timeout 60 cat "$ENG_MNT/701/wait"
expect_eq "701 runs" running "$(eng_status 701)"
expect_eq "702 runs" running "$(eng_status 702)"
order=$(pvesim_api GET "/nodes/pve/tasks?source=all&limit=0" |
	jq -r '[.data[] | select(.type == "vzstart")] | sort_by(.starttime, .upid) | map(.id) | join(" ")')
expect_eq "702 started before 701" "702 701" "$order"
check "702's log: 1002 is running" grep -q "dependency 1002 is running" "$ENG_MNT/702/log"
check "702's log: features skipped without feature_dir" grep -q "features: not run: no feature_dir" "$ENG_MNT/702/log"
expect_eq "each made once" "1 1" "$(eng_tasks pve vzcreate 701) $(eng_tasks pve vzcreate 702)"

# a cycle the writes refuse can still come from an edit of the file by
# another program: it fails saying so, it never waits for ever
jq --arg t "$OSTMPL" '.lxc_configs["731"] = {name: "a", template: $t, storage_pool: "local-lvm", dependencies: ["732"]}
	| .lxc_configs["732"] = {name: "b", template: $t, storage_pool: "local-lvm", dependencies: ["731"]}' \
	"$ENG_CONFIG" >"$W/cyc.json" && mv "$W/cyc.json" "$ENG_CONFIG"
wait_for "731 and 732 fail" 30 sh -c "grep -q '^failed' '$ENG_MNT/731/status' && grep -q '^failed' '$ENG_MNT/732/status'"
check "one of them names the cycle" sh -c "cat '$ENG_MNT/731/error' '$ENG_MNT/732/error' | grep -q 'build order cycle'"
expect_eq "neither was started" 0 "$(( $(eng_tasks pve vzstart 731) + $(eng_tasks pve vzstart 732) ))"
done_testing
