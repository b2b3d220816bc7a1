# Helpers for the engine's mount-level tests: pvesim plus a phoenixfs mount
# under $PHX_BUILD/mnt-engine-*, unmounted (and pvesim stopped) on every
# exit path. The TAP helpers of tests/integration/lib.sh (ok, nok, check,
# check_fails, expect_eq, wait_for, done_testing) work here, with $W set
# to the work directory.
#
#   eng_mount [OPTS]       mount against the running pvesim (refresh=1,
#                          jobs=4, OPTS appended); $ENG_FS_PID
#   eng_umount             unmount (lazily if busy) and reap phoenixfs
#   eng_kill9              kill -9 phoenixfs and clean the dead mount
#   bail MSG               a precondition failed: "Bail out!", exit 1
#   eng_status CTID        the status line
#   status_is CTID LINE    true when the status line is exactly LINE
#   status_like CTID GLOB  true when the status line matches GLOB
#   eng_guest_count        LXC guests pvesim lists
#   eng_tasks NODE TYPE [VMID]
#                          how many tasks of TYPE (vzcreate, vzclone, ...)
#                          NODE has run, optionally for VMID only
#   eng_api_create VMID [NODE [start]]
#                          create a container directly through the API (as
#                          another tool would), optionally started
. "$PHX_SOURCE/tests/integration/pvesim/lib.sh"
. "$PHX_SOURCE/tests/integration/lib.sh"

PVESIM_PORT_MIN=18500
PVESIM_PORT_MAX=18599

ENG_WORK=$(mktemp -d "$PHX_BUILD/mnt-engine-XXXXXX")
ENG_MNT=$ENG_WORK/mnt
ENG_CONFIG=$ENG_WORK/phoenix_lxc_configs.json
ENG_FS_PID=
W=$ENG_WORK
OSTMPL=local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst
mkdir -p "$ENG_MNT"

# mounted, even when its daemon died (mountpoint(1) fails on ENOTCONN)
eng_mounted() { grep -q " $ENG_MNT fuse" /proc/mounts; }

eng_umount() {
	if eng_mounted; then
		fusermount3 -u "$ENG_MNT" 2>/dev/null || fusermount3 -uz "$ENG_MNT"
	fi
	if [ -n "$ENG_FS_PID" ]; then
		local deadline=$((SECONDS + 15))
		while kill -0 "$ENG_FS_PID" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
			sleep 0.05
		done
		kill -9 "$ENG_FS_PID" 2>/dev/null
		wait "$ENG_FS_PID" 2>/dev/null
		ENG_FS_PID=
	fi
	return 0
}

eng_kill9() {
	kill -9 "$ENG_FS_PID" 2>/dev/null
	wait "$ENG_FS_PID" 2>/dev/null
	ENG_FS_PID=
	fusermount3 -uz "$ENG_MNT" 2>/dev/null
	return 0
}

eng_cleanup() {
	local rc=$?
	# background readers of the mount started by a test
	for p in $(jobs -p); do
		[ "$p" = "$ENG_FS_PID" ] || [ "$p" = "${PVESIM_PID:-}" ] || kill "$p" 2>/dev/null
	done
	eng_umount
	[ -n "${PVESIM_PID:-}" ] && pvesim_stop
	# ENG_LOGDIR=DIR keeps phoenixfs's log (sanitizer reports end up there)
	if [ -n "${ENG_LOGDIR:-}" ] && [ -f "$ENG_WORK/fs.log" ]; then
		cp "$ENG_WORK/fs.log" "$ENG_LOGDIR/$(basename "$0" .sh).fs.log"
	fi
	if [ $rc != 0 ] && [ "${ENG_KEEP:-0}" != 0 ]; then
		echo "# kept $ENG_WORK" >&2
	else
		rm -rf "$ENG_WORK"
	fi
	exit $rc
}
trap eng_cleanup EXIT
trap 'exit 130' INT TERM

fail() {
	echo "FAIL: $*" >&2
	[ -f "$ENG_WORK/fs.log" ] && tail -30 "$ENG_WORK/fs.log" >&2
	exit 1
}

bail() {
	echo "Bail out! $*"
	[ -f "$ENG_WORK/fs.log" ] && tail -30 "$ENG_WORK/fs.log" | sed 's/^/# /'
	exit 1
}

# eng_mount [extra -o options]: mount against the running pvesim.
eng_mount() {
	local opts="config=$ENG_CONFIG,pve_url=$PVESIM_URL,pve_token_file=$PVESIM_TOKEN_FILE"
	opts="$opts,pve_fingerprint=$PVESIM_FINGERPRINT,refresh=1,jobs=4${1:+,$1}"
	"$PHX_BUILD/fs/phoenixfs" -f -o "$opts" "$ENG_MNT" 2>>"$ENG_WORK/fs.log" &
	ENG_FS_PID=$!
	local deadline=$((SECONDS + 20))
	until mountpoint -q "$ENG_MNT"; do
		kill -0 "$ENG_FS_PID" 2>/dev/null || fail "phoenixfs exited"
		[ $SECONDS -lt $deadline ] || fail "mount did not come up"
		sleep 0.05
	done
}

eng_status() { cat "$ENG_MNT/$1/status"; }
status_is() { [ "$(cat "$ENG_MNT/$1/status" 2>/dev/null)" = "$2" ]; }
status_like() {
	local s
	s=$(cat "$ENG_MNT/$1/status" 2>/dev/null) || return 1
	# shellcheck disable=SC2053
	[[ $s == $2 ]]
}

# Number of LXC guests pvesim has.
eng_guest_count() {
	pvesim_api GET /cluster/resources | jq '[.data[] | select(.type == "lxc")] | length'
}

eng_tasks() {
	local node=$1 type=$2 vmid=${3:-} q
	q="typefilter=$type&source=all&limit=0${vmid:+&vmid=$vmid}"
	pvesim_api GET "/nodes/$node/tasks?$q" | jq '.data | length'
}

eng_api_create() {
	local vmid=$1 node=${2:-pve} start=${3:-} upid rc
	upid=$(pvesim_api POST "/nodes/$node/lxc" --data-urlencode "vmid=$vmid" \
		--data-urlencode "ostemplate=$OSTMPL" --data-urlencode "hostname=ct$vmid" \
		--data-urlencode "storage=local-lvm" | jq -r .data)
	case "$upid" in UPID:*) ;; *) echo "create $vmid: $upid" >&2; return 1 ;; esac
	rc=$(pvesim_wait_task "$upid") || return 1
	[ "$rc" = OK ] || { echo "create $vmid: $rc" >&2; return 1; }
	[ "$start" = start ] || return 0
	upid=$(pvesim_api POST "/nodes/$node/lxc/$vmid/status/start" | jq -r .data)
	rc=$(pvesim_wait_task "$upid") || return 1
	[ "$rc" = OK ] || { echo "start $vmid: $rc" >&2; return 1; }
}
