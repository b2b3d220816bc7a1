#!/bin/bash
# Drift through the mount against pvesim: memory changed through the API
# (as the GUI does), a container stopped through the API, one deleted
# through the API each show as drift in the container's log (and, once the
# FUSE side renders it, its `drift` file); `echo apply > ctl` puts memory,
# power and the deleted container back; with reconcile=apply phoenixfs does
# it by itself, but never starts what `ctl stop` stopped and never stops
# what someone started. A wrong reconcile= value refuses the mount.
set -u
. "$PHX_SOURCE/tests/integration/engine/lib.sh"

pvesim_start "$ENG_WORK/sim" 0 --task-ms 100 || bail "pvesim did not start"
cat >"$ENG_CONFIG" <<JSON
{"lxc_configs": {
  "150": {"name": "ct150", "template": "$OSTMPL", "storage_pool": "local-lvm", "memory_mb": 1024},
  "151": {"name": "ct151", "template": "$OSTMPL", "storage_pool": "local-lvm", "memory_mb": 1024}
}}
JSON

log_has() { grep -qF -- "$2" "$ENG_MNT/$1/log"; }
api_memory() { pvesim_api GET "/nodes/pve/lxc/$1/config" | jq -r .data.memory; }
api_status() { pvesim_api GET "/nodes/pve/lxc/$1/status/current" | jq -r .data.status; }
api_power() { # VMID start|stop
	local upid
	upid=$(pvesim_api POST "/nodes/pve/lxc/$1/status/$2" | jq -r .data)
	[ "$(pvesim_wait_task "$upid")" = OK ]
}
api_set_memory() {
	pvesim_api PUT "/nodes/pve/lxc/$1/config" --data-urlencode "memory=$2" >/dev/null
}
api_delete() {
	local upid
	upid=$(pvesim_api DELETE "/nodes/pve/lxc/$1?purge=1" | jq -r .data)
	[ "$(pvesim_wait_task "$upid")" = OK ]
}
memory_is() { [ "$(api_memory "$1")" = "$2" ]; }
status_on_api() { [ "$(api_status "$1")" = "$2" ]; }
absent_on_api() { ! pvesim_api GET /cluster/resources | jq -e ".data[] | select(.vmid == $1)" >/dev/null; }
listings() { grep -c 'GET /api2/json/cluster/resources' "$PVESIM_LOG"; }
listed_since() { [ "$(listings)" -gt $(($1 + 1)) ]; }

check_fails "reconcile=bogus refuses the mount" "expected report or apply" \
	"$PHX_BUILD/fs/phoenixfs" -f -o "config=$ENG_CONFIG,reconcile=bogus" "$ENG_MNT"
check "nothing mounted" sh -c "! grep -q ' $ENG_MNT fuse' /proc/mounts"

eng_mount
check "build 150 and 151" bash -c "echo create > '$ENG_MNT/150/ctl' && echo create > '$ENG_MNT/151/ctl'"
check "wait 150" timeout 60 cat "$ENG_MNT/150/wait"
check "wait 151" timeout 60 cat "$ENG_MNT/151/wait"
expect_eq "150 running" running "$(eng_status 150)"
check "no drift after our own build" sh -c "! grep -q 'drift' '$ENG_MNT/150/log'"

# memory changed through the API, as the GUI does. (Right after our own
# change of an attribute, a change elsewhere shows only once a listing
# agreed with ours or the listing's lag passed: let one listing agree.)
n=$(listings)
wait_for "two listings after the build" 10 listed_since "$n"
check "PUT memory=2048 through the API" api_set_memory 150 2048
wait_for "drift: memory in 150's log" 10 log_has 150 "drift: memory_mb file=1024 proxmox=2048"
n=$(listings)
wait_for "two more listings" 10 listed_since "$n"
expect_eq "reconcile=report leaves it" 2048 "$(api_memory 150)"
check "echo apply > ctl" bash -c "echo apply > '$ENG_MNT/150/ctl'"
wait_for "memory put back" 10 memory_is 150 1024
wait_for "drift gone" 10 log_has 150 "drift gone: memory_mb"

# stopped through the API
check "stop 150 through the API" api_power 150 stop
wait_for "drift: status" 10 log_has 150 "drift: status file=running proxmox=stopped"
check "echo apply > ctl" bash -c "echo apply > '$ENG_MNT/150/ctl'"
wait_for "150 started again" 10 status_on_api 150 running
wait_for "status drift gone" 10 log_has 150 "drift gone: status"

# deleted through the API
check "stop 150 again" api_power 150 stop
check "delete 150 through the API" api_delete 150
wait_for "drift: exists" 10 log_has 150 "drift: exists file=yes proxmox=no"
wait_for "150 absent" 10 status_is 150 absent
n=$(listings)
wait_for "two more listings" 10 listed_since "$n"
check "reconcile=report does not rebuild" absent_on_api 150
check "echo apply > ctl rebuilds it from its entry" bash -c "echo apply > '$ENG_MNT/150/ctl'"
check "wait 150" timeout 60 cat "$ENG_MNT/150/wait"
expect_eq "150 running again" running "$(cat "$W/out")"
expect_eq "with the entry's memory" 1024 "$(api_memory 150)"

# ctl stop is not drift
check "echo stop > 151/ctl" bash -c "echo stop > '$ENG_MNT/151/ctl'"
check "wait 151" timeout 30 cat "$ENG_MNT/151/wait"
expect_eq "151 stopped" stopped "$(cat "$W/out")"

# reconcile=apply: put back by phoenixfs itself
eng_umount
eng_mount reconcile=apply
wait_for "remounted" 10 status_is 150 running
check "PUT memory=4096 through the API" api_set_memory 150 4096
check "stop 150 through the API" api_power 150 stop
wait_for "memory put back by itself" 15 memory_is 150 1024
wait_for "started by itself" 15 status_on_api 150 running
check "the log says why" log_has 150 "reconcile=apply: putting back"
n=$(listings)
wait_for "two more listings" 10 listed_since "$n"
expect_eq "151, stopped by ctl before the remount, stays stopped" stopped "$(api_status 151)"
check "and is not drift" sh -c "! grep -q 'drift: status' '$ENG_MNT/151/log'"
check "start 151 through the API" api_power 151 start
wait_for "drift: status on 151" 10 log_has 151 "drift: status file=stopped proxmox=running"
n=$(listings)
wait_for "two more listings" 10 listed_since "$n"
expect_eq "reconcile=apply never stops it" running "$(api_status 151)"
check "the log says so" log_has 151 "never stops a container someone started"

done_testing
