#!/bin/bash
# Writes through the mount: good values persist atomically, every bad value
# fails the writing command with the SPEC errno and leaves the config file
# byte for byte as it was; the many ways shells and coreutils write all work.
. "$(dirname "$0")/../lib.sh"
phx_setup writes
phx_mount || exit 1
A=$MNT/900

key() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["lxc_configs"].get(sys.argv[2],{}); print(json.dumps(d.get(sys.argv[3],"<absent>")))' "$CFG" "$1" "$2"; }

# --- bad input: errno in the writer, file unchanged, reason in error ---
bad() { # FILE VALUE ERRTEXT
	local before=$W/before.json
	cp "$CFG" "$before"
	check_fails "refused: '$2' into $1" "$3" bash -c "printf '%s\n' '$2' > '$MNT/$1'"
	check "  file byte-for-byte unchanged after '$2' into $1" cmp "$CFG" "$before"
}
bad 900/memory_mb abc "Invalid argument"
bad 900/memory_mb 15 "Invalid argument"
bad 900/memory_mb -4 "Invalid argument"
bad 900/memory_mb 4096MB "Invalid argument"
bad 900/swap_mb 1.5 "Invalid argument"
bad 900/cores 0 "Invalid argument"
bad 900/storage_size_gb 0 "Invalid argument"
bad 900/name "bad name" "Invalid argument"
bad 900/name -x "Invalid argument"
bad 900/storage_pool Local_LVM_ "Invalid argument"
bad 900/template debian.tar.zst "Invalid argument"
bad 900/mac_address 01:00:5e:00:00:01 "Invalid argument"
bad 900/mac_address zz:zz "Invalid argument"
bad 900/start_at_boot maybe "Invalid argument"
bad 900/unprivileged 2 "Invalid argument"
bad 900/is_template perhaps "Invalid argument"
bad 900/boot_order x "Invalid argument"
bad 103/clone_from 99 "Invalid argument"
bad 103/clone_from abc "Invalid argument"
bad 103/clone_from 555 "No such file or directory"
bad 900/clone_from 900 "Too many levels of symbolic links"
bad 900/clone_from 103 "Too many levels of symbolic links"
bad 900/clone_from 950 "Too many levels of symbolic links"
bad 103/template_snapshot_name 1x "Invalid argument"
bad 900/node "a b" "Invalid argument"
bad 103/network_config/ip "not json" "Invalid argument"
bad 103/config.json '{"memory_mb": "lots"}' "Invalid argument"
bad 103/config.json '[1,2]' "Invalid argument"
bad 103/config.json '{"clone_from_ctid": "103"}' "Too many levels of symbolic links"
bad 103/config.json '{"clone_from_ctid": "4444"}' "No such file or directory"
bad config.json '{"lxc_configs": {"x": {}}}' "Invalid argument"
bad config.json '{"lxc_configs": {"900": {"clone_from_ctid": "901"}, "901": {"clone_from_ctid": "900"}}}' "Too many levels of symbolic links"
check "the reason is in error" grep -q "node: 'a b' is not a Proxmox node name" "$MNT/900/error"
check "and every refusal in log" grep -q "clone cycle: 900 clones from 950, which leads back to 900 (Too many levels of symbolic links)" "$MNT/900/log"
cp "$CFG" "$W/before.json"
check_fails "a value over 1 MiB is EFBIG" "File too large" bash -c "{ printf '\"'; head -c 1100000 /dev/zero | tr '\\0' a; } > '$A/features'"
check_fails "a hostname past any length is refused at its first write" "Invalid argument" bash -c "head -c 1100000 /dev/zero | tr '\\0' 1 > '$A/name'"
check "  file unchanged" cmp "$CFG" "$W/before.json"
check_fails "append is refused on a value" "Invalid argument" bash -c "echo 1 >> '$A/cores'"
# bytes no value can begin are refused by the write itself, so that a
# shell reports them even without a newline (the close is ignored)
# (dash's printf says only "I/O error" for any failed write)
for sh in bash dash; do
	t="Invalid argument"; [ $sh = dash ] && t="error"
	check_fails "$sh: printf of a hostname with a space fails" "$t" $sh -c "printf 'web server' > '$A/name'"
	check_fails "$sh: printf of a MAC with a seventh pair fails" "$t" $sh -c "printf '52:54:00:AA:BB:CC:DD' > '$A/mac_address'"
	check_fails "$sh: printf of cores past the range fails" "$t" $sh -c "printf 99999 > '$A/cores'"
	check_fails "$sh: printf of a snapshot name starting with a digit fails" "$t" $sh -c "printf 9golden > '$MNT/103/template_snapshot_name'"
done
check "  file unchanged" cmp "$CFG" "$W/before.json"
check_fails "/bin/echo reports the refusal too" "Invalid argument" sh -c "/bin/echo abc > '$A/memory_mb'"
check_fails "tee reports it" "Invalid argument" bash -c "echo abc | tee '$A/memory_mb' >/dev/null"
check "  file unchanged" cmp "$CFG" "$W/before.json"

# --- good writes ---
echo 4096 > "$A/memory_mb"
expect_eq "echo persists" "4096" "$(key 900 memory_mb)"
printf 3072 > "$A/memory_mb"
expect_eq "printf without newline" "3072" "$(key 900 memory_mb)"
{ printf 40; printf '96\n'; } > "$A/memory_mb"
expect_eq "a value in two writes" "4096" "$(key 900 memory_mb)"
printf '8192\n' | dd of="$A/memory_mb" bs=1 status=none
expect_eq "dd bs=1" "8192" "$(key 900 memory_mb)"
printf '1024\n' | dd of="$A/memory_mb" bs=1 conv=notrunc status=none
expect_eq "dd over the old value without truncation" "1024" "$(key 900 memory_mb)"
: > "$A/memory_mb"
expect_eq ": > A changes nothing" "1024" "$(key 900 memory_mb)"
truncate -s 0 "$A/memory_mb"
expect_eq "truncate -s0 changes nothing" "1024" "$(key 900 memory_mb)"
echo 4 | tee "$A/cores" >/dev/null
expect_eq "tee" "4" "$(key 900 cores)"
/usr/bin/python3 -c "
with open('$A/swap_mb', 'w') as f:
    f.write('256\n')"
expect_eq "python open().write()" "256" "$(key 900 swap_mb)"
echo Web-1 > "$A/name"
expect_eq "hostname" '"Web-1"' "$(key 900 name)"
echo 901 > "$MNT/950/clone_from"
expect_eq "clone_from stays a string" '"901"' "$(key 950 clone_from_ctid)"
sed -i 's/4/6/' "$A/cores"
expect_eq "sed -i" "6" "$(key 900 cores)"
check_fails "sed -i with a bad value fails at the rename" "cannot rename" sed -i 's/6/x/' "$A/cores"
expect_eq "  value unchanged" "6" "$(key 900 cores)"
expect_eq "no scratch file left by sed" "" "$(ls -a "$A" | grep '^sed' || true)"
echo '"10.9.9.9/24"' > "$MNT/103/network_config/ip"
expect_eq "nested key" '"10.9.9.9/24"' "$(/usr/bin/python3 -c "import json; print(json.dumps(json.load(open('$CFG'))['lxc_configs']['103']['network_config']['ip']))")"
echo '{"name": "fresh", "memory_mb": 512, "kept": {"a": [1]}}' > "$MNT/950/config.json"
expect_eq "entry config.json replaces the entry" '"fresh"' "$(key 950 name)"
expect_eq "  with its new keys" '{"a": [1]}' "$(key 950 kept)"
check "unknown top-level keys survive every write" grep -q '"nvidia_driver_version": "580.76.05"' "$CFG"
check "unknown entry keys survive" grep -q '"gpu_assignment": "none"' "$CFG"
check "the file stays 4-space indented" grep -q '^    "lxc_configs": {' "$CFG"

# --- remove and re-create (install, mv from elsewhere, git checkout) ---
rm "$A/swap_mb"
expect_eq "rm removes the key" '"<absent>"' "$(key 900 swap_mb)"
check_fails "  and the file is gone" "No such file" cat "$A/swap_mb"
echo 128 > "$A/swap_mb"
expect_eq "creating it sets the key again" "128" "$(key 900 swap_mb)"
echo 2048 > "$W/v"
install -m 0644 "$W/v" "$A/memory_mb"
expect_eq "install -m" "2048" "$(key 900 memory_mb)"
cp "$W/v" "$W/v2"; echo 999 > "$W/v2"
mv "$W/v2" "$A/memory_mb"
expect_eq "mv from another filesystem" "999" "$(key 900 memory_mb)"
touch "$MNT/103/is_template"
expect_eq "touch is_template sets it" "true" "$(key 103 is_template)"
echo false > "$MNT/103/is_template"
expect_eq "false removes it (not a template on the backend)" '"<absent>"' "$(key 103 is_template)"
check "chmod is accepted" chmod 600 "$A/memory_mb"
expect_eq "  and the mode stays what phoenixfs serves" "644" "$(stat -c %a "$A/memory_mb")"
check "touch of an existing value" touch "$A/memory_mb"
check_fails "rename of a value is refused" "Operation not permitted" mv "$A/memory_mb" "$A/mem2"

# --- scratch files ---
echo hello > "$A/scratch.txt"
expect_eq "scratch files can be made and read" "hello" "$(cat "$A/scratch.txt")"
check "  they are listed" bash -c "ls -a '$A' | grep -qx scratch.txt"
check "  they never reach the config file" bash -c "! grep -q hello '$CFG'"
echo 4 > "$A/.t"; mv "$A/.t" "$A/cores"
expect_eq "rename of a scratch file commits it" "4" "$(key 900 cores)"
echo nope > "$A/.t"
check_fails "rename of a bad scratch value is refused" "cannot move" mv "$A/.t" "$A/cores"
check "  the scratch file stays for the tool to remove" test -e "$A/.t"
rm "$A/.t"

# --- directories ---
mkdir "$MNT/970"
expect_eq "mkdir adds an empty entry" "{}" "$(key 970 name | sed 's/"<absent>"/{}/')"
expect_eq "  absent" "absent" "$(cat "$MNT/970/status")"
echo 512 > "$MNT/970/memory_mb"
rmdir "$MNT/970"
expect_eq "rmdir removes the entry" '"<absent>"' "$(/usr/bin/python3 -c "import json; print(json.dumps(json.load(open('$CFG'))['lxc_configs'].get('970','<absent>')))")"
check_fails "rmdir of a clone source is refused" "Device or resource busy" rmdir "$MNT/900"
check_fails "mkdir of a non-CTID at the root" "Invalid argument" mkdir "$MNT/web"
check_fails "mkdir of an existing container" "File exists" mkdir "$MNT/900"
mkdir "$MNT/103/extra_obj"
check "mkdir inside an entry adds an object key" grep -q '"extra_obj": {}' "$CFG"
rmdir "$MNT/103/extra_obj"

phx_umount
phx_mount || exit 1
check_fails "scratch files vanish on unmount" "No such file" cat "$A/scratch.txt"
expect_eq "values survive a remount" "4" "$(cat "$A/cores")"
done_testing
