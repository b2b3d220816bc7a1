#!/bin/bash
# `cat wait`: returns at once for a settled container, blocks while one is
# being built without holding up the rest of the mount (20 readers waiting,
# `ls` and `cat status` stay fast), is interrupted by a signal, and fails
# with EIO when the container settles `failed`.
set -u
. "$PHX_SOURCE/tests/integration/engine/lib.sh"

# slow tasks: a create takes 3 x 2 s
pvesim_start "$ENG_WORK/sim" 0 --task-ms 2000 || bail "pvesim did not start"
eng_api_create 103 pve || bail "cannot create 103 through the API"
cat >"$ENG_CONFIG" <<JSON
{"lxc_configs": {
  "103": {"name": "settled"},
  "200": {"name": "slow", "storage_pool": "local-lvm"},
  "201": {"name": "broken", "storage_pool": "local-lvm", "template": "local:vztmpl/missing.tar.zst"}
}}
JSON
eng_mount
wait_for "103 listed stopped" 10 status_is 103 stopped

ms() { echo $(( $(date +%s%N) / 1000000 )); }

t0=$(ms)
check "wait on a settled container" timeout 5 cat "$ENG_MNT/103/wait"
t=$(( $(ms) - t0 ))
expect_eq "it prints the status line" stopped "$(cat "$W/out")"
check "and returns at once (${t} ms)" test "$t" -lt 1000
t0=$(ms)
check "wait on an absent one returns at once too" timeout 5 cat "$ENG_MNT/200/wait"
expect_eq "absent" absent "$(cat "$W/out")"

check "build 200" bash -c "echo $OSTMPL > '$ENG_MNT/200/template'"
wait_for "200 is being created" 10 status_like 200 'creating*'
pids=
for i in $(seq 20); do
	cat "$ENG_MNT/200/wait" >"$W/wait.$i" 2>&1 &
	pids="$pids $!"
done
alive() { for p in $pids; do kill -0 "$p" 2>/dev/null || return 1; done; }
check "20 readers are blocked" alive
t0=$(ms); ls "$ENG_MNT" >/dev/null; t=$(( $(ms) - t0 ))
check "ls stays fast meanwhile (${t} ms)" test "$t" -lt 500
t0=$(ms); cat "$ENG_MNT/200/status" >/dev/null; t=$(( $(ms) - t0 ))
check "cat status stays fast meanwhile (${t} ms)" test "$t" -lt 500
t0=$(ms); cat "$ENG_MNT/103/wait" >/dev/null; t=$(( $(ms) - t0 ))
check "another container's wait stays immediate (${t} ms)" test "$t" -lt 500
t0=$(ms); echo 700 >"$ENG_MNT/103/memory_mb"; t=$(( $(ms) - t0 ))
check "a write stays fast meanwhile (${t} ms)" test "$t" -lt 1000
check "still creating while they wait" status_like 200 'creating*'
check "the readers are still blocked" alive

# interruptible: SIGINT ends a blocked read promptly
t0=$(ms)
timeout -s INT 2 cat "$ENG_MNT/200/wait" >/dev/null 2>&1
rc=$?
t=$(( $(ms) - t0 ))
expect_eq "timeout -s INT 2 cat wait: killed by the signal" 124 "$rc"
check "it returned promptly after the signal (${t} ms)" test "$t" -lt 3500
check "the build goes on" status_like 200 '@(creating|starting)*'

bad=0
for p in $pids; do wait "$p" || bad=$((bad + 1)); done
expect_eq "all 20 readers ended well" 0 "$bad"
same=0
for i in $(seq 20); do [ "$(cat "$W/wait.$i")" = running ] && same=$((same + 1)); done
expect_eq "all 20 printed running" 20 "$same"
expect_eq "200 running" running "$(eng_status 200)"

# failed: EIO, the status line still readable
check "build 201 (its OS template does not exist)" bash -c "echo create > '$ENG_MNT/201/ctl'"
check_fails "wait on a failing build: EIO" "Input/output error" timeout 30 cat "$ENG_MNT/201/wait"
check_fails "and again once settled failed" "Input/output error" timeout 5 cat "$ENG_MNT/201/wait"
check "status says failed" status_like 201 'failed: create of 201 failed*'
done_testing
