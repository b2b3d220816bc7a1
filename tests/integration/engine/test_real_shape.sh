#!/bin/bash
# The real config's shape (tests/data/real_shape.json, copied unchanged),
# built the way lxc-manager.sh's `create` builds it: one `echo create >
# ctl` per leaf. pvesim has the template directory /srv/images (storage
# `local`), the mixed-case storage FastPool-CT-Disks, and VM 1002 running;
# feature and application hooks record their calls. Checked: every
# container's final state, the snapshots the config names, that each clone
# came from its source's snapshot, disk sizes, the hooks' order and
# arguments, dependencies first, nothing made twice.
set -u
. "$PHX_SOURCE/tests/integration/engine/lib.sh"

pvesim_start "$ENG_WORK/sim" 0 --storage local:dir:/srv/images \
	--storage FastPool-CT-Disks:lvmthin --qemu 1002 || bail "pvesim did not start"
cp "$PHX_SOURCE/tests/data/real_shape.json" "$ENG_CONFIG"
cp "$ENG_CONFIG" "$W/orig.json"
CALLS=$W/calls
: >"$CALLS"

# hooks: each appends "KIND NAME ARGS... ctid=.. node=.." to $CALLS
mkdir -p "$W/features" "$W/apps"
hook() { # FILE KIND NAME
	cat >"$1" <<SH
#!/bin/sh
echo "$2 $3 \$* env_ctid=\$PHOENIX_CTID node=\$PHOENIX_NODE" >> "$CALLS"
echo "$3 says hello to \$1"
SH
	chmod +x "$1"
}
for f in $(jq -r '[.lxc_configs[].features[]] | unique | .[]' "$ENG_CONFIG"); do
	hook "$W/features/phoenix_hypervisor_feature_install_$f.sh" feature "$f"
done
for a in $(jq -r '[.lxc_configs[].application_script // empty] | unique | .[]' "$ENG_CONFIG"); do
	hook "$W/apps/$a" app "$a"
done
# 103's application script reads and writes the mount it is run for
cat >>"$W/apps/app_ca.sh" <<'SH'
echo "status-of-103: $(cat "$PHOENIX_MOUNT/103/status")" >> "$PHOENIX_CONFIG.calls-extra"
echo '"ca-ready"' > "$PHOENIX_MOUNT/103/portainer_role" || exit 7
SH

eng_mount "feature_dir=$W/features,app_script_dir=$W/apps,hook_timeout=60,jobs=4"

check "the config mounts unchanged" same_file "$ENG_CONFIG" "$W/orig.json"
leaves="910 912 801 802 101 914 917 102"
for c in $leaves; do
	check "echo create > $c/ctl" sh -c "echo create > '$ENG_MNT/$c/ctl'"
done
for c in $leaves; do
	timeout 300 cat "$ENG_MNT/$c/wait" >"$W/out" 2>&1
	expect_eq "$c settled running" running "$(cat "$W/out")"
done

all=$(jq -r '.lxc_configs | keys[]' "$W/orig.json")
for c in $all; do
	expect_eq "$c is running" running "$(eng_status "$c")"
	expect_eq "$c runs on the backend" running \
		"$(pvesim_api GET /nodes/pve/lxc/$c/status/current | jq -r .data.status)"
done
expect_eq "twelve containers on the backend" 12 "$(eng_guest_count)"

# nothing made twice
expect_eq "one create in all (900)" 1 "$(eng_tasks pve vzcreate)"
expect_eq "900 created once" 1 "$(eng_tasks pve vzcreate 900)"
expect_eq "eleven clones in all" 11 "$(eng_tasks pve vzclone)"
for c in $all; do
	expect_eq "$c started once" 1 "$(eng_tasks pve vzstart "$c")"
done

# each clone from its source's snapshot, a full clone onto the entry's storage
for c in $all; do
	src=$(jq -r ".lxc_configs[\"$c\"].clone_from_ctid // empty" "$W/orig.json")
	[ -n "$src" ] || continue
	snap=$(jq -r ".lxc_configs[\"$src\"].template_snapshot_name" "$W/orig.json")
	check "$c cloned from snapshot $snap of $src" \
		grep -q "cloning $c from $src on pve (full clone from snapshot $snap)" "$ENG_MNT/$c/log"
	cfg=$(pvesim_api GET /nodes/pve/lxc/$c/config)
	size=$(jq -r ".lxc_configs[\"$c\"].storage_size_gb" "$W/orig.json")
	expect_eq "$c rootfs on FastPool-CT-Disks, ${size}G" "FastPool-CT-Disks:${size}G" \
		"$(echo "$cfg" | jq -r '.data.rootfs' | sed -E 's/^([^:]+):[^,]*,.*size=([0-9]+G).*/\1:\2/')"
done
expect_eq "801 asks 128 GiB... its entry's 96 GiB, grown from 911's 48" 96G \
	"$(pvesim_api GET /nodes/pve/lxc/801/config | jq -r .data.rootfs | sed 's/.*size=//')"
check "801's log shows the growth" grep -q "disk: growing rootfs from 48 GiB to 96G" "$ENG_MNT/801/log"

# snapshots: the template snapshot and the lifecycle ones, and no others
for c in $all; do
	want=$(jq -r --arg c "$c" '.lxc_configs[$c] | [(.template_snapshot_name // empty),
		(if .enable_lifecycle_snapshots then "pre-configured", "final-form" else empty end)]
		| sort | join(" ")' "$W/orig.json")
	have=$(pvesim_api GET /nodes/pve/lxc/$c/snapshot | jq -r '[.data[].name | select(. != "current")] | sort | join(" ")')
	expect_eq "$c has snapshots '$want'" "$want" "$have"
done

# hooks: each container's features in list order, then its application
# script, each with the container id and PHOENIX_CTID
for c in $all; do
	want=$(jq -r --arg c "$c" '.lxc_configs[$c] | ([.features[] | "feature \(.) \($c) env_ctid=\($c) node=pve"]
		+ (if .application_script then ["app \(.application_script) \($c) env_ctid=\($c) node=pve"] else [] end)) | .[]' "$W/orig.json")
	expect_eq "$c's hooks in order" "$want" "$(grep " $c env_ctid=$c " "$CALLS")"
done
expect_eq "no hook ran twice" "" "$(sort "$CALLS" | uniq -d)"
check "hook output is in the log" grep -q "feature nvidia: nvidia says hello to 901" "$ENG_MNT/901/log"
check "103's application script read its status through the mount" \
	grep -q "status-of-103: configuring: running application_script app_ca.sh" "$ENG_CONFIG.calls-extra"
expect_eq "and wrote through it" '"ca-ready"' "$(jq -c '.lxc_configs["103"].portainer_role' "$ENG_CONFIG")"

# dependencies first: 103 (in the file) started before 101 and 102 did
# (they are made alongside it); 1002 (a VM, not in the file) ran already
order=$(pvesim_api GET "/nodes/pve/tasks?source=all&limit=0" |
	jq -r '[.data[] | select(.type == "vzstart")] | sort_by(.starttime, .upid) | map(.id) | join(" ")')
check "103 started before 101 and 102 ($order)" sh -c \
	"echo '$order' | grep -Eq '(^| )103 .*101' && echo '$order' | grep -Eq '(^| )103 .*102'"
check "901 noted its dependency on 1002 running" grep -q "dependency 1002 is running" "$ENG_MNT/901/log"

# what an API token cannot set is named, never dropped
check "101's log names id_maps as not applied" grep -q "id_maps: not applied" "$ENG_MNT/101/log"
check "101's log names mount_points as not applied" grep -q "mount_points: not applied" "$ENG_MNT/101/log"
expect_eq "101's nesting=1 reached Proxmox features" nesting=1 \
	"$(pvesim_api GET /nodes/pve/lxc/101/config | jq -r .data.features)"
check "900's OS template path was mapped" grep -q "OS template /srv/images/template/cache/debian-12-standard_12.7-1_amd64.tar.zst is local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst" "$ENG_MNT/900/log"
expect_eq "900's firewall rules" "in ACCEPT icmp 10.20.0.0/24;in ACCEPT tcp 10.20.0.0/24 22" \
	"$(pvesim_api GET /nodes/pve/lxc/900/firewall/rules | jq -r '[.data | sort_by(.pos)[] | "\(.type) \(.action) \(.proto) \(.source)\(if .dport then " " + .dport else "" end)"] | join(";")')"
net0=$(pvesim_api GET /nodes/pve/lxc/900/config | jq -r .data.net0)
check "900's net0 has firewall=1 ($net0)" sh -c "echo '$net0' | grep -q firewall=1"
expect_eq "the file only changed where the hook wrote" "" \
	"$(diff <(jq -S 'del(.lxc_configs["103"].portainer_role)' "$W/orig.json") <(jq -S 'del(.lxc_configs["103"].portainer_role)' "$ENG_CONFIG"))"
done_testing
