#!/bin/bash
# Drift while /cluster/resources lags (PVE-API 2.3; pvesim --stats-lag-ms
# 3000 here): what phoenixfs itself just did (build, stop, start, a memory
# write) is never reported as drift while the listing catches up; a stop
# made elsewhere afterwards is, within the lag plus a refresh.
set -u
. "$PHX_SOURCE/tests/integration/engine/lib.sh"

pvesim_start "$ENG_WORK/sim" 0 --task-ms 100 --stats-lag-ms 3000 || bail "pvesim did not start"
cat >"$ENG_CONFIG" <<JSON
{"lxc_configs": {
  "300": {"name": "fresh", "storage_pool": "local-lvm", "template": "$OSTMPL", "memory_mb": 512}
}}
JSON
eng_mount
listings() { grep -c 'GET /api2/json/cluster/resources' "$PVESIM_LOG"; }
listed_since() { [ "$(listings)" -gt $(($1 + $2)) ]; }
# the lag (3 s) and a refresh (1 s) have passed: 5 more listings
lag_passed() { local n; n=$(listings); wait_for "$1: the listing's lag passes" 15 listed_since "$n" 5; }
no_drift() { check "$1: no drift in the log" sh -c "! grep -q 'drift' '$ENG_MNT/300/log'"; }

check "build 300" bash -c "echo create > '$ENG_MNT/300/ctl'"
check "wait 300" timeout 30 cat "$ENG_MNT/300/wait"
expect_eq "300 running" running "$(cat "$W/out")"
lag_passed "after the build"
no_drift "after the build"

check "echo stop > ctl" bash -c "echo stop > '$ENG_MNT/300/ctl'"
check "wait 300" timeout 30 cat "$ENG_MNT/300/wait"
lag_passed "after our stop"
no_drift "after our stop"

check "echo start > ctl" bash -c "echo start > '$ENG_MNT/300/ctl'"
check "wait 300" timeout 30 cat "$ENG_MNT/300/wait"
check "echo 1024 > memory_mb" bash -c "echo 1024 > '$ENG_MNT/300/memory_mb'"
check "wait 300" timeout 30 cat "$ENG_MNT/300/wait"
lag_passed "after our start and memory write"
no_drift "after our start and memory write"

upid=$(pvesim_api POST /nodes/pve/lxc/300/status/stop | jq -r .data)
expect_eq "stop through the API" OK "$(pvesim_wait_task "$upid")"
wait_for "drift: status, within the lag and a refresh" 10 \
	grep -qF "drift: status file=running proxmox=stopped" "$ENG_MNT/300/log"

done_testing
