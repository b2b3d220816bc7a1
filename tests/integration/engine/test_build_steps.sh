#!/bin/bash
# The steps of lxc-manager.sh's `create` one by one, and how each fails:
# a template path no storage covers, a disk that would shrink, a source
# with nothing to clone a running container from, a failing hook (error
# with its last lines, retry resuming at that hook), a hook that runs too
# long, hooks without their option, a feature added later (just its hook),
# `create` converging an existing container, and the snapshot a clone
# waits for.
set -u
. "$PHX_SOURCE/tests/integration/engine/lib.sh"

pvesim_start "$ENG_WORK/sim" 0 --task-ms 150 --storage local:dir:/srv/images \
	--storage local-lvm:lvmthin || bail "pvesim did not start"
CALLS=$W/calls
: >"$CALLS"
mkdir -p "$W/features" "$W/apps"
feature() { # NAME [EXTRA SHELL]
	cat >"$W/features/phoenix_hypervisor_feature_install_$1.sh" <<SH
#!/bin/sh
echo "feature $1 \$*" >> "$CALLS"
${2:-}
SH
	chmod +x "$W/features/phoenix_hypervisor_feature_install_$1.sh"
}
feature base
feature flaky 'echo "flaky: cannot reach the mirror" >&2; [ -e "'"$W"'/flaky-ok" ] || exit 3'
feature late
feature slow 'sleep 30'
cat >"$W/apps/app.sh" <<SH
#!/bin/sh
echo "app \$*" >> "$CALLS"
SH
chmod +x "$W/apps/app.sh"

TP=/srv/images/template/cache/debian-12-standard_12.7-1_amd64.tar.zst
cat >"$ENG_CONFIG" <<JSON
{"lxc_configs": {
  "900": {"name": "base", "memory_mb": 512, "storage_pool": "local-lvm", "storage_size_gb": 8,
          "template": "$TP", "template_snapshot_name": "golden", "features": ["base"],
          "enable_lifecycle_snapshots": true,
          "firewall": {"enabled": true, "rules": [{"type": "in", "action": "ACCEPT", "proto": "tcp", "port": "22"}]}},
  "901": {"name": "small", "clone_from_ctid": "900", "storage_pool": "local-lvm", "storage_size_gb": 4},
  "902": {"name": "flaky", "clone_from_ctid": "900", "storage_pool": "local-lvm", "storage_size_gb": 10,
          "features": ["base", "flaky", "late"], "application_script": "app.sh",
          "enable_lifecycle_snapshots": true},
  "903": {"name": "nowhere", "template": "/opt/elsewhere/template/cache/x.tar.zst", "storage_pool": "local-lvm"},
  "904": {"name": "plain", "template": "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
          "storage_pool": "local-lvm", "storage_size_gb": 4},
  "905": {"name": "from-plain", "clone_from_ctid": "904", "storage_pool": "local-lvm"},
  "906": {"name": "slow", "clone_from_ctid": "900", "storage_pool": "local-lvm", "features": ["slow"]},
  "960": {"name": "origin-style", "template": "$TP", "storage_pool": "local-lvm", "storage_size_gb": 4,
          "template_snapshot_name": "final-form", "enable_lifecycle_snapshots": true, "features": ["base"]},
  "961": {"name": "c1", "clone_from_ctid": "960", "storage_pool": "local-lvm"},
  "962": {"name": "c2", "clone_from_ctid": "960", "storage_pool": "local-lvm"}
}}
JSON
eng_mount "feature_dir=$W/features,app_script_dir=$W/apps,hook_timeout=2"

# a clone waits for the snapshot its source names, shown as such
check "echo create > 902/ctl" sh -c "echo create > '$ENG_MNT/902/ctl'"
wait_for "902 waits for snapshot golden of 900" 10 status_is 902 "queued: waiting for snapshot golden of 900"
wait_for "900 takes it after its hooks" 30 status_like 900 "configuring: taking snapshot golden*"

# a failing hook: failed with its last lines; retry resumes at it
wait_for "902 fails at its flaky feature" 60 status_like 902 "failed: feature flaky of 902 exited with status 3*"
check "902/error has the hook's last lines" grep -q "flaky: cannot reach the mirror" "$ENG_MNT/902/error"
expect_eq "base ran once, late not yet" "feature base 902" "$(grep -E ' 902$' "$CALLS" | grep -v flaky)"
touch "$W/flaky-ok"
check "echo retry > 902/ctl" sh -c "echo retry > '$ENG_MNT/902/ctl'"
check "wait on 902" timeout 60 cat "$ENG_MNT/902/wait"
expect_eq "902 runs" running "$(eng_status 902)"
expect_eq "902's hooks: base once, flaky twice, late and app once" \
	"feature base 902|feature flaky 902|feature flaky 902|feature late 902|app 902" \
	"$(grep -E ' 902$' "$CALLS" | paste -sd'|')"
check "the retry said where it resumed" grep -q "resuming the build: pre-configured snapshot" "$ENG_MNT/902/log"
expect_eq "pre-configured taken once (not again on retry)" 1 \
	"$(grep -c 'snapshot pre-configured: taken' "$ENG_MNT/902/log")"
expect_eq "902 grew from 8 to 10 GiB" 10G \
	"$(pvesim_api GET /nodes/pve/lxc/902/config | jq -r .data.rootfs | sed 's/.*size=//')"

# shrinking is refused and never sent
check "echo create > 901/ctl" sh -c "echo create > '$ENG_MNT/901/ctl'"
check_fails "901 fails" "" timeout 60 cat "$ENG_MNT/901/wait"
check "901/error says Proxmox cannot shrink" grep -q "rootfs is 8 GiB and storage_size_gb asks 4: Proxmox cannot shrink" "$ENG_MNT/901/error"
expect_eq "no resize was sent for 901" 0 "$(grep -c '/lxc/901/resize' "$PVESIM_LOG")"
expect_eq "(one was for 902: the log shows them)" 1 "$(grep -c '/lxc/902/resize' "$PVESIM_LOG")"

# a template path no storage covers
check "echo create > 903/ctl" sh -c "echo create > '$ENG_MNT/903/ctl'"
check_fails "903 fails" "" timeout 30 cat "$ENG_MNT/903/wait"
check "903/status says no storage covers it" grep -q "no storage covers it" "$ENG_MNT/903/status"
expect_eq "nothing was created for 903" 0 "$(eng_tasks pve vzcreate 903)"

# a running source with no snapshot and no template: said plainly
check "echo create > 905/ctl" sh -c "echo create > '$ENG_MNT/905/ctl'"
check_fails "905 fails" "" timeout 30 cat "$ENG_MNT/905/wait"
check "905/status says what to do" grep -q "904 is running and is neither a template nor names a template_snapshot_name" "$ENG_MNT/905/status"
expect_eq "no clone was tried" 0 "$(eng_tasks pve vzclone 904)"

# a hook that runs too long
check "echo create > 906/ctl" sh -c "echo create > '$ENG_MNT/906/ctl'"
check_fails "906 fails" "" timeout 60 cat "$ENG_MNT/906/wait"
check "906/error: timed out" grep -q "feature slow of 906 timed out" "$ENG_MNT/906/error"

# a feature added to an existing container: just its hook
before=$(grep -c ' 900$' "$CALLS")
check "add late to 900's features" sh -c "echo '[\"base\", \"late\"]' > '$ENG_MNT/900/features'"
wait_for "late ran for 900" 20 grep -q "feature late 900" "$CALLS"
check "wait on 900" timeout 30 cat "$ENG_MNT/900/wait"
expect_eq "only late ran" $((before + 1)) "$(grep -c ' 900$' "$CALLS")"
check "take late off the list" sh -c "echo '[\"base\"]' > '$ENG_MNT/900/features'"
check "and put it back" sh -c "echo '[\"base\", \"late\"]' > '$ENG_MNT/900/features'"
wait_for "late ran again for 900" 20 sh -c "test \$(grep -c 'feature late 900' '$CALLS') = 2"
check "wait on 900" timeout 30 cat "$ENG_MNT/900/wait"
expect_eq "base did not" 1 "$(grep -c 'feature base 900' "$CALLS")"

# create converges an existing container: changed elsewhere, put back
pvesim_api PUT /nodes/pve/lxc/900/config --data-urlencode memory=2048 >/dev/null
pos=$(pvesim_api GET /nodes/pve/lxc/900/firewall/rules | jq '.data[0].pos')
pvesim_api DELETE "/nodes/pve/lxc/900/firewall/rules/$pos" >/dev/null
expect_eq "900's rule deleted elsewhere" 0 "$(pvesim_api GET /nodes/pve/lxc/900/firewall/rules | jq '.data | length')"
before=$(grep -c ' 900$' "$CALLS")
check "echo create > 900/ctl" sh -c "echo create > '$ENG_MNT/900/ctl'"
check "wait on 900" timeout 60 cat "$ENG_MNT/900/wait"
expect_eq "memory back to 512" 512 "$(pvesim_api GET /nodes/pve/lxc/900/config | jq -r .data.memory)"
expect_eq "the rule is back" "in ACCEPT tcp 22" \
	"$(pvesim_api GET /nodes/pve/lxc/900/firewall/rules | jq -r '.data[] | "\(.type) \(.action) \(.proto) \(.dport)"')"
expect_eq "no hook ran again" "$before" "$(grep -c ' 900$' "$CALLS")"
expect_eq "900 still created once" 1 "$(eng_tasks pve vzcreate 900)"
# a changed firewall reaches the running container: rules replaced
jq '.firewall.rules = [{"type": "in", "action": "DROP", "proto": "udp", "dport": "53"},
	{"type": "out", "action": "ACCEPT"}]' "$ENG_MNT/900/config.json" >"$W/fw.json"
check "write 900's new firewall rules" sh -c "cat '$W/fw.json' > '$ENG_MNT/900/config.json'"
check "wait on 900" timeout 30 cat "$ENG_MNT/900/wait"
expect_eq "the new rules are on the container, in order" "in DROP udp 53;out ACCEPT null null" \
	"$(pvesim_api GET /nodes/pve/lxc/900/firewall/rules | jq -r '[.data | sort_by(.pos)[] | "\(.type) \(.action) \(.proto) \(.dport)"] | join(";")')"
check "echo create > 900/ctl once more" sh -c "echo create > '$ENG_MNT/900/ctl'"
check "wait on 900" timeout 60 cat "$ENG_MNT/900/wait"
check "rules already right are left alone" grep -q "firewall: enabled, 2 rules already as the entry says" "$ENG_MNT/900/log"
expect_eq "  (the 2 rules were set once, by the change)" 1 "$(grep -c 'firewall: enabled, 2 rules set' "$ENG_MNT/900/log")"
check "the lifecycle snapshots were taken again by each create" sh -c \
	"test \$(grep -c 'snapshot final-form: taken' '$ENG_MNT/900/log') = 3"

# the origin's real config: template_snapshot_name "final-form" with the
# lifecycle snapshots, which delete and take final-form again
check "echo create > 961/ctl" sh -c "echo create > '$ENG_MNT/961/ctl'"
check "echo create > 962/ctl" sh -c "echo create > '$ENG_MNT/962/ctl'"
wait_for "961 waits for snapshot final-form of 960" 10 status_is 961 "queued: waiting for snapshot final-form of 960"
check "wait on 961" timeout 60 cat "$ENG_MNT/961/wait"
check "wait on 962" timeout 60 cat "$ENG_MNT/962/wait"
for c in 961 962; do
	expect_eq "$c runs" running "$(eng_status $c)"
	check "$c cloned from final-form" grep -q "cloning $c from 960 on pve (full clone from snapshot final-form)" "$ENG_MNT/$c/log"
done
expect_eq "960 has final-form and pre-configured" "final-form pre-configured" \
	"$(pvesim_api GET /nodes/pve/lxc/960/snapshot | jq -r '[.data[].name | select(. != "current")] | sort | join(" ")')"
expect_eq "final-form taken once by the build" 1 "$(grep -c 'snapshot final-form: taken' "$ENG_MNT/960/log")"
done_testing
