#!/bin/bash
# The seed scenario: one echo into a leaf's clone_from builds the template
# source from its OS template, converts it, clones the leaf linked,
# configures and starts it.
set -u
. "$PHX_SOURCE/tests/integration/engine/lib.sh"

pvesim_start "$ENG_WORK/sim" 0 || fail "pvesim did not start"
cat >"$ENG_CONFIG" <<JSON
{"lxc_configs": {
  "900": {"name": "Copy-Base", "is_template": true, "memory_mb": 2048, "cores": 2,
          "storage_pool": "local-lvm", "storage_size_gb": 8, "unprivileged": true,
          "template": "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
          "network_config": {"name": "eth0", "bridge": "vmbr0", "ip": "10.0.0.200/24", "gw": "10.0.0.1"}},
  "103": {"name": "Step-CA", "memory_mb": 1024, "swap_mb": 256, "cores": 1,
          "storage_pool": "local-lvm", "storage_size_gb": 8, "start_at_boot": true,
          "boot_order": 1, "boot_delay": 5, "unprivileged": true,
          "network_config": {"name": "eth0", "bridge": "vmbr0", "ip": "10.0.0.10/24", "gw": "10.0.0.1"}}
}}
JSON
eng_mount

echo 900 >"$ENG_MNT/103/clone_from" || fail "echo 900 > 103/clone_from"
st=$(timeout 60 cat "$ENG_MNT/103/wait") || fail "103/wait failed: $st; $(cat "$ENG_MNT/103/error")"
[ "$st" = running ] || fail "103 settled as '$st'"
st=$(cat "$ENG_MNT/900/status")
[ "$st" = template ] || fail "900/status is '$st'"
[ "$(eng_guest_count)" = 2 ] || fail "expected 2 guests, pvesim has $(eng_guest_count)"

cfg=$(pvesim_api GET /nodes/pve/lxc/103/config)
[ "$(echo "$cfg" | jq -r .data.hostname)" = Step-CA ] || fail "hostname: $cfg"
[ "$(echo "$cfg" | jq -r .data.memory)" = 1024 ] || fail "memory: $cfg"
echo "$cfg" | jq -r .data.startup | grep -q 'order=1,up=5' || fail "startup: $cfg"
grep -q 'linked clone' "$ENG_MNT/103/log" || fail "log: $(cat "$ENG_MNT/103/log")"
grep -q 'task: ' "$ENG_MNT/103/log" || fail "no task log lines in 103/log"

# attribute change applied to the backend
echo 1536 >"$ENG_MNT/103/memory_mb" || fail "write memory_mb"
timeout 30 cat "$ENG_MNT/103/wait" >/dev/null || fail "wait after memory_mb"
[ "$(pvesim_api GET /nodes/pve/lxc/103/config | jq -r .data.memory)" = 1536 ] ||
	fail "memory_mb not applied"
echo PASS
