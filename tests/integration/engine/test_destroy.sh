#!/bin/bash
# rmdir of a container that exists is refused (EBUSY); `echo destroy > ctl`
# stops it (shown as part of the destroy), destroys it, and then rmdir
# removes the entry.
set -u
. "$PHX_SOURCE/tests/integration/engine/lib.sh"

pvesim_start "$ENG_WORK/sim" 0 --task-ms 400 || bail "pvesim did not start"
eng_api_create 103 pve start || bail "cannot create 103 through the API"
eng_api_create 104 pve || bail "cannot create 104 through the API"
cat >"$ENG_CONFIG" <<JSON
{"lxc_configs": {
  "103": {"name": "ct103", "memory_mb": 512},
  "950": {"name": "never-built"}
}}
JSON
eng_mount
wait_for "103 is running" 10 status_is 103 running
wait_for "104 (backend only) is listed, stopped" 10 status_is 104 stopped

cp "$ENG_CONFIG" "$W/before.json"
check_fails "rmdir 103: EBUSY" "Device or resource busy" rmdir "$ENG_MNT/103"
check_fails "rmdir 104 (not in the file): EBUSY" "Device or resource busy" rmdir "$ENG_MNT/104"
check "config file unchanged" cmp "$W/before.json" "$ENG_CONFIG"
check "103 still there" test -d "$ENG_MNT/103"
check_fails "destroy on a CT that does not exist: ENOENT" "No such file or directory" \
	bash -c "echo destroy > '$ENG_MNT/950/ctl'"
check "950/error says why" grep -q '950 does not exist on the backend' "$ENG_MNT/950/error"
check_fails "an unknown ctl command: EINVAL" "Invalid argument" bash -c "echo explode > '$ENG_MNT/103/ctl'"
check "103/error lists the commands" grep -q "unknown ctl command 'explode' (one of: create, start, stop, restart, retry, destroy, refresh, apply)" "$ENG_MNT/103/error"

check "echo destroy > 103/ctl" bash -c "echo destroy > '$ENG_MNT/103/ctl'"
wait_for "103 stops first, as part of the destroy" 10 \
	status_like 103 'destroying: stopping first ?UPID:pve:*:vzstop:103:*'
wait_for "then the destroy task" 10 status_like 103 'destroying: UPID:pve:*:vzdestroy:103:*'
check "wait 103" timeout 30 cat "$ENG_MNT/103/wait"
expect_eq "103 settled absent" absent "$(cat "$W/out")"
pvesim_api GET /nodes/pve/lxc/103/config >/dev/null
expect_eq "gone from pvesim" 500 "$(pvesim_last_status)"
expect_eq "one guest left" 1 "$(eng_guest_count)"
check "103 still listed: it has an entry" test -d "$ENG_MNT/103"
check "log: destroyed" grep -q 'destroyed' "$ENG_MNT/103/log"
check "rmdir 103 now works" rmdir "$ENG_MNT/103"
check "103 is gone from the tree" test ! -e "$ENG_MNT/103"
check "and from the config file" sh -c "jq -e '.lxc_configs | has(\"103\") | not' '$ENG_CONFIG'"

# a container on the backend only: destroy, and its directory goes away
check "echo destroy > 104/ctl" bash -c "echo destroy > '$ENG_MNT/104/ctl'"
check "wait 104" timeout 30 cat "$ENG_MNT/104/wait"
expect_eq "104 absent" absent "$(cat "$W/out")"
wait_for "104 leaves the tree" 5 test ! -e "$ENG_MNT/104"
expect_eq "no guests" 0 "$(eng_guest_count)"
expect_eq "104 was not running: no stop" 0 "$(eng_tasks pve vzstop 104)"
done_testing
