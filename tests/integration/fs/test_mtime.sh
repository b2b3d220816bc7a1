#!/bin/bash
# Each value file's mtime is when its value last changed, in nanoseconds:
# a changed value has a new mtime, the others keep theirs, whoever made the
# change (the mount or another program's edit of the file), so rsync's
# quick check (size and mtime) copies exactly what changed.
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
done_testing
