# Helpers for the engine's mount-level tests: pvesim plus a phoenixfs mount
# under $PHX_BUILD/mnt-engine-*, unmounted on every exit path.
. "$PHX_SOURCE/tests/integration/pvesim/lib.sh"

PVESIM_PORT_MIN=18200
PVESIM_PORT_MAX=18249

ENG_WORK=$(mktemp -d "$PHX_BUILD/mnt-engine-XXXXXX")
ENG_MNT=$ENG_WORK/mnt
ENG_CONFIG=$ENG_WORK/phoenix_lxc_configs.json
mkdir -p "$ENG_MNT"

eng_cleanup() {
	if mountpoint -q "$ENG_MNT" 2>/dev/null; then
		fusermount3 -u "$ENG_MNT" 2>/dev/null || fusermount3 -uz "$ENG_MNT"
	fi
	[ -n "${ENG_FS_PID:-}" ] && wait "$ENG_FS_PID" 2>/dev/null
	[ -n "${PVESIM_PID:-}" ] && pvesim_stop
	rm -rf "$ENG_WORK"
}
trap eng_cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*" >&2
	[ -f "$ENG_WORK/fs.log" ] && tail -30 "$ENG_WORK/fs.log" >&2
	exit 1
}

# eng_mount [extra -o options]: mount against the running pvesim.
eng_mount() {
	local opts="config=$ENG_CONFIG,pve_url=$PVESIM_URL,pve_token_file=$PVESIM_TOKEN_FILE"
	opts="$opts,pve_fingerprint=$PVESIM_FINGERPRINT,refresh=1,jobs=4${1:+,$1}"
	"$PHX_BUILD/fs/phoenixfs" -f -o "$opts" "$ENG_MNT" 2>"$ENG_WORK/fs.log" &
	ENG_FS_PID=$!
	local deadline=$((SECONDS + 20))
	until mountpoint -q "$ENG_MNT"; do
		kill -0 "$ENG_FS_PID" 2>/dev/null || fail "phoenixfs exited"
		[ $SECONDS -lt $deadline ] || fail "mount did not come up"
		sleep 0.05
	done
}

# Number of LXC guests pvesim has.
eng_guest_count() {
	pvesim_api GET /cluster/resources | jq '[.data[] | select(.type == "lxc")] | length'
}
