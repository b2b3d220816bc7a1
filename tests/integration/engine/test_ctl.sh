#!/bin/bash
# ctl commands on an existing container: stop, start, restart, refresh,
# retry (and create, destroy elsewhere), with the states shown meanwhile.
set -u
. "$PHX_SOURCE/tests/integration/engine/lib.sh"

pvesim_start "$ENG_WORK/sim" 0 --task-ms 600 || bail "pvesim did not start"
eng_api_create 103 pve start || bail "cannot create 103 through the API"
eng_api_create 105 pve || bail "cannot create 105 through the API"
cat >"$ENG_CONFIG" <<JSON
{"lxc_configs": {
  "103": {"name": "ct103"},
  "105": {"name": "ct105"}
}}
JSON
eng_mount
wait_for "103 running" 10 status_is 103 running

check "echo stop > ctl" bash -c "echo stop > '$ENG_MNT/103/ctl'"
wait_for "stopping, with its task" 5 status_like 103 'stopping: UPID:pve:*:vzstop:103:*'
check "wait" timeout 30 cat "$ENG_MNT/103/wait"
expect_eq "stopped" stopped "$(cat "$W/out")"
expect_eq "stopped on the backend" stopped \
	"$(pvesim_api GET /nodes/pve/lxc/103/status/current | jq -r .data.status)"

check "echo stop > ctl again: already stopped, fine" bash -c "echo stop > '$ENG_MNT/103/ctl'"
check "wait" timeout 30 cat "$ENG_MNT/103/wait"
expect_eq "still stopped" stopped "$(cat "$W/out")"
expect_eq "no second stop task" 1 "$(eng_tasks pve vzstop 103)"

check "printf start > ctl (no newline)" bash -c "printf start > '$ENG_MNT/103/ctl'"
wait_for "starting, with its task" 5 status_like 103 'starting: UPID:pve:*:vzstart:103:*'
check "wait" timeout 30 cat "$ENG_MNT/103/wait"
expect_eq "running" running "$(cat "$W/out")"

n_stop=$(eng_tasks pve vzstop 103)
n_start=$(eng_tasks pve vzstart 103)
check "echo restart > ctl" bash -c "echo restart > '$ENG_MNT/103/ctl'"
wait_for "restart: stopping first" 5 status_like 103 'stopping: UPID:pve:*:vzstop:103:*'
wait_for "restart: then starting" 10 status_like 103 'starting: UPID:pve:*:vzstart:103:*'
check "wait" timeout 30 cat "$ENG_MNT/103/wait"
expect_eq "running again" running "$(cat "$W/out")"
expect_eq "one more stop" $((n_stop + 1)) "$(eng_tasks pve vzstop 103)"
expect_eq "one more start" $((n_start + 1)) "$(eng_tasks pve vzstart 103)"
check "log: restart asked for, stop, start" sh -c \
	"grep -q 'restart asked for' '$ENG_MNT/103/log' && grep -q 'stop 103 on pve' '$ENG_MNT/103/log' && grep -q 'start 103 on pve' '$ENG_MNT/103/log'"

# refresh: one listing at once, nothing else
listings() { grep -c 'GET /api2/json/cluster/resources' "$PVESIM_LOG"; }
more_listings_than() { [ "$(listings)" -gt "$1" ]; }
eng_umount
eng_mount refresh=3600
wait_for "remounted, 103 running" 10 status_is 103 running
n=$(listings)
check "echo refresh > ctl" bash -c "echo refresh > '$ENG_MNT/103/ctl'"
wait_for "a listing right away" 3 more_listings_than "$n"
expect_eq "status unchanged" running "$(eng_status 103)"

# retry: nothing failed yet
check_fails "retry with nothing failed: EINVAL" "Invalid argument" bash -c "echo retry > '$ENG_MNT/105/ctl'"
check "error says so" grep -q 'nothing to retry: 105 has not failed' "$ENG_MNT/105/error"

# a destroy whose task fails (pvesim's taskfail fault), then retry
port=$PVESIM_PORT
pvesim_stop
pvesim_start "$ENG_WORK/sim" "$port" --task-ms 600 --faults taskfail=1 || bail "pvesim restart (faults)"
check "echo destroy > 105/ctl" bash -c "echo destroy > '$ENG_MNT/105/ctl'"
wait_for "destroying" 5 status_like 105 'destroying*'
check_fails "wait: EIO" "Input/output error" timeout 30 cat "$ENG_MNT/105/wait"
check "failed: destroying 105 failed" status_like 105 'failed: destroying 105 failed*'
check "105 still exists" test "$(pvesim_api GET /nodes/pve/lxc/105/status/current | jq -r .data.status)" = stopped
pvesim_stop
pvesim_start "$ENG_WORK/sim" "$port" --task-ms 600 || bail "pvesim restart"
check "echo retry > 105/ctl" bash -c "echo retry > '$ENG_MNT/105/ctl'"
check "wait" timeout 30 cat "$ENG_MNT/105/wait"
expect_eq "105 destroyed" absent "$(cat "$W/out")"
expect_eq "error cleared after success" "absent" "$(eng_status 105)"
pvesim_api GET /nodes/pve/lxc/105/config >/dev/null
expect_eq "gone from pvesim" 500 "$(pvesim_last_status)"

# start/stop of what does not exist: ENOENT
for c in start stop restart; do
	check_fails "$c on an absent container: ENOENT" "No such file or directory" \
		bash -c "echo $c > '$ENG_MNT/105/ctl'"
done
check "error text" grep -q '105 does not exist on the backend (echo create > ctl builds it)' "$ENG_MNT/105/error"
done_testing
