#!/bin/bash
# The kernel serves reads of a container's status file from its page cache
# while the status does not change (fs/pcache.h). Correctness of that:
# every change reaches the next reader, whole (a longer or shorter status
# than the cached one, never truncated nor padded), whoever made it: the
# engine (ctl, or a change on the backend), a write through the mount, an
# outside edit of the config file; and names of containers that come or go
# show at once.
set -u
. "$PHX_SOURCE/tests/integration/engine/lib.sh"

pvesim_start "$ENG_WORK/sim" 0 --task-ms 300 --stats-lag-ms 0 || bail "pvesim did not start"
eng_api_create 103 pve start || bail "cannot create 103 through the API"
cat >"$ENG_CONFIG" <<JSON
{"lxc_configs": {
  "103": {"name": "ct103"},
  "105": {"name": "ct105"}
}}
JSON
eng_mount "refresh=1"
wait_for "103 running" 10 status_is 103 running

# Warm the kernel's copy: reads of an unchanged status, again and again.
for _ in 1 2 3 4 5; do cat "$ENG_MNT/103/status" >/dev/null; done
expect_eq "the warm copy is the status" running "$(cat "$ENG_MNT/103/status")"

# A change on the backend behind the mount's back (refresh=1).
upid=$(pvesim_api POST /nodes/pve/lxc/103/status/stop | jq -r .data)
expect_eq "stop through the API" OK "$(pvesim_wait_task "$upid")"
wait_for "a reader sees stopped" 10 status_is 103 stopped
for _ in 1 2 3; do cat "$ENG_MNT/103/status" >/dev/null; done
check "echo start > ctl" bash -c "echo start > '$ENG_MNT/103/ctl'"
check "wait" timeout 30 cat "$ENG_MNT/103/wait"
expect_eq "the read right after wait sees running" running "$(cat "$ENG_MNT/103/status")"
for _ in 1 2 3; do cat "$ENG_MNT/103/status" >/dev/null; done

# An engine change: the next read after `wait` returns sees it, no waiting.
check "echo stop > ctl" bash -c "echo stop > '$ENG_MNT/103/ctl'"
wait_for "stopping, with its task (longer than the cached status)" 5 \
	status_like 103 'stopping: UPID:pve:*:vzstop:103:*'
# The reads right after it: whole, from a fresh size (the kernel's copy had
# the 8 bytes of running), never cut to the old length.
full=$(cat "$ENG_MNT/103/status")
cut=
for _ in 1 2 3 4 5 6 7 8; do
	s=$(cat "$ENG_MNT/103/status")
	[ "$s" = "$full" ] || [ "$s" = stopped ] || cut="$cut[$s]"
done
expect_eq "  8 reads at once after it are whole" "" "$cut"
check "wait" timeout 30 cat "$ENG_MNT/103/wait"
expect_eq "the read right after wait sees stopped" stopped "$(cat "$ENG_MNT/103/status")"
expect_eq "  and its size is the status's" 8 "$(stat -c %s "$ENG_MNT/103/status")"
for _ in 1 2 3; do cat "$ENG_MNT/103/status" >/dev/null; done
expect_eq "  then from the warm copy, still stopped" stopped "$(cat "$ENG_MNT/103/status")"

# Readers racing the changes: every read is one whole state, never a mix of
# a cached and a fresh one.
bad=$W/bad
: >"$bad"
readers=()
for r in 1 2 3; do
	( while [ ! -e "$W/stop-readers" ]; do
		s=$(cat "$ENG_MNT/103/status")
		[[ $s =~ ^(running|stopped|queued:\ [a-z\ ]+|(stopping|starting)(:\ UPID:pve:[0-9A-F:]+:vzst(op|art):103:[a-z@!]+:)?)$ ]] ||
			printf '%s\n' "$s" >>"$bad"
	done ) &
	readers+=($!)
done
for cmd in stop start stop start; do
	echo "$cmd" >"$ENG_MNT/103/ctl"
	timeout 30 cat "$ENG_MNT/103/wait" >/dev/null
	want=$([ "$cmd" = stop ] && echo stopped || echo running)
	expect_eq "after $cmd, the next read sees $want" "$want" "$(cat "$ENG_MNT/103/status")"
done
touch "$W/stop-readers"
wait "${readers[@]}"
expect_eq "3 readers racing 4 changes read only whole states" "" "$(cat "$bad")"

# A write through the mount: a new container's directory and status.
check "mkdir 107" mkdir "$ENG_MNT/107"
check "  the next stat sees it" test -d "$ENG_MNT/107"
check "  and its status reads" test -n "$(cat "$ENG_MNT/107/status")"
check "rmdir 107" rmdir "$ENG_MNT/107"
check "  the next stat no longer sees it" test ! -e "$ENG_MNT/107"

# An outside edit of the file: 105 goes, 109 comes.
cat "$ENG_MNT/105/status" >/dev/null
/usr/bin/python3 - "$ENG_CONFIG" <<'PY'
import json, os, sys
p = sys.argv[1]
d = json.load(open(p))
del d["lxc_configs"]["105"]
d["lxc_configs"]["109"] = {"name": "ct109"}
open(p + ".tmp", "w").write(json.dumps(d, indent=4) + "\n")
os.rename(p + ".tmp", p)
PY
wait_for "an outside edit: 109 shows" 5 test -d "$ENG_MNT/109"
check "  and 105 is gone" test ! -e "$ENG_MNT/105"
expect_eq "  109's status reads absent" absent "$(cat "$ENG_MNT/109/status")"
done_testing
