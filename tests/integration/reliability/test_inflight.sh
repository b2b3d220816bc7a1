#!/bin/bash
# Work in flight (issue 15.8 and the `absent` of issue 15):
# - a create taken by a worker whose first request has not been answered
#   (pvesim stopped with SIGSTOP) reads `queued: ...`, never `absent`;
# - rmdir of a container with work in flight is EBUSY, whatever the stage:
#   queued, a worker starting it, creating; the entry stays in the config
#   file and the reason is in `error`; once it exists, EBUSY as before;
# - once its work has ended without a container (failed), rmdir removes it;
# - with max_threads=8, at most 4 readers block in wait; a 5th and 6th get
#   EAGAIN at once, the mount keeps answering (status, ls, a write, a
#   settled container's wait), and the 4 end when the build settles.
set -u
. "$PHX_SOURCE/tests/integration/engine/lib.sh"
PVESIM_PORT_MIN=18600
PVESIM_PORT_MAX=18699
has_entry() { jq -e ".lxc_configs[\"$1\"]" "$ENG_CONFIG" >/dev/null; }
cont() { kill -CONT "$PVESIM_PID" 2>/dev/null; }

pvesim_start "$ENG_WORK/sim" 0 --task-ms 2000 || bail "pvesim did not start"
cat >"$ENG_CONFIG" <<JSON
{"lxc_configs": {
  "510": {"name": "built", "storage_pool": "local-lvm"},
  "511": {"name": "broken", "storage_pool": "local-lvm"},
  "512": {"name": "waited-on", "storage_pool": "local-lvm"}
}}
JSON
eng_mount
wait_for "510 reads absent first" 10 status_is 510 absent

kill -STOP "$PVESIM_PID"
PHX_CLEANUP=cont
check "echo template > 510/template (pvesim stopped)" sh -c "echo $OSTMPL > '$ENG_MNT/510/template'"
wait_for "510 reads queued" 5 status_like 510 'queued*'
absent=0
for i in $(seq 1 40); do
	s=$(eng_status 510)
	[ "$s" = absent ] && absent=$((absent + 1))
done
echo "#   last: $s"
expect_eq "while its first request is unanswered, never absent (40 reads)" 0 "$absent"
check_fails "rmdir 510 now: EBUSY" "Device or resource busy" rmdir "$ENG_MNT/510"
check "  the entry is still in the config file" has_entry 510
check "  the reason is in error" grep -q "work in flight" "$ENG_MNT/510/error"
check "  510 is still listed" test -d "$ENG_MNT/510"
cont

wait_for "510 is being created" 20 status_like 510 'creating*'
check_fails "rmdir 510 while creating: EBUSY" "Device or resource busy" rmdir "$ENG_MNT/510"
check "  the entry is still in the config file" has_entry 510
exists_settled() { status_is 510 running || status_is 510 stopped; }
wait_for "510 settles (running or stopped)" 60 exists_settled
check_fails "rmdir 510 once it exists: EBUSY" "Device or resource busy" rmdir "$ENG_MNT/510"
check "  the entry is still in the config file" has_entry 510

check "echo a missing template > 511/template" \
	sh -c "echo local:vztmpl/missing.tar.zst > '$ENG_MNT/511/template'"
wait_for "511 settles failed" 30 status_like 511 'failed*'
check "rmdir 511 after its work failed" rmdir "$ENG_MNT/511"
check "  the entry is gone from the config file" sh -c "! jq -e '.lxc_configs[\"511\"]' '$ENG_CONFIG'"
eng_umount

# ---------- blocked readers of wait cannot take every thread ----------
eng_mount max_threads=8
check "echo template > 512/template" sh -c "echo $OSTMPL > '$ENG_MNT/512/template'"
wait_for "512 is being created" 20 status_like 512 'creating*'
rpids=()
for i in 1 2 3 4 5 6; do
	cat "$ENG_MNT/512/wait" >"$W/w.$i" 2>&1 &
	rpids+=($!)
done
blocked() { local n=0 p; for p in "${rpids[@]}"; do grep -q request_wait_answer "/proc/$p/wchan" 2>/dev/null && n=$((n + 1)); done; echo $n; }
exited() { local n=0 p; for p in "${rpids[@]}"; do kill -0 "$p" 2>/dev/null || n=$((n + 1)); done; echo $n; }
wait_for "2 of 6 readers end at once, 4 stay blocked" 5 eval '[ "$(exited)" = 2 ] && [ "$(blocked)" = 4 ]'
expect_eq "  the 2 got EAGAIN" 2 "$(grep -l 'Resource temporarily unavailable' "$W"/w.* | wc -l)"
check "status answers within 1 s" timeout 1 cat "$ENG_MNT/512/status"
check "ls answers within 1 s" timeout 1 ls "$ENG_MNT/512"
check "a write answers within 1 s" timeout 1 sh -c "echo 768 > '$ENG_MNT/512/memory_mb'"
check "a settled container's wait answers within 1 s" timeout 1 cat "$ENG_MNT/510/wait"
wait_for "512 settles" 60 sh -c "s=\$(cat '$ENG_MNT/512/status'); [ \"\$s\" = running ] || [ \"\$s\" = stopped ]"
ok4=0
for p in "${rpids[@]}"; do wait "$p" && ok4=$((ok4 + 1)); done
expect_eq "the 4 blocked readers ended with success" 4 "$ok4"
eng_umount
done_testing
