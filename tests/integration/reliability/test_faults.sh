#!/bin/bash
# Backend faults (pvesim --faults, fixed --seed): HTTP 500s, dropped
# connections, slow answers and lock contention at a realistic and at a
# brutal rate. A two-level build from one write (950 clones template 901,
# which clones template 900, made from an OS template) still finishes, no
# container is made twice, and no lock is left behind. With every task
# failing (taskfail=1.0) the build ends `failed` with the task's exit
# status as the reason, in bounded time.
#
# Guests, locks and tasks are counted from pvesim's state.json on disk, so
# the checks themselves are not subject to the injected faults.
set -u
. "$PHX_SOURCE/tests/integration/engine/lib.sh"
PVESIM_PORT_MIN=18600
PVESIM_PORT_MAX=18699
SEED=${FAULT_SEED:-7}
REALISTIC=http500=0.05,drop=0.03,slow=0.05:800,lock=0.05
BRUTAL=http500=0.3,drop=0.2,slow=0.2:1500,lock=0.2

write_config() {
	cat >"$ENG_CONFIG" <<JSON
{"lxc_configs": {
  "900": {"name": "base", "is_template": true, "memory_mb": 512, "storage_pool": "local-lvm",
          "storage_size_gb": 4, "template": "$OSTMPL"},
  "901": {"name": "base-web", "is_template": true, "clone_from_ctid": 900, "memory_mb": 768},
  "950": {"name": "web1", "memory_mb": 1024, "cores": 2}
}}
JSON
}

STATE=
state() { jq "$@" "${STATE:-$PVESIM_DIR/state.json}"; }
# guests as "vmid" lines, locks as "vmid:lock" lines
guest_ids() { state -r '.guests | keys[]' | sort -n; }
guest_locks() { state -r '.guests | to_entries[] | select(.value.conf.lock) | "\(.key):\(.value.conf.lock)"'; }
task_count() { # TYPE: tasks of that type that ended OK
	state --arg t "$1" '[.tasks[] | select((.upid | split(":")[5]) == $t and .exitstatus == "OK")] | length'
}

# one build under SPEC; NAME names it in the output
build_under() {
	local name=$1 spec=$2 seed=${3:-$SEED} t0 st
	pvesim_start "$ENG_WORK/sim-$name" 0 --faults "$spec" --seed "$seed" --task-ms 100 \
		2>"$ENG_WORK/sim-$name.start" || bail "pvesim ($name) did not start"
	write_config
	eng_mount
	t0=$SECONDS
	check "$name: echo 901 > 950/clone_from" sh -c "echo 901 > '$ENG_MNT/950/clone_from'"
	# Every injected fault is transient (a generic 500, a dropped
	# connection, a slow answer, a lock timeout): the driver and the
	# engine retry them, so the build must finish without any help at
	# the realistic rate. Should a step still fail at the brutal rate,
	# its failure must name the fault and `echo retry > 950/ctl` must
	# carry on; the count of such retries is reported.
	# Known (docs/reliability.md): when following a clone's task failed,
	# a retry asked before the next listing clones again and Proxmox
	# answers "CT 950 already exists"; that refusal is what keeps the
	# container single, and it is counted here, not hidden.
	local retries=0 bad_reason=0
	EXISTS_SEEN=0
	while ! st=$(timeout 300 cat "$ENG_MNT/950/wait" 2>"$W/err"); do
		if grep -q "already exists on node 'pve'" "$ENG_MNT/950/error" 2>/dev/null; then
			EXISTS_SEEN=$((EXISTS_SEEN + 1))
		elif ! grep -q 'fault injection' "$ENG_MNT/950/error" 2>/dev/null; then
			bad_reason=1
			sed 's/^/#   /' "$W/err" "$ENG_MNT/950/status" "$ENG_MNT/950/error" 2>/dev/null
			tail -25 "$ENG_MNT/950/log" | sed 's/^/#   950 log: /'
			break
		fi
		[ $retries -lt 30 ] || break
		echo "#   $name: $(cat "$ENG_MNT/950/status")"
		retries=$((retries + 1))
		echo retry >"$ENG_MNT/950/ctl" || { bad_reason=1; break; }
	done
	expect_eq "$name: every failure on the way names the injected fault" 0 "$bad_reason"
	case $name in realistic*) expect_eq "$name: finished by itself (no retry asked)" 0 "$retries" ;; esac
	echo "# $name: settled after $retries retries, $((SECONDS - t0)) s"
	expect_eq "$name: 950 settled running" running "$st"
	[ "$st" = running ] || tail -14 "$ENG_MNT/950/log" | sed 's/^/#   950 log: /'
	expect_eq "$name: 900 is a template" template "$(eng_status 900)"
	expect_eq "$name: 901 is a template" template "$(eng_status 901)"
	expect_eq "$name: 950 is running" running "$(eng_status 950)"
	# the state is saved after every change; the engine's last request
	# (the start) is over when 950 shows running
	expect_eq "$name: exactly 900 901 950 exist on the backend" "900 901 950" \
		"$(guest_ids | tr '\n' ' ' | sed 's/ $//')"
	expect_eq "$name: no guest is locked" "" "$(guest_locks)"
	expect_eq "$name: one successful create" 1 "$(task_count vzcreate)"
	expect_eq "$name: two successful clones" 2 "$(task_count vzclone)"
	# what was injected, from pvesim's request log
	local n500 ndrop nlock nreq
	nreq=$(grep -c ' pvesim: ' "$PVESIM_LOG")
	n500=$(grep -c 'fault injection' "$PVESIM_LOG")
	ndrop=$(grep -c 'dropped (fault)' "$PVESIM_LOG")
	nlock=$(grep -c 'got timeout' "$PVESIM_LOG")
	echo "# $name ($spec): $nreq requests, $n500 HTTP 500, $ndrop dropped, $nlock lock timeouts, $retries retries ($EXISTS_SEEN 'already exists'), $((SECONDS - t0)) s"
	check "$name: faults were injected" test $((n500 + ndrop + nlock)) -gt 0
	eng_umount
	pvesim_stop
}

# the checks above must be able to fail: a lock and a second guest in a
# copy of a state file are seen
pvesim_start "$ENG_WORK/sim-self" 0 2>/dev/null || bail "pvesim did not start"
eng_api_create 990 || bail "cannot create 990 through the API"
pvesim_stop
STATE=$ENG_WORK/state-lock.json
jq '.guests["990"].conf.lock = "disk" | .guests["991"] = .guests["990"]' \
	"$ENG_WORK/sim-self/state.json" >"$STATE"
expect_eq "self-check: a left lock is seen" "990:disk 991:disk" "$(guest_locks | tr '\n' ' ' | sed 's/ $//')"
expect_eq "self-check: guests are listed" "990 991" "$(guest_ids | tr '\n' ' ' | sed 's/ $//')"
STATE=

build_under realistic "$REALISTIC"
build_under realistic-s11 "$REALISTIC" 11
build_under realistic-s23 "$REALISTIC" 23
build_under brutal "$BRUTAL"

# --- every task fails: the build ends failed, with the task's reason ---
pvesim_start "$ENG_WORK/sim-taskfail" 0 --faults taskfail=1.0 --seed "$SEED" \
	2>"$ENG_WORK/sim-taskfail.start" || bail "pvesim (taskfail) did not start"
write_config
eng_mount
check "taskfail: echo 901 > 950/clone_from" sh -c "echo 901 > '$ENG_MNT/950/clone_from'"
check_fails "taskfail: 950/wait fails with EIO" "Input/output error" timeout 60 cat "$ENG_MNT/950/wait"
check "taskfail: 900 failed" status_like 900 'failed: *'
check "taskfail: 900's error has the task's exit status" \
	grep -q 'simulated failure (pvesim fault injection)' "$ENG_MNT/900/error"
check "taskfail: 950 failed because of its dependency" status_like 950 'failed: dependency 90[01] failed*'
sed 's/^/#   /' "$ENG_MNT/900/status" "$ENG_MNT/950/status"
expect_eq "taskfail: no guest left on the backend" "" "$(guest_ids)"
expect_eq "taskfail: no lock" "" "$(guest_locks)"
done_testing
