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

# --- attributes and names, with the kernel's copies warm ---
# Waits look at stat alone: a read of a direct_io file makes the kernel
# refetch its attributes, which would hide a missed invalidation.
size_is() { [ "$(stat -c %s "$1")" = "$(cat "$1" | wc -c)" ]; }
size_moved() { [ "$(stat -c %s "$1")" != "$2" ]; }
mtime_moved() { [ "$(stat -c %y "$1")" != "$2" ]; }
warm() { for _ in 1 2 3; do stat "$@" >/dev/null 2>&1; ls -l "$ENG_MNT" "$ENG_MNT/103" >/dev/null; done; }
outside() { # a python expression on d, the config as another program writes it
	/usr/bin/python3 - "$ENG_CONFIG" "$1" <<'PY'
import json, os, sys
p, expr = sys.argv[1:]
d = json.load(open(p))
exec(expr)
open(p + ".tmp", "w").write(json.dumps(d, indent=4) + "\n")
os.rename(p + ".tmp", p)
PY
}

# The engine: log and error grow, their sizes follow.
warm "$ENG_MNT/103/log" "$ENG_MNT/103/error" "$ENG_MNT/103/status"
st_time=$(stat -c %y "$ENG_MNT/103/status")
log_size=$(stat -c %s "$ENG_MNT/103/log")
check "echo stop > ctl" bash -c "echo stop > '$ENG_MNT/103/ctl'"
check "wait" timeout 30 cat "$ENG_MNT/103/wait"
wait_for "the engine's change: log's size moves" 2 size_moved "$ENG_MNT/103/log" "$log_size"
check "  to its content's" size_is "$ENG_MNT/103/log"
wait_for "  status's mtime moved with it" 2 mtime_moved "$ENG_MNT/103/status" "$st_time"
check "  status's size is its content's" size_is "$ENG_MNT/103/status"
st_time=$(stat -c %y "$ENG_MNT/103/status")
for _ in 1 2 3; do cat "$ENG_MNT/103/status" >/dev/null; done

# A write through the mount: the value's, the entry's and the document's
# sizes follow; another container's status keeps its time.
warm "$ENG_MNT/103/name" "$ENG_MNT/103/config.json" "$ENG_MNT/config.json"
ct_size=$(stat -c %s "$ENG_MNT/103/config.json") doc_size=$(stat -c %s "$ENG_MNT/config.json")
check "write a longer name" bash -c "echo ct103-longer > '$ENG_MNT/103/name'"
check "  name's size is its content's" size_is "$ENG_MNT/103/name"
wait_for "  103/config.json's size moves" 2 size_moved "$ENG_MNT/103/config.json" "$ct_size"
check "  to its content's" size_is "$ENG_MNT/103/config.json"
wait_for "  the root config.json's size moves" 2 size_moved "$ENG_MNT/config.json" "$doc_size"
check "  to its content's" size_is "$ENG_MNT/config.json"
expect_eq "  103's status kept its mtime (the kernel keeps its pages)" "$st_time" \
	"$(stat -c %y "$ENG_MNT/103/status")"

# Writes that change nothing: one refused at close (a name may not end in
# '-', but "ct-" could still go on), one of the value the file has. Each
# opened the file with O_TRUNC and wrote bytes; once it is released, stat
# alone (no read first) shows the stored value's size again.
warm "$ENG_MNT/103/name" "$ENG_MNT/103/config.json"
name_size=$(stat -c %s "$ENG_MNT/103/name") ct_size=$(stat -c %s "$ENG_MNT/103/config.json")
check "a name refused at close fails (coreutils checks its close)" bash -c "! /usr/bin/printf ct- > '$ENG_MNT/103/name'"
expect_eq "  stat shows the stored name's size" "$name_size" "$(stat -c %s "$ENG_MNT/103/name")"
check "an incomplete config.json fails" bash -c "! /usr/bin/printf '{\"name\":' > '$ENG_MNT/103/config.json'"
expect_eq "  stat shows the stored entry's size" "$ct_size" "$(stat -c %s "$ENG_MNT/103/config.json")"
check "writing the name it has" bash -c "echo ct103-longer > '$ENG_MNT/103/name'"
expect_eq "  stat shows its size" "$name_size" "$(stat -c %s "$ENG_MNT/103/name")"
expect_eq "  the value is kept" ct103-longer "$(cat "$ENG_MNT/103/name")"

# Outside edits: a key comes (file and listing), a value changes size, an
# object directory comes and changes, a key goes.
warm "$ENG_MNT/103/name" "$ENG_MNT/103/cores" "$ENG_MNT/103/network_config"
check "  cores is not there yet" test ! -e "$ENG_MNT/103/cores"
name_size=$(stat -c %s "$ENG_MNT/103/name")
outside 'd["lxc_configs"]["103"]["cores"] = 2; d["lxc_configs"]["103"]["name"] = "ct103-edited-outside"; d["lxc_configs"]["103"]["network_config"] = {"name": "eth0"}'
wait_for "an outside edit: the new key cores shows" 5 test -f "$ENG_MNT/103/cores"
check "  in the listing too" bash -c "ls '$ENG_MNT/103' | grep -qx cores"
expect_eq "  with its value" 2 "$(cat "$ENG_MNT/103/cores")"
wait_for "  name's size moves" 2 size_moved "$ENG_MNT/103/name" "$name_size"
check "  to its content's" size_is "$ENG_MNT/103/name"
expect_eq "  name reads the edit" ct103-edited-outside "$(cat "$ENG_MNT/103/name")"
check "  network_config is a directory with name" test -f "$ENG_MNT/103/network_config/name"
warm "$ENG_MNT/103/cores" "$ENG_MNT/103/network_config/name" "$ENG_MNT/103/network_config/ip"
net_time=$(stat -c %y "$ENG_MNT/103/network_config/name")
outside 'del d["lxc_configs"]["103"]["cores"]; d["lxc_configs"]["103"]["network_config"] = {"name": "eth1", "ip": "10.0.0.3/24"}'
wait_for "an outside edit removes cores: it goes" 5 test ! -e "$ENG_MNT/103/cores"
check "  from the listing too" bash -c "! ls '$ENG_MNT/103' | grep -qx cores"
check "  network_config/ip came" test -f "$ENG_MNT/103/network_config/ip"
wait_for "  network_config/name's mtime moves" 2 \
	mtime_moved "$ENG_MNT/103/network_config/name" "$net_time"
expect_eq "  network_config/name reads eth1" '"eth1"' "$(cat "$ENG_MNT/103/network_config/name")"

# A container made through the mount shows in the root's listing.
check "mkdir 108" mkdir "$ENG_MNT/108"
check "  ls of the root lists it" bash -c "ls '$ENG_MNT' | grep -qx 108"
check "rmdir 108" rmdir "$ENG_MNT/108"
check "  ls of the root no longer lists it" bash -c "! ls '$ENG_MNT' | grep -qx 108"

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
# 109 resolves from the new tree at once; 105 goes when the invalidation
# that the change feed queues reaches the kernel (it keeps names 60 s)
wait_for "  and 105 is gone" 2 test ! -e "$ENG_MNT/105"
check "  ls of the root lists 109, not 105" bash -c "ls '$ENG_MNT' | grep -qx 109 && ! ls '$ENG_MNT' | grep -qx 105"
expect_eq "  109's status reads absent" absent "$(cat "$ENG_MNT/109/status")"
done_testing
