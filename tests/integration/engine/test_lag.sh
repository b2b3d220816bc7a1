#!/bin/bash
# /cluster/resources lags for status and template (proxmox-api.md §2: pvestatd
# publishes every ~10 s; pvesim --stats-lag-ms 3000 here). What a task and
# the container's config said wins over a stale listing: after our own
# create+start, convert or stop, the status never flips back meanwhile.
set -u
. "$PHX_SOURCE/tests/integration/engine/lib.sh"

pvesim_start "$ENG_WORK/sim" 0 --task-ms 100 --stats-lag-ms 3000 || bail "pvesim did not start"
cat >"$ENG_CONFIG" <<JSON
{"lxc_configs": {
  "300": {"name": "fresh", "storage_pool": "local-lvm", "template": "$OSTMPL"},
  "301": {"name": "tpl", "storage_pool": "local-lvm", "template": "$OSTMPL", "is_template": true}
}}
JSON
eng_mount
# steady CT STATE SECONDS: the status reads STATE at every poll meanwhile
steady() {
	local ct=$1 want=$2 until=$(( $(date +%s%N) / 1000000 + $3 * 1000 )) s
	while [ $(( $(date +%s%N) / 1000000 )) -lt $until ]; do
		s=$(eng_status "$ct")
		[ "$s" = "$want" ] || { echo "# $ct read '$s'"; return 1; }
		sleep 0.1
	done
}
check "build 300 and 301" bash -c "echo create > '$ENG_MNT/300/ctl' && echo create > '$ENG_MNT/301/ctl'"
check "wait 300" timeout 30 cat "$ENG_MNT/300/wait"
expect_eq "300 running" running "$(cat "$W/out")"
check "wait 301" timeout 30 cat "$ENG_MNT/301/wait"
expect_eq "301 template" template "$(cat "$W/out")"
check "300 stays running through the lag" steady 300 running 4
check "301 stays a template through the lag" steady 301 template 1
check "echo stop > 300/ctl" bash -c "echo stop > '$ENG_MNT/300/ctl'"
check "wait 300" timeout 30 cat "$ENG_MNT/300/wait"
expect_eq "300 stopped" stopped "$(cat "$W/out")"
check "300 stays stopped through the lag" steady 300 stopped 4
check "echo start > 300/ctl" bash -c "echo start > '$ENG_MNT/300/ctl'"
check "wait 300" timeout 30 cat "$ENG_MNT/300/wait"
check "300 stays running through the lag" steady 300 running 4
for i in 1 2 3; do
	check "restart $i" bash -c "echo restart > '$ENG_MNT/300/ctl'"
	check "wait 300" timeout 30 cat "$ENG_MNT/300/wait"
	expect_eq "300 running" running "$(cat "$W/out")"
	check "300 stays running through the lag after restart $i" steady 300 running 4
done
done_testing
