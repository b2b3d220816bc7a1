#!/bin/bash
# Unmounting while a feature hook runs: the hook (and what it started) is
# ended, phoenixfs exits promptly, the build stays in the journal, and the
# next mount runs the hook again and finishes the build. The hook gets
# /dev/null as stdin and no descriptor of the daemon's (no /dev/fuse).
set -u
. "$PHX_SOURCE/tests/integration/engine/lib.sh"

pvesim_start "$ENG_WORK/sim" 0 || bail "pvesim did not start"
mkdir -p "$W/features"
cat >"$W/features/phoenix_hypervisor_feature_install_slow.sh" <<SH
#!/bin/bash
echo "run \$1" >> "$W/calls"
ls -l /proc/\$\$/fd > "$W/fds.\$(wc -l < "$W/calls")"
if [ ! -e "$W/quick" ]; then
	sleep 300 &
	echo \$! > "$W/child.pid"
	echo \$\$ > "$W/hook.pid"
	wait
fi
SH
chmod +x "$W/features/phoenix_hypervisor_feature_install_slow.sh"
cat >"$ENG_CONFIG" <<JSON
{"lxc_configs": {"720": {"name": "slow", "template": "$OSTMPL", "storage_pool": "local-lvm",
                         "features": ["slow"]}}}
JSON
eng_mount "feature_dir=$W/features"
check "echo create > 720/ctl" sh -c "echo create > '$ENG_MNT/720/ctl'"
wait_for "the hook runs" 30 test -s "$W/child.pid"
expect_eq "720 shows it" "configuring: running feature slow" "$(eng_status 720)"
check "the hook has no descriptor of the daemon's (no /dev/fuse)" sh -c "! grep -q /dev/fuse '$W/fds.1'"
check "its stdin is /dev/null" grep -q "0 -> /dev/null" "$W/fds.1"
child=$(cat "$W/child.pid")
t0=$SECONDS
eng_umount
check "phoenixfs exited within 15 s of the unmount" test $((SECONDS - t0)) -le 15
wait_for "the hook's child is gone" 10 sh -c "! kill -0 $child 2>/dev/null || grep -q '^State:.*Z' /proc/$child/status"
check "the build is in the journal" sh -c "grep -q '\"ctid\":720' '$ENG_WORK'/.phoenix_lxc_configs.json.phoenixfs-journal@*[0-9a-f]" # one journal per mount
touch "$W/quick"
eng_mount "feature_dir=$W/features"
check "wait on 720 after the remount" timeout 60 cat "$ENG_MNT/720/wait"
expect_eq "720 runs" running "$(eng_status 720)"
expect_eq "the hook ran again" 2 "$(grep -c 'run 720' "$W/calls")"
expect_eq "720 was made once" 1 "$(eng_tasks pve vzcreate 720)"
done_testing
