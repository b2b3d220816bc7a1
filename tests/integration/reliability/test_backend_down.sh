#!/bin/bash
# Backend down or hanging.
# (a) pvesim stopped with SIGSTOP in the middle of a build: every file of
#     the tree answers within 1 s (each read timed on its own), a write of
#     an attribute is accepted and lands in the config file, and after
#     SIGCONT the build completes by itself with the written value applied.
# (b) pvesim killed (SIGKILL) during a clone and restarted on the same
#     state and port: the states say the backend cannot be reached while it
#     is down, and the work resumes by itself (or, when pvesim's restart
#     failed the running task, fails with that reason and `retry` ends it).
set -u
. "$PHX_SOURCE/tests/integration/engine/lib.sh"
PVESIM_PORT_MIN=18600
PVESIM_PORT_MAX=18699

state() { jq "$@" "$PVESIM_DIR/state.json"; }
guest_ids() { state -r '.guests | keys[]' | sort -n | tr '\n' ' ' | sed 's/ $//'; }
guest_locks() { state -r '.guests | to_entries[] | select(.value.conf.lock) | "\(.key):\(.value.conf.lock)"'; }

# Every file of the root and of the given containers, plus ls -l, each
# within 1 s. Prints the slowest read; sets SLOW to the failures.
read_all_within_1s() {
	local f t0 t1 ms max=0 maxf= n=0
	SLOW=
	for f in "$ENG_MNT" "$ENG_MNT"/* "$@"; do
		case $f in */wait|*/ctl|*/events) continue ;; esac  # wait and events block by design
		t0=$(date +%s%N)
		if [ -d "$f" ]; then
			timeout 1 ls -l "$f" >/dev/null 2>"$W/read.err" || SLOW="$SLOW ls:$f"
		else
			timeout 1 cat "$f" >/dev/null 2>"$W/read.err" || SLOW="$SLOW $f"
		fi
		t1=$(date +%s%N)
		ms=$(((t1 - t0) / 1000000))
		n=$((n + 1))
		[ $ms -gt $max ] && { max=$ms; maxf=$f; }
	done
	echo "#   $n reads, slowest ${max} ms (${maxf#$ENG_MNT/})"
	READS=$((READS + n))
}
READS=0
# known() prints what a known bug (docs/reliability.md) did this run; the
# outcome depends on whether a refresh ran in between, so it is not a check
known() { echo "# known: $*"; }

pvesim_start "$ENG_WORK/sim" 0 --task-ms 1500 2>"$ENG_WORK/sim.start" || bail "pvesim did not start"
cat >"$ENG_CONFIG" <<JSON
{"lxc_configs": {
  "900": {"name": "base", "is_template": true, "memory_mb": 512, "storage_pool": "local-lvm",
          "storage_size_gb": 4, "template": "$OSTMPL"},
  "901": {"name": "base-web", "is_template": true, "clone_from_ctid": 900, "memory_mb": 768},
  "950": {"name": "web1", "memory_mb": 1024, "cores": 2},
  "960": {"name": "web2", "memory_mb": 256}
}}
JSON
eng_mount

# ---------- (a) SIGSTOP mid-build ----------
check "echo 901 > 950/clone_from" sh -c "echo 901 > '$ENG_MNT/950/clone_from'"
wait_for "900 is being created" 20 status_like 900 'creating: *'
kill -STOP "$PVESIM_PID" || bail "cannot stop pvesim"
echo "# pvesim stopped (SIGSTOP)"
# right away, and again once the engine's requests have been hanging
# for a while (its HTTP timeout is 30 s; the reads must not depend on it)
files=$(ls -d "$ENG_MNT"/900/* "$ENG_MNT"/901/* "$ENG_MNT"/950/* "$ENG_MNT"/960/*)
# shellcheck disable=SC2086
read_all_within_1s "$ENG_MNT/900" "$ENG_MNT/950" $files
expect_eq "stopped backend: every file and listing answered within 1 s" "" "$SLOW"
check "a write of 950/memory_mb is accepted within 1 s" timeout 1 sh -c "echo 2048 > '$ENG_MNT/950/memory_mb'"
expect_eq "  and persisted in the config file" 2048 "$(jq '.lxc_configs["950"].memory_mb' "$ENG_CONFIG")"
expect_eq "  and reads back" 2048 "$(timeout 1 cat "$ENG_MNT/950/memory_mb")"
check "a write of 960/cores is accepted within 1 s" timeout 1 sh -c "echo 3 > '$ENG_MNT/960/cores'"
expect_eq "  and persisted in the config file" 3 "$(jq '.lxc_configs["960"].cores' "$ENG_CONFIG")"
# wait for a request of the engine to hang past its HTTP timeout, reading
# the tree all the while
deadline=$((SECONDS + 40))
until status_like 900 '*timeout*' || status_like 900 '*timed out*' ||
	grep -qi 'timed out\|timeout' "$ENG_MNT/900/log" || [ $SECONDS -ge $deadline ]; do
	timeout 1 cat "$ENG_MNT/900/status" "$ENG_MNT/950/status" "$ENG_MNT/config.json" >/dev/null ||
		SLOW="$SLOW during-wait"
	sleep 0.5
done
echo "#   after $((SECONDS - deadline + 40)) s stopped: 900: $(timeout 1 cat "$ENG_MNT/900/status")"
echo "#   950: $(timeout 1 cat "$ENG_MNT/950/status")"
echo "#   root status: $(timeout 1 cat "$ENG_MNT/status" | tr '\n' ' ' | cut -c1-300)"
grep -i 'timed out\|timeout\|backend' "$ENG_MNT/900/log" | tail -3 | sed 's/^/#   900 log: /'
# shellcheck disable=SC2086
read_all_within_1s "$ENG_MNT/900" "$ENG_MNT/950" $files
expect_eq "after a long stop: every file answered within 1 s" "" "$SLOW"
kill -CONT "$PVESIM_PID"
echo "# pvesim continued (SIGCONT)"
if st=$(timeout 180 cat "$ENG_MNT/950/wait" 2>"$W/err"); then
	ok "950/wait returns after SIGCONT"
else
	nok "950/wait: $(cat "$W/err") / $(cat "$ENG_MNT/950/status")"
	tail -20 "$ENG_MNT/900/log" "$ENG_MNT/950/log" | sed 's/^/#   /'
fi
expect_eq "950 settled running by itself" running "$st"
expect_eq "900 template, 901 template" "template template" "$(eng_status 900) $(eng_status 901)"
expect_eq "the backend has 900 901 950" "900 901 950" "$(guest_ids)"
expect_eq "the memory written while stopped is applied" 2048 \
	"$(state '.guests["950"].conf.memory')"
expect_eq "no lock left" "" "$(guest_locks)"

# ---------- (b) SIGKILL mid-clone, restart on the same state and port ----------
port=$PVESIM_PORT
check "echo 901 > 960/clone_from" sh -c "echo 901 > '$ENG_MNT/960/clone_from'"
wait_for "960 is being cloned" 20 status_like 960 'cloning: *'
pvesim_kill
echo "# pvesim killed (SIGKILL)"
# shellcheck disable=SC2086
read_all_within_1s "$ENG_MNT/960" $(ls -d "$ENG_MNT"/960/*)
expect_eq "killed backend: every file answered within 1 s" "" "$SLOW"
check "a write of 960/swap_mb is accepted" timeout 1 sh -c "echo 128 > '$ENG_MNT/960/swap_mb'"
expect_eq "  and persisted" 128 "$(jq '.lxc_configs["960"].swap_mb' "$ENG_CONFIG")"
# what the states say while it is down: a request that cannot start says
# it waits for the backend, and why
check "echo restart > 950/ctl while down" sh -c "echo restart > '$ENG_MNT/950/ctl'"
deadline=$((SECONDS + 20))
until status_like 950 'queued: waiting for the backend (*)' || status_like 950 'failed: *' ||
	[ $SECONDS -ge $deadline ]; do sleep 0.1; done
check "a ctl request while the backend is down waits for it, saying why" \
	status_like 950 'queued: waiting for the backend (*)'
echo "#   950 while down: $(timeout 1 cat "$ENG_MNT/950/status")"
echo "#   960 while down: $(timeout 1 cat "$ENG_MNT/960/status")"
echo "#   root status while down: $(timeout 1 cat "$ENG_MNT/status" | tr '\n' ' ' | cut -c1-300)"
pvesim_start "$ENG_WORK/sim" "$port" --task-ms 1500 2>"$ENG_WORK/sim.restart" ||
	bail "pvesim did not restart on $port"
echo "# pvesim restarted on $port"
st=$(timeout 60 cat "$ENG_MNT/950/wait" 2>"$W/err")
expect_eq "the restart asked while down is carried out once the backend is back" running "$st"
# pvesim's restart ends the clone task that died with it ("unexpected
# status", as Proxmox after a node crash) and, as Proxmox, keeps the locks
# that task held: 901 (disk) and 960 (create). Those are not phoenixfs's
# locks; the operator clears them with pct unlock, then `retry` finishes.
retried=0
if ! st=$(timeout 60 cat "$ENG_MNT/960/wait" 2>"$W/err"); then
	echo "#   960 failed: $(cat "$ENG_MNT/960/status")"
	check "  with the dead task's exit status as the reason" grep -q 'unexpected status' "$ENG_MNT/960/error"
	echo "#   locks left by the dead task: $(guest_locks | tr '\n' ' ')"
	pvesim_stop
	for id in $(guest_locks | cut -d: -f1); do
		"$PHX_BUILD/backend/pvesim/pvesim" --state "$ENG_WORK/sim" --unlock "$id" 2>>"$ENG_WORK/sim.restart" ||
			bail "pvesim --unlock $id"
	done
	pvesim_start "$ENG_WORK/sim" "$port" --task-ms 1500 2>>"$ENG_WORK/sim.restart" ||
		bail "pvesim did not restart on $port"
	check "echo retry > 960/ctl (after pct unlock)" sh -c "echo retry > '$ENG_MNT/960/ctl'"
	retried=1
	st=$(timeout 90 cat "$ENG_MNT/960/wait" 2>"$W/err")
	if [ "$st" != running ]; then
		known "the first retry followed the dead clone task of before the restart"
		tail -4 "$ENG_MNT/960/log" | sed 's/^/#   960 log: /'
		# a second retry, once a listing shows 960 exists, adopts it
		wait_for "  a listing shows 960 (root status)" 10 grep -q '^960 failed' "$ENG_MNT/status"
		check "  echo retry > 960/ctl again" sh -c "echo retry > '$ENG_MNT/960/ctl'"
		retried=2
		st=$(timeout 90 cat "$ENG_MNT/960/wait" 2>"$W/err") ||
			tail -10 "$ENG_MNT/960/log" | sed 's/^/#   960 log: /'
	fi
fi
echo "# 960 settled after the restart with $retried retry"
expect_eq "960 settled running" running "$st"
expect_eq "the backend has 900 901 950 960" "900 901 950 960" "$(guest_ids)"
expect_eq "the swap written while down is applied" 128 "$(state '.guests["960"].conf.swap')"
expect_eq "the cores written while stopped are applied" 3 "$(state '.guests["960"].conf.cores')"
expect_eq "no lock left" "" "$(guest_locks)"
echo "# $READS timed reads"
done_testing
