#!/bin/bash
# The tree as docs/files.md describes it, offline: every file readable with the
# value the config file holds, generated files, other keys as files and
# directories, outside edits seen without remounting.
. "$(dirname "$0")/../lib.sh"
phx_setup tree
phx_mount || exit 1

jqv() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=d["lxc_configs"][sys.argv[2]][sys.argv[3]]; print(json.dumps(v) if isinstance(v,(dict,list)) else (str(v).lower() if isinstance(v,bool) else v))' "$CFG" "$@"; }

expect_eq "root lists containers and files" "103 900 901 950 config.json events graph.dot metrics status tree" "$(ls "$MNT" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "root status: one line per container" "103 absent Step-CA
900 absent Copy-Base
901 absent BaseTemplateGPU
950 absent vllmQwen3Coder" "$(cat "$MNT/status")"
check "root config.json is the file, byte for byte" cmp "$MNT/config.json" "$CFG"

# every attribute file of the SPEC table that the entry has shows its value
for ct in 900 901 103 950; do
	for f in name memory_mb swap_mb cores storage_pool storage_size_gb template template_snapshot_name start_at_boot boot_order boot_delay unprivileged mac_address node; do
		want=$(jqv $ct $f 2>/dev/null) || { [ ! -e "$MNT/$ct/$f" ] && continue; nok "$ct/$f exists without a key"; continue; }
		expect_eq "$ct/$f reads its value" "$want" "$(cat "$MNT/$ct/$f")"
	done
done
expect_eq "clone_from shows clone_from_ctid" "900" "$(cat "$MNT/103/clone_from")"
expect_eq "is_template reads true" "true" "$(cat "$MNT/900/is_template")"
check_fails "is_template absent when not a template" "No such file" cat "$MNT/103/is_template"
expect_eq "values end with one newline" "$(printf '2048\n' | od -c)" "$(od -c < "$MNT/900/memory_mb")"
expect_eq "stat size matches the content" "5" "$(stat -c %s "$MNT/900/memory_mb")"

# other keys: objects as directories, the rest as JSON text
check "network_config is a directory" test -d "$MNT/103/network_config"
expect_eq "network_config lists its keys" "bridge gw ip name" "$(ls "$MNT/103/network_config" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "nested string as JSON text" '"10.0.0.10/24"' "$(cat "$MNT/103/network_config/ip")"
expect_eq "unknown number as JSON text, as written" "0.85" "$(cat "$MNT/103/vllm_gpu_memory_utilization")"
expect_eq "array as JSON text" '[
    "base_setup",
    "step_ca"
]' "$(cat "$MNT/103/features")"
check "entry config.json parses and is the entry" /usr/bin/python3 -c "import json,sys; a=json.load(open('$MNT/103/config.json')); b=json.load(open('$CFG'))['lxc_configs']['103']; sys.exit(a!=b)"

# generated files
expect_eq "status offline is absent" "absent" "$(cat "$MNT/103/status")"
expect_eq "error is empty" "" "$(cat "$MNT/103/error")"
check "ctl is write-only" test "$(stat -c %a "$MNT/103/ctl")" = 200
check_fails "status cannot be written" "Permission denied" bash -c "echo x > '$MNT/103/status'"
check_fails "log cannot be removed" "Operation not permitted" rm -f "$MNT/103/log"
check_fails "root status cannot be written" "Permission denied" bash -c "echo x > '$MNT/status'"
echo create > "$MNT/103/ctl"
wait_for "ctl create offline: failed: no backend configured" 5 grep -qx "failed: no backend configured" "$MNT/103/status"
check "error says why" grep -q "no backend configured" "$MNT/103/error"
check_fails "wait on a failed container fails with EIO" "Input/output error" cat "$MNT/103/wait"
check_fails "unknown ctl command" "Invalid argument" bash -c "echo frobnicate > '$MNT/103/ctl'"
check "log has timestamped lines" grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z ' "$MNT/103/log"

# outside edits show up without remounting
/usr/bin/python3 - "$CFG" <<'PY'
import json, os, sys
p = sys.argv[1]
d = json.load(open(p))
d["lxc_configs"]["960"] = {"name": "outside", "memory_mb": 777}
d["lxc_configs"]["900"]["cores"] = 6
t = p + ".tmp"
json.dump(d, open(t, "w"), indent=4)
os.rename(t, p)
PY
wait_for "a container added outside appears" 5 test -d "$MNT/960"
wait_for "a value changed outside shows" 5 grep -qx 6 "$MNT/900/cores"
expect_eq "its files read" "777" "$(cat "$MNT/960/memory_mb")"

# a broken outside edit: the last good tree stays, writes are refused and
# the file is never overwritten
cp "$CFG" "$W/good.json"
printf '{ "lxc_configs": ' > "$CFG"
cp "$CFG" "$W/broken.json"
wait_for "a broken file is reported" 5 grep -q "not valid JSON" "$W/phoenixfs.log"
expect_eq "the last good value is still served" "6" "$(cat "$MNT/900/cores")"
check_fails "writes are refused while the file is broken" "Input/output error" bash -c "echo 4 > '$MNT/900/cores'"
check "the broken file is left as the user wrote it" cmp "$CFG" "$W/broken.json"
cp "$W/good.json" "$CFG.new" && mv "$CFG.new" "$CFG"
wait_for "a repaired file is picked up" 5 bash -c "echo 4 > '$MNT/900/cores'"

check_fails "names below the root are only container ids" "No such file" ls "$MNT/abc"
check_fails "unknown container" "No such file" ls "$MNT/12345"

phx_umount
check "--version prints the version" bash -c "'$PHOENIXFS' --version | grep -q '^phoenixfs [0-9]'"
check "--help lists the options" bash -c "'$PHOENIXFS' --help | grep -q pve_token_file"
cp "$W/broken.json" "$W/broken.copy"
check_fails "a config that is not JSON refuses to mount" "not valid JSON at line" "$PHOENIXFS" -f "$W/broken.json" "$MNT"
check "and leaves it untouched" cmp "$W/broken.json" "$W/broken.copy"
printf '{"lxc_configs": {"900": {"memory_mb": "lots"}}}' > "$W/badtype.json"
check_fails "a config with a wrong type refuses to mount, naming the key" "lxc_configs.900" "$PHOENIXFS" -f "$W/badtype.json" "$MNT"
done_testing
