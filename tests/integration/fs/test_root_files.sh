#!/bin/bash
# The root's generated files and a container's drift: events (a stream per
# open, blocking, the marker for a reader that fell behind, ended by
# shutdown), metrics (Prometheus text, checked by promtool), tree and
# graph.dot (rendered by Graphviz, every container in the picture).
. "$(dirname "$0")/../lib.sh"
phx_setup rootfiles
phx_mount || exit 1

line_re='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z [0-9-]+ [a-z_]+ .*$'
has_lines() { [ "$(wc -l < "$1")" -ge "$2" ]; }

# --- events ---
expect_eq "events is a read-only file of size 0 (a stream)" "-r--r--r-- 0" "$(stat -c '%A %s' "$MNT/events")"
check_fails "events cannot be written" "Permission denied" bash -c "echo x > '$MNT/events'"
exec 3< "$MNT/events"
# nothing happened since the open: a read blocks
timeout 1 head -n 1 <&3 > "$W/ev0"
expect_eq "a read with nothing new blocks (timeout ends it)" "124 0" "$? $(wc -c < "$W/ev0")"
echo 3072 > "$MNT/900/memory_mb"  # 2048 before: a change
timeout 10 head -n 1 <&3 > "$W/ev1"
check "a change wakes the reader with one line TIME CTID WHAT DETAIL" grep -Eq "$line_re" "$W/ev1"
check "  the line names the container and the key" grep -q ' 900 edited memory_mb: 2048 -> 3072 (written through the mount)$' "$W/ev1"
# each open has its own cursor, from the time of its open
exec 4< "$MNT/events"
echo 3 > "$MNT/900/cores"
timeout 10 head -n 1 <&4 > "$W/ev2"
check "a second open starts at its open: it sees the later change only" grep -q ' 900 edited cores: 2 -> 3 ' "$W/ev2"
timeout 10 head -n 1 <&3 > "$W/ev3"
check "  and the first reader still gets it too" grep -q ' 900 edited cores: 2 -> 3 ' "$W/ev3"
mkdir "$MNT/960"
timeout 10 head -n 1 <&3 > "$W/ev4"
check "an entry made with mkdir is an event" grep -q ' 960 edited entry added ' "$W/ev4"
exec 4<&-
# an outside edit of the file is an event too
/usr/bin/python3 - "$CFG" <<'PY'
import json, os, sys
p = sys.argv[1]
d = json.load(open(p))
d["lxc_configs"]["103"]["cores"] = 6
open(p + ".tmp", "w").write(json.dumps(d, indent=4) + "\n")
os.rename(p + ".tmp", p)
PY
timeout 10 head -n 1 <&3 > "$W/ev5"
check "an outside edit of the file is an event" grep -q ' 103 edited cores: 1 -> 6 (edited in the file by another program)$' "$W/ev5"

# --- metrics ---
cat "$MNT/metrics" > "$W/metrics"
check "metrics passes promtool's check" promtool check metrics < "$W/metrics"
check "metrics: containers per state (5 absent: 103 900 901 950 960)" \
	grep -qx 'phoenixfs_containers{state="absent"} 5' "$W/metrics"
check "metrics: every state has its line (0 running)" \
	grep -qx 'phoenixfs_containers{state="running"} 0' "$W/metrics"
edits=$(awk '$1 == "phoenixfs_edits_mount_total" {print $2}' "$W/metrics")
echo 1024 > "$MNT/901/memory_mb"
wait_for "metrics: an edit through the mount is counted" 5 \
	bash -c "[ \"\$(awk '\$1 == \"phoenixfs_edits_mount_total\" {print \$2}' '$MNT/metrics')\" -gt '$edits' ]"
size=$(stat -c %s "$MNT/metrics")
expect_eq "metrics: stat gives the size a read returns" "$size" "$(cat "$MNT/metrics" | wc -c)"

# --- tree and graph.dot ---
cat "$MNT/tree" > "$W/tree"
for ct in 103 900 901 950 960; do
	check "tree shows $ct" grep -q "\\b$ct\\b" "$W/tree"
done
check "tree: 900 is a root" grep -q '^900 absent Copy-Base ' "$W/tree"
check "tree: 901 hangs off its clone source 900" grep -q '─ 901 absent BaseTemplateGPU' "$W/tree"
check "tree: 950 hangs off 901" grep -q '901 absent BaseTemplateGPU ─── 950 absent' "$W/tree"
check "graph.dot renders with Graphviz" dot -Tsvg -o "$W/fleet.svg" "$MNT/graph.dot"
for ct in 103 900 901 950 960; do
	check "the picture has $ct" grep -q "<title>$ct</title>" "$W/fleet.svg"
done
check "the picture has the clone edge 900 -> 901" grep -q '<title>900&#45;&gt;901</title>' "$W/fleet.svg"

# --- drift ---
check "103/drift is listed" bash -c "ls '$MNT/103' | grep -qx drift"
expect_eq "103/drift is empty with no backend (nothing known to differ)" "" "$(cat "$MNT/103/drift")"
check_fails "drift cannot be written" "Permission denied" bash -c "echo x > '$MNT/103/drift'"

# --- a reader that falls behind gets the marker line, not a backlog ---
exec 5< "$MNT/events"
/usr/bin/python3 - "$W/big.json" "$CFG" <<'PY'
import json, sys
d = json.load(open(sys.argv[2]))
for i in range(5000):
    d["lxc_configs"][str(20000 + i)] = {"name": "bulk-%d" % i}
open(sys.argv[1], "w").write(json.dumps(d, indent=4) + "\n")
PY
check "a write of the whole file adds 5000 entries (5000 events)" cp "$W/big.json" "$MNT/config.json"
timeout 10 head -n 2 <&5 > "$W/ev6"
check "the reader that fell behind gets the marker first" \
	grep -Eq '^[0-9T:.-]+Z - dropped [0-9]+ events \(reader fell behind\)$' <(head -n 1 "$W/ev6")
check "  then goes on with the oldest line kept" grep -Eq ' 2[0-9]{4} edited entry added ' <(sed -n 2p "$W/ev6")
exec 5<&-
# the listing is handed out in many readdir calls: each name once
ls "$MNT" > "$W/ls-root"
expect_eq "ls of the root after it: 6 files and 5005 containers" 5011 "$(wc -l < "$W/ls-root")"
expect_eq "  no name twice" "" "$(sort "$W/ls-root" | uniq -d)"
ls -l "$MNT" > "$W/lsl-root"
check "  ls -l (READDIRPLUS) lists them too" grep -q ' 24999$' "$W/lsl-root"

# --- shutdown ends a blocked read ---
# a reader that reports how its read ended: end of file, or an error (the
# close after the mount is gone fails, and cat would report that)
/usr/bin/python3 -c '
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
while os.read(fd, 65536):
    pass
print("end of file", flush=True)
os._exit(0)' "$MNT/events" > "$W/ev7" 2>&1 &
reader=$!
exec 3<&-
wait_for "the reader is blocked in its read of events" 5 \
	bash -c "grep -qx request_wait_answer /proc/$reader/wchan 2>/dev/null"
kill -TERM "$PHX_PID"
wait_for "SIGTERM ends the blocked reader" 5 bash -c "! kill -0 $reader 2>/dev/null"
wait "$reader"
expect_eq "  with the end of the stream, not an error" "0 end of file" "$? $(cat "$W/ev7")"
wait_for "  and the mount goes away" 5 bash -c "! mountpoint -q '$MNT'"
done_testing
