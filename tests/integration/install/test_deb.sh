#!/bin/bash
# The Debian packages, the way an administrator of a Proxmox VE host uses
# them (README "Mounting against a real Proxmox VE host"):
#   mountscripts/build-deb builds phoenixfs_*.deb and pvesim_*.deb; lintian
#   finds no error in them; apt-get install ./phoenixfs_*.deb installs
#   without enabling or starting anything and without touching /etc; mount -t
#   fuse.phoenixfs and the unit's command line mount against pvesim (from its
#   package); an upgrade to a rebuilt package with a higher version while
#   mounted leaves the mount working on the old binary, the next mount runs
#   the new one and finishes the work accepted before; a purge leaves
#   nothing but what the administrator wrote.
#
# It installs packages on this machine, so it runs only as root, only when
# neither package is installed already (it would replace them), and purges
# them on every exit path. It runs in a private mount namespace where empty
# directories hide /usr/local/sbin and /usr/local/bin: mount(8) runs
# phoenixfs through /bin/sh's default PATH, where a `meson install` to
# /usr/local would come first and shadow the packaged /usr/sbin/phoenixfs.
# A tmpfs over /run/mount keeps mount(8)'s utab private. Nothing is removed
# from /usr/local.
if [ "$(id -u)" != 0 ] || ! unshare -m --propagation private true 2>/dev/null; then
	echo "1..0 # SKIP needs root and mount namespaces (unshare -m)"
	exit 0
fi
for p in phoenixfs pvesim; do
	if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		echo "1..0 # SKIP the $p package is installed on this machine"
		exit 0
	fi
done
if [ -z "${PHX_IN_MOUNT_NS:-}" ]; then
	PHX_IN_MOUNT_NS=1 exec unshare -m --propagation private "$0" "$@"
fi

. "$PHX_SOURCE/tests/integration/pvesim/lib.sh"
. "$PHX_SOURCE/tests/integration/lib.sh"
PVESIM_PORT_MIN=18700
PVESIM_PORT_MAX=18749
phx_setup deb
mount -t tmpfs phx-local-sbin /usr/local/sbin
mount -t tmpfs phx-local-bin /usr/local/bin
mount -t tmpfs phx-utab /run/mount

APT=(apt-get -y -qq -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0)
export DEBIAN_FRONTEND=noninteractive
DEFAULTS=/etc/default/phoenixfs
OURS_DEFAULTS=0
deb_cleanup() {
	phx_umount >/dev/null 2>&1
	[ -n "${PVESIM_PID:-}" ] && pvesim_stop >/dev/null 2>&1
	"${APT[@]}" purge phoenixfs pvesim >/dev/null 2>&1
	[ "$OURS_DEFAULTS" = 1 ] && rm -f "$DEFAULTS"
}
PHX_CLEANUP=deb_cleanup

# The daemonized phoenixfs serving MNT (mount.fuse3 started it; it is not
# our child), found by its arguments.
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
gone() { ! kill -0 "$1" 2>/dev/null; }
status_is() { [ "$(cat "$MNT/$1/status" 2>/dev/null)" = "$2" ]; }
# the binary a process runs: its inode, and whether it was replaced
exe_of() { stat -L -c %i "/proc/$1/exe"; }

# --- build, lint ----------------------------------------------------------------
BASE=$(meson introspect --projectinfo "$PHX_BUILD" |
	/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
V1=$BASE+deb1 V2=$BASE+deb2
export PHX_DEB_BUILD=${PHX_DEB_BUILD:-$PHX_BUILD/deb-build}
check "build-deb builds phoenixfs and pvesim $V1" \
	env PHX_DEB_VERSION="$V1" "$PHX_SOURCE/mountscripts/build-deb" all "$W/v1"
DEB1=$W/v1/phoenixfs_${V1}_$(dpkg --print-architecture).deb
SIM1=$W/v1/pvesim_${V1}_$(dpkg --print-architecture).deb
check "phoenixfs_${V1}_*.deb is there" test -s "$DEB1"
check "pvesim_${V1}_*.deb is there" test -s "$SIM1"
check "lintian: no errors in either package" lintian --fail-on error "$DEB1" "$SIM1"
dpkg-deb -f "$DEB1" Depends >"$W/depends"
check "phoenixfs depends on fuse3" grep -qE '(^|, )fuse3(,|$| )' "$W/depends"
check "phoenixfs's dependencies are computed from the binary by dpkg-shlibdeps (libfuse3, json-c, curl)" \
	sh -c "grep -q libfuse3 '$W/depends' && grep -q libjson-c '$W/depends' && grep -q libcurl '$W/depends'"
dpkg-deb -c "$DEB1" | awk '{print $6}' | sed 's|^\./|/|' >"$W/contents"
for f in /usr/sbin/phoenixfs /usr/share/man/man8/phoenixfs.8.gz \
         /usr/share/doc/phoenixfs/examples/fstab.example \
         /usr/share/doc/phoenixfs/examples/phoenixfs.default; do
	check "phoenixfs ships $f" grep -qxF "$f" "$W/contents"
done
check "phoenixfs ships the systemd unit" grep -qE '^(/usr)?/lib/systemd/system/phoenixfs.service$' "$W/contents"
check "phoenixfs ships nothing in /etc (no conffiles)" sh -c "! grep -q '^/etc/' '$W/contents'"
check "pvesim ships /usr/bin/pvesim" sh -c "dpkg-deb -c '$SIM1' | grep -q ' ./usr/bin/pvesim$'"
# the maintainer scripts only reload systemd
dpkg-deb -e "$DEB1" "$W/control1"
check "the maintainer scripts never enable, start, stop or restart a unit" \
	sh -c "! grep -hE 'systemctl.*(enable|start|stop|restart)|deb-systemd-invoke|invoke-rc.d' '$W'/control1/*"

# --- install ---------------------------------------------------------------------
# what the administrator wrote before installing: settings for the service
if [ ! -e "$DEFAULTS" ]; then
	echo "# the administrator's settings" >"$DEFAULTS"
	OURS_DEFAULTS=1
fi
before_defaults=$(sha256sum <"$DEFAULTS")
check "apt-get install ./phoenixfs_$V1.deb ./pvesim_$V1.deb" "${APT[@]}" install "$DEB1" "$SIM1"
check "/usr/sbin/phoenixfs is installed" test -x /usr/sbin/phoenixfs
check "man finds phoenixfs(8)" sh -c "man -w 8 phoenixfs | grep -q /usr/share/man/man8/phoenixfs.8.gz"
expect_eq "the administrator's $DEFAULTS is untouched" "$before_defaults" "$(sha256sum <"$DEFAULTS")"
if [ -d /run/systemd/system ]; then
	expect_eq "the unit is not enabled" disabled "$(systemctl is-enabled phoenixfs.service 2>/dev/null)"
	expect_eq "the unit is not started" inactive "$(systemctl is-active phoenixfs.service 2>/dev/null)"
fi

# --- mount through mount(8) against pvesim from its package --------------------
PVESIM_BIN=/usr/bin/pvesim
# tasks long enough (5 tasks x 6 s) that the build below is still under way
# after the upgrade, even on a loaded machine
pvesim_start "$W/sim" 0 --task-ms 6000 || { nok "pvesim from its package starts"; done_testing; exit 1; }
ok "pvesim from its package starts"
OSTMPL=local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst
cat >"$CFG" <<JSON
{"lxc_configs": {
  "900": {"name": "base", "is_template": true, "memory_mb": 512, "storage_pool": "local-lvm",
          "storage_size_gb": 4, "template": "$OSTMPL"},
  "960": {"name": "web1", "memory_mb": 1024, "cores": 2,
          "network_config": {"name": "eth0", "bridge": "vmbr0", "ip": "10.0.0.60/24", "gw": "10.0.0.1"}}
}}
JSON
OPTS="pve_url=$PVESIM_URL,pve_token_file=$PVESIM_TOKEN_FILE,pve_fingerprint=$PVESIM_FINGERPRINT,refresh=1,jobs=2"
check "mount -t fuse.phoenixfs CFG MNT -o pve_url=...,_netdev" \
	mount -t fuse.phoenixfs "$CFG" "$MNT" -o "$OPTS,_netdev,nofail"
PID1=$(daemon_pid)
check "the mount runs the packaged /usr/sbin/phoenixfs" \
	sh -c "[ '$(readlink "/proc/$PID1/exe" 2>/dev/null)' = /usr/sbin/phoenixfs ]"
check "the mount serves pvesim's view" grep -qx "960 absent web1" "$MNT/status"
check "echo 900 > 960/clone_from is accepted" sh -c "echo 900 > '$MNT/960/clone_from'"
wait_for "900 is being created" 20 sh -c "grep -q '^creating' '$MNT/900/status'"

# --- upgrade while mounted --------------------------------------------------------
check "build-deb builds $V2" env PHX_DEB_VERSION="$V2" "$PHX_SOURCE/mountscripts/build-deb" phoenixfs "$W/v2"
DEB2=$W/v2/phoenixfs_${V2}_$(dpkg --print-architecture).deb
old_exe=$(exe_of "$PID1")
check "apt-get install ./phoenixfs_$V2.deb while mounted" "${APT[@]}" install "$DEB2"
expect_eq "phoenixfs $V2 is installed" "$V2" "$(dpkg-query -W -f='${Version}' phoenixfs)"
check "the mount is still there" mountpoint -q "$MNT"
check "the running mount kept its binary" sh -c "[ '$(exe_of "$PID1")' = '$old_exe' ]"
check "/usr/sbin/phoenixfs is a new file" sh -c "[ \"\$(stat -c %i /usr/sbin/phoenixfs)\" != '$old_exe' ]"
check "the mount still answers" grep -q "^960 " "$MNT/status"
check "the mount still takes writes" sh -c "echo 2048 > '$MNT/960/memory_mb'"
expect_eq "the administrator's $DEFAULTS is untouched by the upgrade" "$before_defaults" "$(sha256sum <"$DEFAULTS")"
# the build is not over: its accepted work is in the journal beside the file
JOURNALS=$W/.$(basename "$CFG").phoenixfs-journal@ # one per mount: host and mount point
check "the journal holds accepted work" \
	sh -c "[ \"\$(jq -s 'map(.pending[]) | length' '$JOURNALS'*[0-9a-f])\" -gt 0 ]"
check "960 is not built yet" sh -c "! grep -qx '960 running web1' '$MNT/status'"
check "umount while the build is under way" umount "$MNT"
wait_for "the old phoenixfs exits" 30 gone "$PID1"

# --- the next mount runs the new binary and finishes the accepted work ----------
check "mount again" mount -t fuse.phoenixfs "$CFG" "$MNT" -o "$OPTS"
PID2=$(daemon_pid)
check "the new mount runs the upgraded binary" \
	sh -c "[ '$(exe_of "$PID2")' = \"\$(stat -c %i /usr/sbin/phoenixfs)\" ]"
check "960 settles (timeout 120 cat 960/wait)" timeout 120 cat "$MNT/960/wait"
expect_eq "960 is running" running "$(cat "$W/out")"
expect_eq "900 is a template" template "$(cat "$MNT/900/status")"
expect_eq "900 was created once" 1 \
	"$(pvesim_api GET "/nodes/pve/tasks?typefilter=vzcreate&source=all&limit=0&vmid=900" | jq '.data | length')"
expect_eq "960 was cloned once" 1 \
	"$(pvesim_api GET "/nodes/pve/tasks?typefilter=vzclone&source=all&limit=0" | jq '.data | length')"
expect_eq "960 has the memory written during the upgrade" 2048 \
	"$(pvesim_api GET /nodes/pve/lxc/960/config | jq -r .data.memory)"
check "umount" umount "$MNT"
wait_for "phoenixfs exits" 30 gone "$PID2"

# --- the unit's command line ------------------------------------------------------
UNIT=$(dpkg -L phoenixfs | grep '/systemd/system/phoenixfs.service$')
exec_start=$(sed -n 's/^ExecStart=//p' "$UNIT")
expect_eq "the unit runs /usr/sbin/phoenixfs -f" "/usr/sbin/phoenixfs -f" "$(echo "$exec_start" | cut -d' ' -f1-2)"
# systemd's expansion: $ARGS split into words, ${VAR} as one word
PHOENIXFS_ARGS="-o $OPTS" PHOENIXFS_CONFIG=$CFG PHOENIXFS_MOUNTPOINT=$MNT
eval "set -- $(echo "$exec_start" | sed 's/\${PHOENIXFS_CONFIG}/"$PHOENIXFS_CONFIG"/; s/\${PHOENIXFS_MOUNTPOINT}/"$PHOENIXFS_MOUNTPOINT"/')"
"$@" >"$W/unit.log" 2>&1 &
PHX_PID=$!
wait_for "the unit's command line mounts" 20 mountpoint -q "$MNT"
# the first listing after a mount may still be on its way: wait for it
wait_for "it serves the finished work" 20 grep -qx "960 running web1" "$MNT/status"
phx_umount

# --- purge -----------------------------------------------------------------------
dpkg -L phoenixfs pvesim 2>/dev/null | sort -u >"$W/files"
check "apt-get purge phoenixfs pvesim" "${APT[@]}" purge phoenixfs pvesim
left=0
while IFS= read -r f; do
	# directories shared with other packages (/usr, /usr/sbin, ...) stay
	[ -e "$f" ] && [ ! -d "$f" ] && { echo "#   left behind: $f"; left=$((left + 1)); }
	[ -d "$f" ] && case $f in */phoenixfs | */pvesim | */examples) echo "#   left behind: $f/"; left=$((left + 1)) ;; esac
done <"$W/files"
expect_eq "the purge leaves no file of either package" 0 "$left"
check "dpkg has forgotten phoenixfs" sh -c "! dpkg-query -W -f='\${Status}' phoenixfs 2>/dev/null | grep -q installed"
expect_eq "the administrator's $DEFAULTS is still there, untouched" "$before_defaults" "$(sha256sum <"$DEFAULTS")"
check "the administrator's config file is still there" /usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$CFG"

done_testing
