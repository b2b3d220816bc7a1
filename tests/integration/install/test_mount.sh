#!/bin/bash
# mount -t fuse.phoenixfs CONFIG MNT -o ... (and an fstab line) mounts the
# sample config offline, the way /etc/fstab and mount(8) do it at boot.
#
# mount(8) hands fuse.* types to mount.fuse3, which runs
# "phoenixfs CONFIG MNT -o OPTIONS" through /bin/sh. mount(8) clears PATH for
# its helpers, so the shell finds phoenixfs only in its default path
# (/usr/local/sbin first). The test therefore runs in a private mount
# namespace where a directory holding the built phoenixfs is bound over
# /usr/local/sbin, and a tmpfs over /run/mount keeps mount(8)'s utab private:
# nothing of it is visible outside, and it all goes away with the test.
if [ "$(id -u)" != 0 ] || ! unshare -m --propagation private true 2>/dev/null; then
	echo "1..0 # SKIP needs root and mount namespaces (unshare -m)"
	exit 0
fi
if [ -z "${PHX_IN_MOUNT_NS:-}" ]; then
	PHX_IN_MOUNT_NS=1 exec unshare -m --propagation private "$0" "$@"
fi

. "$(dirname "$0")/../lib.sh"
phx_setup mount

mkdir -p "$W/sbin"
ln -s "$(readlink -f "$PHOENIXFS")" "$W/sbin/phoenixfs"
mount --bind "$W/sbin" /usr/local/sbin
mount -t tmpfs phx-utab /run/mount

# The daemonized phoenixfs serving MNT (it is not our child: mount.fuse3
# started it and it forked): found by its arguments, for cleanup by id.
daemon_pid() {
	local p args
	for p in /proc/[0-9]*; do
		args=$(tr '\0' '\n' 2>/dev/null <"$p/cmdline") || continue
		if [ "$(basename "${args%%$'\n'*}")" = phoenixfs ] &&
		   grep -qxF -- "$MNT" <<<"$args"; then
			echo "${p#/proc/}"; return 0
		fi
	done
	return 1
}
mounts_on_mnt() { awk -v m="$MNT" '$5 == m' /proc/self/mountinfo | wc -l; }
gone() { ! kill -0 "$1" 2>/dev/null; }

# --- mount -t fuse.phoenixfs, with what fstab and mount(8) pass along -------
check "mount -t fuse.phoenixfs CONFIG MNT -o ... succeeds" \
	mount -t fuse.phoenixfs "$CFG" "$MNT" -o refresh=3,jobs=2,_netdev,nofail,noatime,nosuid,nodev
PHX_PID=$(daemon_pid)
check "MNT is a mount point" mountpoint -q "$MNT"
expect_eq "findmnt shows the config file as source and fuse.phoenixfs as type" \
	"$CFG fuse.phoenixfs" "$(findmnt -n -o SOURCE,FSTYPE --mountpoint "$MNT" | awk '{print $1, $2}')"
check "the sample config is served (103 absent)" grep -qx "103 absent Step-CA" "$MNT/status"
check "a write goes to the config file" sh -c "echo 4096 > '$MNT/103/memory_mb'"
expect_eq "the config file holds the written value" 4096 \
	"$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["lxc_configs"]["103"]["memory_mb"])' "$CFG")"
echo 900 >"$MNT/103/clone_from"
check_fails "offline, wait on a build fails (EIO)" "Input/output error" cat "$MNT/103/wait"
check "offline, status says no backend configured" grep -q "failed: no backend configured" "$MNT/103/status"
check "umount MNT" umount "$MNT"
check "MNT is no longer a mount point" sh -c "! mountpoint -q '$MNT'"
if [ -n "$PHX_PID" ]; then
	wait_for "phoenixfs exits after umount" 10 gone "$PHX_PID"
else
	nok "the phoenixfs daemon was found"
fi
PHX_PID=

# --- an fstab line, mounted twice with mount -a --------------------------------
cat >"$W/fstab" <<FSTAB
$CFG $MNT fuse.phoenixfs refresh=3,_netdev,nofail,x-systemd.automount 0 0
FSTAB
check "mount MNT from an fstab line (_netdev, nofail, x-systemd.automount)" mount -T "$W/fstab" "$MNT"
PHX_PID=$(daemon_pid)
check "mount -a after it succeeds" mount -a -T "$W/fstab"
expect_eq "mount -a does not stack a second phoenixfs on MNT" 1 "$(mounts_on_mnt)"
check "the tree is there" test -f "$MNT/103/memory_mb"
check "umount MNT" umount "$MNT"
[ -n "$PHX_PID" ] && wait_for "phoenixfs exits after umount" 10 gone "$PHX_PID"
PHX_PID=

# --- refusals reach the user through mount(8) ------------------------------------
check_fails "pve_url must be https" "served over https://" \
	mount -t fuse.phoenixfs "$CFG" "$MNT" -o pve_url=http://127.0.0.1:9,pve_token_file=/nonexistent
check_fails "pve_url needs pve_token_file" "pve_url needs pve_token_file" \
	mount -t fuse.phoenixfs "$CFG" "$MNT" -o pve_url=https://127.0.0.1:9
echo 'root@pam!phoenixfs=00000000-0000-0000-0000-000000000000' >"$W/token"
chmod 0644 "$W/token"
check_fails "a token file readable by others is refused" "has mode 0644" \
	mount -t fuse.phoenixfs "$CFG" "$MNT" -o pve_url=https://127.0.0.1:9,pve_token_file="$W/token"
check_fails "a config in a missing directory is refused" "the directory of the config file" \
	mount -t fuse.phoenixfs "$W/no/such/dir/c.json" "$MNT"
expect_eq "nothing is left mounted on MNT" 0 "$(mounts_on_mnt)"

done_testing
