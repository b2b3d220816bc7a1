#!/bin/bash
# Each value file's mtime is when its value last changed, in nanoseconds:
# a changed value has a new mtime, the others keep theirs, whoever made the
# change (the mount or another program's edit of the file), so rsync's
# quick check (size and mtime) copies exactly what changed. The times are
# kept across a remount for entries nothing changed meanwhile; an entry
# edited while nothing was mounted takes the config file's time.
. "$(dirname "$0")/../lib.sh"
phx_setup mtime
touch -d '2026-01-02 03:04:05.123456789' "$CFG"
phx_mount || exit 1

mt() { stat -c %y "$MNT/$1"; }

expect_eq "a value not changed since the mount has the file's time" \
	"2026-01-02 03:04:05.123456789 +0000" "$(TZ=UTC stat -c %y "$MNT/900/cores")"
cores=$(mt 900/cores) net=$(mt 900/network_config/ip) mem=$(mt 900/memory_mb)
echo 4096 > "$MNT/900/memory_mb"   # 2048 before, the same size
check "memory_mb's mtime moved" test "$(mt 900/memory_mb)" != "$mem"
check "  to now, with nanoseconds" bash -c "[ \$(( \$(date +%s) - \$(stat -c %Y '$MNT/900/memory_mb') )) -le 5 ] &&
	! stat -c %y '$MNT/900/memory_mb' | grep -q '\.000000000 '"
expect_eq "cores kept its mtime" "$cores" "$(mt 900/cores)"
expect_eq "network_config/ip kept its mtime" "$net" "$(mt 900/network_config/ip)"
mem=$(mt 900/memory_mb)
echo 4096 > "$MNT/900/memory_mb"
expect_eq "writing the same value changes nothing, not even the mtime" "$mem" "$(mt 900/memory_mb)"
echo '"10.0.0.210/24"' > "$MNT/900/network_config/ip"
check "a key in network_config: its file's mtime moved" test "$(mt 900/network_config/ip)" != "$net"
expect_eq "  cores still kept its mtime" "$cores" "$(mt 900/cores)"

# rsync's quick check sees a same-size change
mkdir "$W/copy"
check "rsync -a of 900" rsync -a --exclude={ctl,wait,status,error,log,drift} "$MNT/900/" "$W/copy/"
# rsync compares mtimes to the second: change them in a later one
wait_for "the clock is past the second of the copy" 3 \
	bash -c "[ \$(date +%s) -gt \$(stat -c %Y '$MNT/900/memory_mb') ]"
echo 1024 > "$MNT/900/swap_mb"  # 512 before: one byte more
echo 8192 > "$MNT/900/memory_mb"  # the same size as 4096
check "rsync -a again (quick check)" rsync -a --exclude={ctl,wait,status,error,log,drift} "$MNT/900/" "$W/copy/"
expect_eq "  copied the same-size change" 8192 "$(cat "$W/copy/memory_mb")"
expect_eq "  and the other one" 1024 "$(cat "$W/copy/swap_mb")"

# another program's edit of the file
cores=$(mt 900/cores) mem=$(mt 900/memory_mb)
/usr/bin/python3 - "$CFG" <<'PY'
import json, os, sys
p = sys.argv[1]
d = json.load(open(p))
d["lxc_configs"]["900"]["cores"] = 7
open(p + ".tmp", "w").write(json.dumps(d, indent=4) + "\n")
os.rename(p + ".tmp", p)
PY
wait_for "an outside edit of cores moves its mtime" 5 bash -c "[ \"\$(stat -c %y '$MNT/900/cores')\" != '$cores' ]"
expect_eq "  memory_mb kept its mtime" "$mem" "$(mt 900/memory_mb)"

# --- inode numbers: the path's, whatever the kernel forgot ---
# A scratch file's close and an entry's change make the kernel drop the
# container's names; the numbers must not move (vim's E949 "File changed
# while writing" compares them around its backup), and ls -i (readdir's
# d_ino) must say what stat says.
ino() { stat -c %i "$MNT/$1"; }
ino_mem=$(ino 900/memory_mb) ino_cores=$(ino 900/cores) ino_dir=$(ino 900)
echo 1 >"$MNT/900/memory_mb~" && rm "$MNT/900/memory_mb~"
echo 3 >"$MNT/900/cores"
wait_for "the change to cores is seen" 5 sh -c "[ \"\$(cat '$MNT/900/cores')\" = 3 ]"
expect_eq "inode numbers stay after a scratch file and a change" \
	"$ino_mem $ino_cores $ino_dir" "$(ino 900/memory_mb) $(ino 900/cores) $(ino 900)"
expect_eq "  ls -i agrees with stat" "$ino_mem memory_mb" \
	"$(ls -i "$MNT/900" | awk '$2 == "memory_mb" { print $1, $2 }')"
check "  two names, two numbers" test "$ino_mem" != "$ino_cores"

# --- across a remount ---
RS=(rsync -a --itemize-changes --exclude={ctl,wait,status,error,log,drift})
check "rsync -a of 900 and 950" bash -c '"$@" >/dev/null' _ "${RS[@]}" "$MNT/900/" "$W/copy/"
mkdir "$W/copy950"
"${RS[@]}" "$MNT/950/" "$W/copy950/" >/dev/null
times() { (cd "$MNT" && stat -c '%n %y' 900/cores 900/memory_mb 900/swap_mb 900/name \
	900/network_config/ip 900 950/cores 950/memory_mb); }
before=$(times)
phx_umount
sidecar=$W/.phoenix_lxc_configs.json.phoenixfs-mtimes
check "the unmount left the values' times beside the config" test -s "$sidecar"
phx_mount || exit 1
expect_eq "after a remount every value has the time it had" "$before" "$(times)"
check "  the times file was read and removed" test ! -e "$sidecar"
expect_eq "  and the same inode numbers" "$ino_mem $ino_cores" "$(ino 900/memory_mb) $(ino 900/cores)"
expect_eq "  rsync's quick check copies nothing" "" \
	"$("${RS[@]}" "$MNT/900/" "$W/copy/" | grep -v '^\.d' || true)"

# an edit while nothing is mounted: the same size, the config's time
phx_umount
/usr/bin/python3 - "$CFG" <<'PY'
import json, os, sys
p = sys.argv[1]
d = json.load(open(p))
d["lxc_configs"]["900"]["memory_mb"] = 6000  # 8192 before: the same size
open(p + ".tmp", "w").write(json.dumps(d, indent=4) + "\n")
os.rename(p + ".tmp", p)
PY
touch -d '2026-02-03 04:05:06.5' "$CFG"
phx_mount || exit 1
expect_eq "a value edited while unmounted has the config file's time" \
	"2026-02-03 04:05:06.500000000 +0000" "$(TZ=UTC stat -c %y "$MNT/900/memory_mb")"
expect_eq "  another container's values kept theirs" \
	"$(grep '^950/' <<<"$before")" "$(times | grep '^950/')"
check "  rsync's quick check copies it" bash -c '"$@" >/dev/null' _ "${RS[@]}" "$MNT/900/" "$W/copy/"
expect_eq "  the copy has the new value" 6000 "$(cat "$W/copy/memory_mb")"

# after a crash there is no times file: every value takes the config's time
kill -9 "$PHX_PID"
wait "$PHX_PID" 2>/dev/null
PHX_PID=
fusermount3 -uz "$MNT" 2>/dev/null
check "a killed mount left no times file" test ! -e "$sidecar"
phx_mount || exit 1
expect_eq "  then 950's values take the config file's time" \
	"2026-02-03 04:05:06.500000000 +0000" "$(TZ=UTC stat -c %y "$MNT/950/cores")"

# a damaged times file restores nothing and is no error
phx_umount
printf '{"version": 1, "entries": {"950": {"hash": 12' >"$sidecar"
phx_mount || exit 1
expect_eq "a damaged times file: the config file's time" \
	"2026-02-03 04:05:06.500000000 +0000" "$(TZ=UTC stat -c %y "$MNT/950/cores")"
check "  and it reads" test -n "$(cat "$MNT/950/cores")"
done_testing
