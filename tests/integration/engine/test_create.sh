#!/bin/bash
# Create from an OS template on a new entry made with mkdir and attribute
# writes: nothing happens on the backend until `template` is written; then
# the container is created with the entry's settings and started.
set -u
. "$PHX_SOURCE/tests/integration/engine/lib.sh"

pvesim_start "$ENG_WORK/sim" 0 --task-ms 300 || bail "pvesim did not start"
echo '{"lxc_configs": {}}' >"$ENG_CONFIG"
eng_mount

check "mkdir 970" mkdir "$ENG_MNT/970"
expect_eq "a new entry is absent" absent "$(eng_status 970)"
check "write name" sh -c "echo web970 > '$ENG_MNT/970/name'"
check "write memory_mb" sh -c "echo 640 > '$ENG_MNT/970/memory_mb'"
check "write swap_mb" sh -c "echo 128 > '$ENG_MNT/970/swap_mb'"
check "write cores" sh -c "echo 3 > '$ENG_MNT/970/cores'"
check "write storage_pool" sh -c "echo local-lvm > '$ENG_MNT/970/storage_pool'"
check "write storage_size_gb" sh -c "echo 6 > '$ENG_MNT/970/storage_size_gb'"
check "write start_at_boot" sh -c "echo true > '$ENG_MNT/970/start_at_boot'"
expect_eq "attributes alone build nothing" absent "$(eng_status 970)"
expect_eq "no guest yet" 0 "$(eng_guest_count)"

check "echo OS template > 970/template" sh -c "echo $OSTMPL > '$ENG_MNT/970/template'"
wait_for "970 is being created" 10 status_like 970 "creating: from $OSTMPL ?UPID:pve:*:vzcreate:970:*"
wait_for "970 is being started" 20 status_like 970 'starting*'
check "wait 970" timeout 60 cat "$ENG_MNT/970/wait"
expect_eq "970 settled running" running "$(cat "$W/out")"
expect_eq "one guest" 1 "$(eng_guest_count)"
expect_eq "created once" 1 "$(eng_tasks pve vzcreate 970)"
cfg=$(pvesim_api GET /nodes/pve/lxc/970/config)
expect_eq "hostname" web970 "$(echo "$cfg" | jq -r .data.hostname)"
expect_eq "memory" 640 "$(echo "$cfg" | jq -r .data.memory)"
expect_eq "swap" 128 "$(echo "$cfg" | jq -r .data.swap)"
expect_eq "cores" 3 "$(echo "$cfg" | jq -r .data.cores)"
expect_eq "onboot" 1 "$(echo "$cfg" | jq -r .data.onboot)"
check "rootfs on local-lvm, 6G" sh -c "echo '$(echo "$cfg" | jq -r .data.rootfs)' | grep -q '^local-lvm:vm-970-disk-0,size=6G'"
expect_eq "running on the backend" running \
	"$(pvesim_api GET /nodes/pve/lxc/970/status/current | jq -r .data.status)"
check "log: the create and its task" sh -c \
	"grep -q 'creating 970 on pve from $OSTMPL' '$ENG_MNT/970/log' && grep -q 'task: TASK OK' '$ENG_MNT/970/log'"
check "log lines are timestamped" sh -c \
	"grep -vqE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z ' '$ENG_MNT/970/log' && exit 1 || exit 0"
expect_eq "error is empty" "" "$(cat "$ENG_MNT/970/error")"

# an OS template the storage does not have: failed, with the server's reason
check "mkdir 971" mkdir "$ENG_MNT/971"
check "echo bad template > 971/template" sh -c "echo local:vztmpl/nope.tar.zst > '$ENG_MNT/971/template'"
check_fails "wait 971 fails with EIO" "Input/output error" timeout 30 cat "$ENG_MNT/971/wait"
check "971 failed: create of 971 failed" status_like 971 'failed: create of 971 failed*'
# no storage_pool: Proxmox's default `local` holds no container disks
check "971/error has the server's reason" grep -q "storage 'local' does not support container directories" "$ENG_MNT/971/error"
check "storage_pool, then retry" sh -c "echo local-lvm > '$ENG_MNT/971/storage_pool' && echo retry > '$ENG_MNT/971/ctl'"
check_fails "wait 971 fails again" "Input/output error" timeout 30 cat "$ENG_MNT/971/wait"
check "971/error names the missing volume" grep -q 'nope.tar.zst' "$ENG_MNT/971/error"
expect_eq "no guest left behind" 1 "$(eng_guest_count)"
done_testing
