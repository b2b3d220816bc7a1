#!/bin/bash
# A save that fails reaches the writer's write(2), so that bash and dash,
# which ignore close(2), exit non-zero (issue 15.4, issue 13 item 4):
# (a) the config on a full small tmpfs: ENOSPC;
# (b) the config on a read-only bind mount: EROFS;
# (c) the config locked (flock) by another program past the 10 s wait:
#     EAGAIN;
# (d) a letter in an integer attribute without a newline (printf abc):
#     EINVAL, in bash and dash;
# (e) a save past a file-size limit (pmxcfs refuses a file past 1 MiB with
#     EFBIG; here RLIMIT_FSIZE set on the running daemon with prlimit):
#     EFBIG, and the daemon lives on (SIGXFSZ killed it before).
# Each time the config file is byte-identical afterwards, the value reads
# as before and `error` says why; a good value then lands.
. "$(dirname "$0")/../lib.sh"
phx_setup save_errors
SRC=$PHX_SOURCE/tests/data/phoenix_lxc_configs.json
mnts=()
umount_all() {
	local m
	for m in "${mnts[@]}"; do umount -l "$m" 2>/dev/null; done
	[ -n "${LOCKER:-}" ] && kill "$LOCKER" 2>/dev/null
	return 0
}
trap 'rc=$?; phx_umount; umount_all; (exit $rc); _phx_cleanup' EXIT
value() { jq ".lxc_configs[\"103\"].$1" "$CFG"; }
# refused DESC ERRTEXT SHELL-LINE: run by bash and by dash
# (dash names every failed write "I/O error"; what matters is its status)
refused_in() {
	local sh=$1 desc=$2 text=$3 line=$4
	[ "$sh" = dash ] && text="I/O error"
	cp "$CFG" "$W/before"
	check_fails "$sh: $desc: exits non-zero" "$text" "$sh" -c "$line"
	check "$sh:   the config file is byte-identical" cmp "$W/before" "$CFG"
	expect_eq "$sh:   memory_mb reads as before" "$(jq '.lxc_configs["103"].memory_mb' "$W/before")" \
		"$(cat "$MNT/103/memory_mb")"
}

# ---------- (a) full tmpfs ----------
mkdir "$W/small"
mount -t tmpfs -o size=64k tmpfs "$W/small" || { echo "Bail out! cannot mount a tmpfs"; exit 1; }
mnts+=("$W/small")
CFG=$W/small/phoenix_lxc_configs.json
cp "$SRC" "$CFG"
phx_mount || exit 1
# fill what is left: no room for the temporary file of a save
dd if=/dev/zero of="$W/small/filler" bs=1k count=100 status=none 2>/dev/null
check "the tmpfs is full" sh -c "! echo x > '$W/small/probe' 2>/dev/null"
rm -f "$W/small/probe"
for sh in bash dash; do
	refused_in $sh "echo 4096 > memory_mb on a full disk" "No space left on device" \
		"echo 4096 > '$MNT/103/memory_mb'"
done
check "  error says so" grep -q "No space left on device" "$MNT/103/error"
rm "$W/small/filler"
check "with room again, echo 4096 lands" bash -c "echo 4096 > '$MNT/103/memory_mb'"
expect_eq "  in the file" 4096 "$(value memory_mb)"
phx_umount

# ---------- (b) read-only bind mount ----------
mkdir -p "$W/rw" "$W/ro"
cp "$SRC" "$W/rw/phoenix_lxc_configs.json"
mount --bind "$W/rw" "$W/ro" && mnts=("$W/ro" "${mnts[@]}") &&
	mount -o remount,bind,ro "$W/ro" || { echo "Bail out! cannot make a read-only bind mount"; exit 1; }
CFG=$W/ro/phoenix_lxc_configs.json
phx_mount || exit 1
for sh in bash dash; do
	refused_in $sh "echo 4096 > memory_mb on a read-only filesystem" "Read-only file system" \
		"echo 4096 > '$MNT/103/memory_mb'"
done
check "  error says so" grep -q "Read-only file system" "$MNT/103/error"
phx_umount

# ---------- (c) flock held past the wait ----------
CFG=$W/phoenix_lxc_configs.json
phx_mount || exit 1
/usr/bin/python3 -c 'import fcntl, sys, time
f = open(sys.argv[1]); fcntl.flock(f, fcntl.LOCK_EX); time.sleep(60)' "$CFG" &
LOCKER=$!
wait_for "another program holds the lock" 5 sh -c "! flock -xn '$CFG' true"
t0=$SECONDS
refused_in bash "echo 4096 > memory_mb while the file is locked" "Resource temporarily unavailable" \
	"echo 4096 > '$MNT/103/memory_mb'"
echo "#   refused after $((SECONDS - t0)) s"
check "  error names the lock" grep -q "locked by another program" "$MNT/103/error"
kill "$LOCKER"; wait "$LOCKER" 2>/dev/null; LOCKER=
check "lock released: echo 4096 lands" bash -c "echo 4096 > '$MNT/103/memory_mb'"
expect_eq "  in the file" 4096 "$(value memory_mb)"

# ---------- (d) bytes no integer can hold, without a newline ----------
for sh in bash dash; do
	refused_in $sh "printf abc > memory_mb" "Invalid argument" "printf abc > '$MNT/103/memory_mb'"
	refused_in $sh "printf 12x > memory_mb" "Invalid argument" "printf 12x > '$MNT/103/memory_mb'"
	refused_in $sh "printf -- -5 > cores" "Invalid argument" "printf -- -5 > '$MNT/103/cores'"
done
check "  error names the value" grep -qF "'-5'" "$MNT/103/error"
check "printf 2048 (no newline) still lands at close" bash -c "printf 2048 > '$MNT/103/memory_mb'"
expect_eq "  in the file" 2048 "$(value memory_mb)"
check "printf ' 1024 ' (white space around) lands" bash -c "printf ' 1024 ' > '$MNT/103/memory_mb'"
expect_eq "  in the file" 1024 "$(value memory_mb)"

# ---------- (e) a save past a file-size limit ----------
size=$(stat -c %s "$CFG")
check "a file-size limit of the config's size + 4 bytes on the daemon" \
	prlimit --pid "$PHX_PID" --fsize=$((size + 4)):$((size + 4))
refused_in bash "a longer name (the save grows past the limit)" "File too large" \
	"echo a-much-longer-hostname-than-before > '$MNT/103/name'"
check "  the daemon lives on" kill -0 "$PHX_PID"
check "  error says the save was too large" grep -q "File too large" "$MNT/103/error"
check "a change of the same size still lands" bash -c "echo 2048 > '$MNT/103/memory_mb'"
expect_eq "  in the file" 2048 "$(value memory_mb)"
phx_umount
done_testing
