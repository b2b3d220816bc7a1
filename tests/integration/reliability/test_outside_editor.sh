#!/bin/bash
# An outside editor following the flock convention races two writers
# through the mount (issue 15.2): 3,000 increments of a top-level counter
# by outside_editor.py while two shells write 103/memory_mb and
# 950/memory_mb in loops. Every increment survives (counted, not a last
# value), and so do both writers' last values. Then two mounts of the same
# file make 1,000 containers each with mkdir at the same time: all 2,000
# accepted mkdirs are in the file.
. "$(dirname "$0")/../lib.sh"
phx_setup outside_editor
N=${PHX_EDITOR_N:-3000}
phx_mount || exit 1
writer() { # CTID: writes until the editor is done; prints its count
	local i=0
	while [ ! -e "$W/editor.done" ]; do
		i=$((i + 1))
		echo $((1000 + i)) >"$MNT/$1/memory_mb" || { echo "write $i failed" >&2; break; }
	done
	echo "$i" >"$W/writer.$1"
}
writer 103 2>"$W/writer.103.err" &
w1=$!
writer 950 2>"$W/writer.950.err" &
w2=$!
got=$(/usr/bin/python3 "$PHX_SOURCE/tests/integration/reliability/outside_editor.py" "$CFG" "$N")
touch "$W/editor.done"
wait "$w1" "$w2"
n103=$(cat "$W/writer.103"); n950=$(cat "$W/writer.950")
echo "#   editor: $got increments; writers: $n103 and $n950 writes"
expect_eq "the editor made $N increments" "$N" "$got"
check "the writers wrote without an error" sh -c "! test -s '$W/writer.103.err' && ! test -s '$W/writer.950.err'"
check "both writers wrote while the editor ran (at least 20 each)" \
	sh -c "[ $n103 -ge 20 ] && [ $n950 -ge 20 ]"
wait_for "the mount has read the editor's last edit" 5 \
	sh -c "[ \"\$(jq .outside_counter '$MNT/config.json')\" = $N ]"
expect_eq "all $N increments are in the file" "$N" "$(jq .outside_counter "$CFG")"
expect_eq "103's last write is in the file" $((1000 + n103)) "$(jq '.lxc_configs["103"].memory_mb' "$CFG")"
expect_eq "950's last write is in the file" $((1000 + n950)) "$(jq '.lxc_configs["950"].memory_mb' "$CFG")"
check "one more write through the mount keeps the counter" sh -c "echo 512 > '$MNT/103/memory_mb'"
expect_eq "  counter" "$N" "$(jq .outside_counter "$CFG")"

# ---------- two mounts of one file ----------
M=${PHX_MKDIR_N:-1000}
MNT2=$W/mnt2
mkdir -p "$MNT2"
# the second mount goes first on every exit path, before the work dir
trap 'rc=$?; fusermount3 -uz "$MNT2" 2>/dev/null; (exit $rc); _phx_cleanup' EXIT
"$PHOENIXFS" -f "$CFG" "$MNT2" >"$W/second.log" 2>&1 &
P2=$!
wait_for "a second mount of the same file" 10 mountpoint -q "$MNT2"
maker() { # MOUNT FIRST: mkdir FIRST..FIRST+M-1, prints how many succeeded
	local ok=0 i
	for ((i = $2; i < $2 + M; i++)); do mkdir "$1/$i" 2>>"$W/mkdir.err" && ok=$((ok + 1)); done
	echo "$ok"
}
maker "$MNT" 10000 >"$W/made.1" &
m1=$!
maker "$MNT2" 20000 >"$W/made.2" &
m2=$!
wait "$m1" "$m2"
made=$(( $(cat "$W/made.1") + $(cat "$W/made.2") ))
expect_eq "both mounts accepted all $((2 * M)) mkdirs" $((2 * M)) "$made"
in_file=$(jq '[.lxc_configs | keys[] | tonumber | select(. >= 10000)] | length' "$CFG")
expect_eq "all $made accepted containers are in the file" "$made" "$in_file"
fusermount3 -u "$MNT2"
wait "$P2"
phx_umount
done_testing
