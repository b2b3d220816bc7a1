#!/bin/bash
# Concurrency: dozens of writers at once, on different containers, on
# different keys of the same container, and on the same file. A reader
# parses the config file continuously: it must always be valid JSON. At
# the end every writer's last value is in the file (nothing lost) and the
# same file holds one of its final writes (last write wins).
. "$(dirname "$0")/../lib.sh"
phx_setup concurrency
N=${REL_WRITERS:-24}     # containers, each with 4 writers on 4 keys
ROUNDS=${REL_ROUNDS:-20}  # writes per writer
/usr/bin/python3 - "$CFG" "$N" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for i in range(int(sys.argv[2])):
    d["lxc_configs"][str(2000 + i)] = {"name": "c%d" % i, "memory_mb": 512, "swap_mb": 0, "cores": 1, "kept": i}
json.dump(d, open(sys.argv[1], "w"), indent=4)
PY
phx_mount || exit 1

# the reader: parse the file as fast as it can until told to stop
/usr/bin/python3 - "$CFG" "$W/stop" "$W/reader" <<'PY' &
import json, os, sys
cfg, stop, out = sys.argv[1:4]
reads = bad = 0
last = ""
while not os.path.exists(stop):
    try:
        with open(cfg, "rb") as f:
            data = f.read()
        json.loads(data)
        reads += 1
        if reads == 1:
            open(out + ".ready", "w").close()
    except FileNotFoundError:
        bad += 1; last = "the file was missing"
    except ValueError as e:
        bad += 1; last = "%s: %r" % (e, data[:200])
open(out, "w").write("%d %d %s\n" % (reads, bad, last))
PY
READER=$!
# the same through the mount
( n=0; while [ ! -e "$W/stop" ]; do
	/usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$MNT/config.json" || echo bad >>"$W/mreader.bad"
	n=$((n + 1)); done; echo $n >"$W/mreader" ) &
MREADER=$!

wait_for "the reader runs" 10 test -e "$W/reader.ready"

writer() { # CTID FILE VALUES...
	local ct=$1 f=$2; shift 2
	local v
	for v in "$@"; do
		echo "$v" >"$MNT/$ct/$f" || echo "$ct/$f $v" >>"$W/failed"
	done
}
t0=$(date +%s%N)
pids=()
for ((i = 0; i < N; i++)); do
	ct=$((2000 + i))
	writer $ct memory_mb $(seq $((1024 + i)) 100 $((1024 + i + 100 * (ROUNDS - 1)))) & pids+=($!)
	writer $ct swap_mb $(seq $((i)) 7 $((i + 7 * (ROUNDS - 1)))) & pids+=($!)
	writer $ct cores $(seq 1 $ROUNDS) & pids+=($!)
	writer $ct name $(for r in $(seq 1 $ROUNDS); do echo "n$i-r$r"; done) & pids+=($!)
done
# the same file from many writers: each writes its own number ROUNDS times
for ((j = 0; j < 16; j++)); do
	writer 2000 storage_size_gb $(yes $((10 + j)) | head -n $ROUNDS) & pids+=($!)
done
# new entries made and filled at the same time
for ((j = 0; j < 12; j++)); do
	( mkdir "$MNT/$((3000 + j))" && echo 333 >"$MNT/$((3000 + j))/memory_mb" ) || echo "mkdir $((3000 + j))" >>"$W/failed" &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
t1=$(date +%s%N)
touch "$W/stop"; wait "$READER" "$MREADER"
writes=$(( N * 4 * ROUNDS + 16 * ROUNDS + 12 * 2 ))
echo "# ${#pids[@]} writers, $writes writes in $(( (t1 - t0) / 1000000 )) ms"

expect_eq "every write succeeded" "" "$(cat "$W/failed" 2>/dev/null)"
read -r reads bad last <"$W/reader"
expect_eq "the config file parsed every time it was read ($reads reads)" "0" "$bad"
[ -n "$last" ] && echo "#   last problem: $last"
check "the reader really read while writers ran" test "$reads" -gt 3
expect_eq "config.json through the mount always parsed ($(cat "$W/mreader") reads)" "" "$(cat "$W/mreader.bad" 2>/dev/null)"

# nothing lost: every writer's last value is there, other keys kept
/usr/bin/python3 - "$CFG" "$N" "$ROUNDS" >"$W/lost" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["lxc_configs"]
n, r = int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    e = d.get(str(2000 + i), {})
    want = {"memory_mb": 1024 + i + 100 * (r - 1), "swap_mb": i + 7 * (r - 1), "cores": r,
            "name": "n%d-r%d" % (i, r), "kept": i}
    for k, v in want.items():
        if e.get(k) != v:
            print("%d %s: want %r, got %r" % (2000 + i, k, v, e.get(k)))
for j in range(12):
    if d.get(str(3000 + j), {}).get("memory_mb") != 333:
        print("%d: memory_mb lost" % (3000 + j))
PY
expect_eq "every writer's last value landed, keys kept" "" "$(cat "$W/lost")"
got=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["lxc_configs"]["2000"]["storage_size_gb"])' "$CFG")
check "the shared file holds one writer's value ($got)" test "$got" -ge 10 -a "$got" -le 25
expect_eq "  and the mount shows the same" "$got" "$(cat "$MNT/2000/storage_size_gb")"
check "unknown top-level keys survived" grep -q '"nvidia_driver_version": "580.76.05"' "$CFG"

# --- outside edits racing with writes through the mount ---
# The outside program does read-modify-rename under flock(2) on the file,
# the convention phoenixfs follows too; neither side may lose an edit.
rm -f "$W/stop"
/usr/bin/python3 - "$CFG" "$W/stop" "$W/outside" <<'PY' &
import fcntl, json, os, sys
cfg, stop, out = sys.argv[1:4]
i = 0
while not os.path.exists(stop) or i < 20:
    i += 1
    while True:
        fd = os.open(cfg, os.O_RDONLY)
        fcntl.flock(fd, fcntl.LOCK_EX)
        if os.fstat(fd).st_ino == os.stat(cfg).st_ino:
            break  # still the file at the path: ours to replace
        os.close(fd)
    d = json.load(os.fdopen(os.dup(fd)))
    d["outside_counter"] = i
    d["lxc_configs"].setdefault("4000", {})["swap_mb"] = i
    tmp = cfg + ".outside.tmp"
    with open(tmp, "w") as f:
        json.dump(d, f, indent=4)
        f.flush(); os.fsync(f.fileno())
    os.rename(tmp, cfg)
    os.close(fd)
    if i == 1:
        open(out + ".ready", "w").close()
open(out, "w").write("%d\n" % i)
PY
OUT=$!
wait_for "the outside editor runs" 10 test -e "$W/outside.ready"
pids=()
for ((i = 0; i < 8; i++)); do
	writer $((2000 + i)) memory_mb $(seq 5000 $((5000 + 3 * ROUNDS))) & pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
touch "$W/stop"; wait "$OUT"
last=$(cat "$W/outside")
echo "# outside program made $last edits while 8 writers wrote $(( 8 * (3 * ROUNDS + 1) ))"
expect_eq "no mount write failed" "" "$(cat "$W/failed" 2>/dev/null)"
expect_eq "the outside program's last edit is in the file" "$last $last" \
	"$(/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get("outside_counter"), d["lxc_configs"]["4000"]["swap_mb"])' "$CFG")"
expect_eq "every mount writer's last value is in the file" "$(printf '%s\n' $(yes $((5000 + 3 * ROUNDS)) | head -8))" \
	"$(/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["lxc_configs"]; [print(d[str(2000+i)]["memory_mb"]) for i in range(8)]' "$CFG")"
wait_for "the mount shows the outside edit" 5 grep -qx "$last" "$MNT/4000/swap_mb"
check "phoenixfs still running" kill -0 "$PHX_PID"
phx_umount
done_testing
