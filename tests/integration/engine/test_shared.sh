#!/bin/bash
# Leaves sharing one missing source, written at the same moment: the source
# is built exactly once, every leaf is cloned from it (one clone at a time,
# as Proxmox's disk lock on the source demands), and all settle running.
set -u
. "$PHX_SOURCE/tests/integration/engine/lib.sh"

pvesim_start "$ENG_WORK/sim" 0 --task-ms 100 || bail "pvesim did not start"
leaves="103 104 105 106 107 108"
{
	echo '{"lxc_configs": {'
	echo "  \"900\": {\"name\": \"base\", \"is_template\": true, \"storage_pool\": \"local-lvm\","
	echo "          \"template\": \"$OSTMPL\"}"
	for c in $leaves; do echo "  ,\"$c\": {\"name\": \"leaf$c\", \"memory_mb\": 256}"; done
	echo '}}'
} >"$ENG_CONFIG"
eng_mount

# two writers at the same moment
echo 900 >"$ENG_MNT/103/clone_from" & p1=$!
echo 900 >"$ENG_MNT/104/clone_from" & p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
expect_eq "both writes succeeded" "0 0" "$r1 $r2"
wait_for "103 waits for 900 or is cloning" 5 status_like 103 '@(queued: waiting for 900|cloning: from 900*)'
check "wait 103" timeout 60 cat "$ENG_MNT/103/wait"
expect_eq "103 running" running "$(cat "$W/out")"
check "wait 104" timeout 60 cat "$ENG_MNT/104/wait"
expect_eq "104 running" running "$(cat "$W/out")"
expect_eq "900 template" template "$(eng_status 900)"
expect_eq "900 created once" 1 "$(eng_tasks pve vzcreate 900)"
expect_eq "no other create" 1 "$(eng_tasks pve vzcreate)"
expect_eq "two clones from 900" 2 "$(eng_tasks pve vzclone 900)"
expect_eq "three guests" 3 "$(eng_guest_count)"

# four more at once, on the existing template: four clones, one at a time
pids=
for c in 105 106 107 108; do
	echo 900 >"$ENG_MNT/$c/clone_from" & pids="$pids $!"
done
bad=0
for p in $pids; do wait "$p" || bad=$((bad + 1)); done
expect_eq "four writes succeeded" 0 "$bad"
for c in 105 106 107 108; do
	check "wait $c" timeout 60 cat "$ENG_MNT/$c/wait"
	expect_eq "$c running" running "$(cat "$W/out")"
done
expect_eq "still one create" 1 "$(eng_tasks pve vzcreate)"
expect_eq "six clones from 900" 6 "$(eng_tasks pve vzclone 900)"
expect_eq "seven guests" 7 "$(eng_guest_count)"
# clones from one source ran one at a time: pvesim (like Proxmox) refuses a
# clone while another holds the source's disk lock, and none was refused
expect_eq "every clone request was accepted at once" 6 \
	"$(grep -c 'POST /api2/json/nodes/pve/lxc/900/clone -> 200' "$PVESIM_LOG")"
expect_eq "no clone request was refused" 0 \
	"$(grep 'POST /api2/json/nodes/pve/lxc/900/clone -> ' "$PVESIM_LOG" | grep -vc -- '-> 200')"
check "900 has no lock left" sh -c \
	"test \"\$(curl -sk -H 'Authorization: PVEAPIToken=$PVESIM_TOKEN' '$PVESIM_URL/api2/json/nodes/pve/lxc/900/config' | jq -r '.data.lock // \"\"')\" = ''"
done_testing
