#!/bin/bash
# Who may change the tree (the mount runs as root, against pvesim):
# - without allow_other, another user cannot even stat the mount;
# - under every configuration the project ships (the options are read from
#   mountscripts/phoenixfs.default, phoenixfs.service.in and fstab.example
#   themselves), and with allow_other alone or with default_permissions,
#   nobody reads what the kernel lets it read but changes nothing: writes
#   of a value, ctl stop and destroy, config.json, mkdir, rmdir, mv, touch,
#   truncate, chmod are refused (EACCES/EPERM), the config file stays byte
#   for byte the same, and pvesim runs no task;
# - allow_write_user= and allow_write_group= (a supplementary group) grant
#   writing to the named ones only; root still writes.
set -u
. "$PHX_SOURCE/tests/integration/engine/lib.sh"
PVESIM_PORT_MIN=18600
PVESIM_PORT_MAX=18699
# nobody must traverse the work directory
chmod 755 "$ENG_WORK" "$ENG_MNT"
AS_NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
"${AS_NOBODY[@]}" true || bail "setpriv cannot switch to nobody"
MS="$PHX_SOURCE/mountscripts"

pvesim_start "$ENG_WORK/sim" 0 || bail "pvesim did not start"
eng_api_create 103 pve start || bail "cannot create 103"
eng_api_create 950 pve || bail "cannot create 950"
cat >"$ENG_CONFIG" <<JSON
{"lxc_configs": {
  "103": {"name": "running-one", "memory_mb": 1024, "cores": 2},
  "950": {"name": "stopped-one", "memory_mb": 512}
}}
JSON
chmod 644 "$ENG_CONFIG"

# fs_mount OPTS: phoenixfs -f -o OPTS CONFIG MNT as root (OPTS may be empty)
fs_mount() {
	"$PHX_BUILD/fs/phoenixfs" -f ${1:+-o "$1"} "$ENG_CONFIG" "$ENG_MNT" 2>>"$ENG_WORK/fs.log" &
	ENG_FS_PID=$!
	local deadline=$((SECONDS + 20))
	until mountpoint -q "$ENG_MNT"; do
		kill -0 "$ENG_FS_PID" 2>/dev/null || fail "phoenixfs exited"
		[ $SECONDS -lt $deadline ] || fail "mount did not come up"
		sleep 0.05
	done
}

# The options a shipped line hands phoenixfs, made to work here: the Proxmox
# settings point at pvesim, and what mount.fuse3 keeps for itself (_netdev,
# nofail, auto/noauto, user(s), x-systemd.*) is dropped as it does.
adapt() {
	local o out= pve=
	local IFS=,
	for o in $1; do
		case $o in
		pve_url=*|pve_token_file=*|pve_fingerprint=*|pve_cafile=*) pve=1 ;;
		_netdev|nofail|auto|noauto|user|users|defaults|x-*) ;;
		'') ;;
		*) out=${out:+$out,}$o ;;
		esac
	done
	[ -n "$pve" ] && out=${out:+$out,}pve_url=$PVESIM_URL,pve_token_file=$PVESIM_TOKEN_FILE,pve_fingerprint=$PVESIM_FINGERPRINT
	echo "$out"
}

# "-o a,b -o c" (systemd's split of PHOENIXFS_ARGS) -> "a,b,c"
words_to_opts() {
	local w next= out=
	for w in $1; do
		if [ -n "$next" ]; then out=${out:+$out,}$w; next=; continue; fi
		case $w in -o) next=1 ;; -o*) out=${out:+$out,}${w#-o} ;; esac
	done
	echo "$out"
}

CONFIGS=()
NAMES=()
add_config() { NAMES+=("$1"); CONFIGS+=("$(adapt "$2")"); }

v=$(sed -n 's/^PHOENIXFS_ARGS=//p' "$MS/phoenixfs.default" | tr -d '"')
[ -n "$v" ] || bail "no PHOENIXFS_ARGS in phoenixfs.default"
add_config "phoenixfs.default PHOENIXFS_ARGS" "$(words_to_opts "$v")"
v=$(sed -n 's/^Environment=PHOENIXFS_ARGS=//p' "$MS/phoenixfs.service.in")
add_config "phoenixfs.service default PHOENIXFS_ARGS" "$(words_to_opts "$v")"
n=0
# fstab lines, and the example lines in its comments ("#   /path mnt fuse.phoenixfs opts")
while read -r _ _ type opts _; do
	[ "$type" = fuse.phoenixfs ] || continue
	n=$((n + 1))
	add_config "fstab.example line $n" "$opts"
done < <(sed -n 's/^#\{0,1\} *\(\/[^ ]* \)/\1/p' "$MS/fstab.example")
[ $n -ge 2 ] || bail "fewer than 2 fuse.phoenixfs lines in fstab.example"
add_config "allow_other" "allow_other"
add_config "allow_other,default_permissions" "allow_other,default_permissions"

refused() { grep -qE "Permission denied|Operation not permitted" "$W/err"; }
# as_nobody DESC CMD: nobody runs CMD (a shell line); ok when it fails with
# EACCES or EPERM
nobody_refused() {
	local desc=$1 cmd=$2
	if "${AS_NOBODY[@]}" bash -c "$cmd" >"$W/out" 2>"$W/err"; then
		nok "$desc (succeeded)"
	elif refused; then
		ok "$desc"
	else
		nok "$desc (not EACCES/EPERM)"; sed 's/^/#   /' "$W/err"
	fi
}

# --- without allow_other: the kernel keeps everyone else out ---
fs_mount ""
check "root reads 103/memory_mb" cat "$ENG_MNT/103/memory_mb"
check_fails "nobody cannot stat the mount" "Permission denied" "${AS_NOBODY[@]}" stat "$ENG_MNT"
eng_umount

ct_status() { pvesim_api GET "/nodes/pve/lxc/$1/status/current" | jq -r '.data.status'; }
expect_eq "pvesim: 103 runs" running "$(ct_status 103)"
tasks_before=$(pvesim_api GET "/nodes/pve/tasks?source=all&limit=0" | jq '.data | length')

for i in "${!CONFIGS[@]}"; do
	opts=${CONFIGS[$i]}
	echo "# --- ${NAMES[$i]}: -o $opts ---"
	fs_mount "$opts"
	wait_for "${NAMES[$i]}: mounted, 103 known" 10 test -d "$ENG_MNT/103"
	cp "$ENG_CONFIG" "$W/before"
	M=$ENG_MNT
	nobody_refused "echo 64 > 103/memory_mb" "echo 64 > $M/103/memory_mb"
	nobody_refused "printf 64 > 103/memory_mb (dash)" "dash -c 'printf 64 > $M/103/memory_mb'"
	nobody_refused "echo stop > 103/ctl" "echo stop > $M/103/ctl"
	nobody_refused "echo destroy > 950/ctl" "echo destroy > $M/950/ctl"
	nobody_refused "echo '{\"lxc_configs\":{}}' > config.json" "echo '{\"lxc_configs\":{}}' > $M/config.json"
	nobody_refused "echo {} > 103/config.json" "echo '{}' > $M/103/config.json"
	nobody_refused "mkdir 990" "mkdir $M/990"
	nobody_refused "rmdir 950" "rmdir $M/950"
	nobody_refused "mv 103/name 103/name2" "mv $M/103/name $M/103/name2"
	nobody_refused "touch 103/memory_mb" "touch $M/103/memory_mb"
	nobody_refused "touch 103/newfile" "touch $M/103/newfile"
	nobody_refused "rm 103/cores" "rm -f $M/103/cores"
	nobody_refused "truncate -s 1 103/name" "truncate -s 1 $M/103/name"
	nobody_refused "chmod 600 103/name" "chmod 600 $M/103/name"
	check "${NAMES[$i]}: the config file is byte-identical" cmp "$W/before" "$ENG_CONFIG"
	check "${NAMES[$i]}: root still writes" sh -c "echo 1024 > '$M/103/memory_mb'"
	eng_umount
done

tasks_after=$(pvesim_api GET "/nodes/pve/tasks?source=all&limit=0" | jq '.data | length')
expect_eq "pvesim ran no task for nobody (no stop, no destroy)" "$tasks_before" "$tasks_after"
expect_eq "103 still runs on pvesim" running "$(ct_status 103)"
expect_eq "950 still exists on pvesim" stopped "$(ct_status 950)"

# --- granted writers ---
check_fails "an unknown user in allow_write_user is refused at mount" "no such user" \
	"$PHX_BUILD/fs/phoenixfs" -f -o allow_write_user=no-such-user-here "$ENG_CONFIG" "$ENG_MNT"
fs_mount "allow_other,allow_write_user=nobody,allow_write_group=4242"
check "a granted user (nobody, by name) writes memory_mb" \
	"${AS_NOBODY[@]}" bash -c "echo 2048 > '$ENG_MNT/103/memory_mb'"
expect_eq "  and it lands in the config file" 2048 "$(jq '.lxc_configs["103"].memory_mb' "$ENG_CONFIG")"
check "a member of a granted supplementary group (4242) writes cores" \
	setpriv --reuid=12345 --regid=12345 --groups=4242 bash -c "echo 3 > '$ENG_MNT/103/cores'"
expect_eq "  and it lands in the config file" 3 "$(jq '.lxc_configs["103"].cores' "$ENG_CONFIG")"
cp "$ENG_CONFIG" "$W/before"
if setpriv --reuid=12345 --regid=12345 --groups=4243 bash -c "echo 5 > '$ENG_MNT/103/cores'" 2>"$W/err"; then
	nok "another user, not in the group, is refused (succeeded)"
else
	refused && ok "another user, not in the group, is refused" || nok "another user: not EACCES"
fi
check "  and the config file is byte-identical" cmp "$W/before" "$ENG_CONFIG"
eng_umount
fs_mount "allow_other,allow_write_user=65534"
check "a granted user (nobody, by uid) makes a container" "${AS_NOBODY[@]}" mkdir "$ENG_MNT/990"
check "  and removes it" "${AS_NOBODY[@]}" rmdir "$ENG_MNT/990"
eng_umount
done_testing
