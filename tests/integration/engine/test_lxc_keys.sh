#!/bin/bash
# The real config's shape mounts unchanged (mixed-case storage id, every
# key kept), and every key lxc-manager.sh's `create` reads is checked at
# write by the format Proxmox (or the origin's scripts) would apply: a bad
# value is EINVAL with the reason in `error`, and the file stays as it was.
# Offline: no backend is needed to refuse a value.
set -u
. "$PHX_SOURCE/tests/integration/lib.sh"
phx_setup lxc_keys
cp "$PHX_SOURCE/tests/data/real_shape.json" "$CFG"
cp "$CFG" "$W/orig.json"
phx_mount || { echo "Bail out! mount failed"; exit 1; }

expect_eq "the mixed-case storage id reads back" FastPool-CT-Disks "$(cat "$MNT/900/storage_pool")"
check "the file is unchanged by mounting" same_file "$CFG" "$W/orig.json"
for ct in 900 901 910 911 912 801 802 101 914 917 103 102; do
	[ -d "$MNT/$ct" ] || nok "$ct is listed"
done
ok "all twelve containers are listed"
check "features show as JSON" sh -c "cat '$MNT/910/features' | jq -e '. == [\"nvidia\",\"vllm\"]'"
check "every key of 101 is kept (config.json)" sh -c \
	"jq -S '.lxc_configs[\"101\"]' '$W/orig.json' > '$W/a' && jq -S . '$MNT/101/config.json' > '$W/b' && cmp -s '$W/a' '$W/b'"
check "rewriting 101/config.json as it is changes nothing" sh -c \
	"cat '$MNT/101/config.json' > '$W/c101' && cat '$W/c101' > '$MNT/101/config.json' && cmp -s '$CFG' '$W/orig.json'"

# refuse KEY-FILE VALUE ERRTEXT: the write fails with EINVAL, `error` has
# the reason, the file is unchanged
refuse() {
	local ct=$1 file=$2 value=$3 text=$4
	check_fails "$ct/$file = $value is refused" "Invalid argument" \
		bash -c "printf '%s\n' '$value' > '$MNT/$ct/$file'"
	check "$ct/error says why ($text)" grep -qF -- "$text" "$MNT/$ct/error"
	check "the file is unchanged after $ct/$file = $value" same_file "$CFG" "$W/orig.json"
}
# refuse_cfg CT KEY JSON ERRTEXT: the same for an object key, written as
# the entry's config.json with KEY set to JSON
refuse_cfg() {
	local ct=$1 key=$2 value=$3 text=$4
	jq --argjson v "$value" --arg k "$key" '.[$k] = $v' "$MNT/$ct/config.json" >"$W/new.json"
	check_fails "$ct: $key = $value is refused" "Invalid argument" \
		bash -c "cat '$W/new.json' > '$MNT/$ct/config.json'"
	check "$ct/error says why ($text)" grep -qF -- "$text" "$MNT/$ct/error"
	check "the file is unchanged after $key = $value" same_file "$CFG" "$W/orig.json"
}
refuse 900 storage_pool 'Fast Pool' "storage id"
refuse 900 features '["base setup"]' 'feature name'
refuse 900 features '"nvidia"' 'must be a list'
refuse 900 features '["nvidia","nvidia"]' 'listed twice'
refuse 910 application_script '"../../etc/passwd"' 'relative path'
refuse 910 application_script '"/usr/bin/x"' 'relative path'
refuse 901 pct_options '["nesting=2"]' 'nesting is a boolean'
refuse 901 pct_options '["nestingg=1"]' 'not a Proxmox container feature'
refuse 901 pct_options '["mount=nfs|cifs"]' 'mount takes file system types'
refuse 901 dependencies '["abc"]' 'must be a guest id'
refuse 901 dependencies '[42]' 'must be a guest id'
refuse_cfg 900 firewall '{"enabled": "yes"}' 'enabled must be true or false'
refuse_cfg 900 firewall '{"enabled": true, "rules": [{"type": "fwd", "action": "ACCEPT"}]}' "invalid rule type 'fwd'"
refuse_cfg 900 firewall '{"enabled": true, "rules": [{"type": "in", "action": "ALLOW"}]}' "unknown action 'ALLOW'"
refuse_cfg 900 firewall '{"enabled": true, "rules": [{"type": "in", "action": "ACCEPT", "port": "22"}]}' "'dport' requires this property"
refuse_cfg 900 firewall '{"enabled": true, "rules": [{"type": "in", "action": "ACCEPT", "proto": "icmp", "port": "22"}]}' "protocol 'icmp' does not support ports"
refuse_cfg 900 firewall '{"enabled": true, "rules": [{"type": "in", "action": "ACCEPT", "proto": "tcp", "port": "70000"}]}' "is not a port"
refuse_cfg 900 firewall '{"enabled": true, "rules": [{"type": "in", "action": "ACCEPT", "source": "10.0.0.0/33"}]}' "source: '10.0.0.0/33'"
refuse_cfg 900 firewall '{"enabled": true, "rules": [{"type": "in", "action": "ACCEPT", "iface": "eth0"}]}' "net\\d+"
refuse_cfg 900 firewall '{"enabled": true, "rules": [{"type": "in", "action": "ACCEPT", "dports": "22"}]}' "'dports' is not a field"
refuse_cfg 900 firewall '{"enabled": true, "options": {"policy_in": "ALLOW"}}' "policy_in must be ACCEPT, DROP or REJECT"
refuse 900 enable_lifecycle_snapshots '"yes"' 'true or false'
# Proxmox cannot make a template of a container with snapshots
check_fails "touch 900/is_template with a template_snapshot_name is refused" "Invalid argument" \
	touch "$MNT/900/is_template"
check "900/error says why" grep -q "cannot make a template of a container that has snapshots" "$MNT/900/error"
check "the file is unchanged" same_file "$CFG" "$W/orig.json"
check_fails "a config.json with both is refused" "Invalid argument" sh -c \
	"jq '. + {is_template: true}' '$MNT/900/config.json' > '$W/t.json' && cat '$W/t.json' > '$MNT/900/config.json'"
check "the file is unchanged" same_file "$CFG" "$W/orig.json"
# 103 (in 102's dependencies) cloning from 102: a build-order cycle
check_fails "103/clone_from = 102 makes a cycle through 102's dependencies" "Too many levels" \
	bash -c "echo 102 > '$MNT/103/clone_from'"
check "103/error names the cycle" grep -q "build order cycle" "$MNT/103/error"
jq '.dependencies = ["101"]' "$MNT/900/config.json" >"$W/dep.json"
check_fails "900 depending on 101 (a clone of 900) is a cycle" "Too many levels" \
	bash -c "cat '$W/dep.json' > '$MNT/900/config.json'"
check "900/error names it" grep -q "build order cycle" "$MNT/900/error"
check "the file is unchanged" same_file "$CFG" "$W/orig.json"
jq '.lxc_configs["103"].dependencies = ["102"]' "$W/orig.json" >"$W/doc.json"
check_fails "a whole document with 103 <-> 102 dependencies is refused" "Too many levels" \
	bash -c "cat '$W/doc.json' > '$MNT/config.json'"
check "the file is unchanged" same_file "$CFG" "$W/orig.json"
# and a good change goes through
check "a new feature list is accepted" sh -c "echo '[\"base_setup\", \"docker\"]' > '$MNT/900/features'"
expect_eq "and stored" '["base_setup","docker"]' "$(jq -c '.lxc_configs["900"].features' "$CFG")"
done_testing
