#!/bin/bash
# FUSE permission conventions (the mount runs as root, offline):
# - without allow_other, another user cannot even stat the mount;
# - with -o allow_other,default_permissions another user (nobody) reads the
#   values, but cannot write a 0644 value it does not own, nor ctl (0200),
#   nor create or remove a container; root still can; a refused write
#   leaves the config file byte for byte unchanged.
. "$(dirname "$0")/../lib.sh"
phx_setup permissions
# the work dir must be traversable by nobody for the allow_other part
chmod 755 "$W" "$MNT"
AS_NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
"${AS_NOBODY[@]}" true || { echo "Bail out! setpriv cannot switch to nobody"; exit 1; }

# --- without allow_other ---
phx_mount || exit 1
check "root reads 103/memory_mb" cat "$MNT/103/memory_mb"
check_fails "nobody cannot stat the mount" "Permission denied" "${AS_NOBODY[@]}" stat "$MNT"
check_fails "nobody cannot list it" "Permission denied" "${AS_NOBODY[@]}" ls "$MNT"
check_fails "nobody cannot read a value" "Permission denied" "${AS_NOBODY[@]}" cat "$MNT/103/memory_mb"
phx_umount

# --- with allow_other,default_permissions ---
phx_mount -o allow_other,default_permissions || exit 1
check "nobody can stat the mount" "${AS_NOBODY[@]}" stat "$MNT"
check "nobody can list a container" "${AS_NOBODY[@]}" ls "$MNT/103"
want=$(cat "$MNT/103/memory_mb")
expect_eq "nobody reads the same value as root" "$want" "$("${AS_NOBODY[@]}" cat "$MNT/103/memory_mb")"
check "nobody reads config.json" "${AS_NOBODY[@]}" cat "$MNT/config.json"
expect_eq "memory_mb is 0644 root" "-rw-r--r-- 0" "$(stat -c '%A %u' "$MNT/103/memory_mb")"
expect_eq "ctl is 0200 root" "--w------- 0" "$(stat -c '%A %u' "$MNT/103/ctl")"
cp "$CFG" "$W/before"
check_fails "nobody cannot write memory_mb" "Permission denied" \
	"${AS_NOBODY[@]}" sh -c "echo 4096 > '$MNT/103/memory_mb'"
check_fails "nobody cannot write ctl" "Permission denied" \
	"${AS_NOBODY[@]}" sh -c "echo start > '$MNT/103/ctl'"
check_fails "nobody cannot truncate a value" "Permission denied" \
	"${AS_NOBODY[@]}" truncate -s 0 "$MNT/103/name"
check_fails "nobody cannot rename a scratch file over a value" "Permission denied" \
	"${AS_NOBODY[@]}" sh -c "echo 1 > '$MNT/103/.x' && mv '$MNT/103/.x' '$MNT/103/cores'"
check_fails "nobody cannot mkdir a container" "Permission denied" \
	"${AS_NOBODY[@]}" mkdir "$MNT/990"
check_fails "nobody cannot remove a container" "Permission denied" \
	"${AS_NOBODY[@]}" rmdir "$MNT/103"
check "the config file is unchanged by nobody's tries" cmp "$W/before" "$CFG"
expect_eq "memory_mb still reads its value" "$want" "$(cat "$MNT/103/memory_mb")"
check "root still writes memory_mb" sh -c "echo 4096 > '$MNT/103/memory_mb'"
expect_eq "  and it lands in the config file" 4096 "$(jq '.lxc_configs["103"].memory_mb' "$CFG")"
expect_eq "  and nobody sees it" 4096 "$("${AS_NOBODY[@]}" cat "$MNT/103/memory_mb")"
check "root still writes ctl (offline: accepted, the build fails)" sh -c "echo create > '$MNT/103/ctl'"
check "root can mkdir a container" mkdir "$MNT/990"
phx_umount
done_testing
