#!/bin/bash
# Two mounts of one config (issue 15, item 7): each keeps its own journal
# of accepted requests, so neither overwrites the other's, and a mount that
# starts takes over the journals of mounts that are not running any more.
# (a) pvesim stopped (SIGSTOP): mount A accepts a build of 300, mount B one
#     of 301; each is in its own journal. A is killed (-9), pvesim resumes,
#     A remounts: 300 is built (it stayed "absent" forever when both mounts
#     shared one journal and B's write replaced A's).
# (b) A accepts 302 with pvesim stopped and is killed for good; B restarts
#     and takes over A's journal: 302 is built once, A's journal is gone,
#     and A mounting again later builds nothing twice.
set -u
. "$PHX_SOURCE/tests/integration/engine/lib.sh"
PVESIM_PORT_MIN=18600
PVESIM_PORT_MAX=18699

MNT_A=$ENG_MNT
MNT_B=$ENG_WORK/mnt-b
PID_B=
mkdir -p "$MNT_B"
JOURNALS=$ENG_WORK/.phoenix_lxc_configs.json.phoenixfs-journal@
cleanup_b() {
	grep -q " $MNT_B fuse" /proc/mounts && fusermount3 -uz "$MNT_B"
	[ -n "$PID_B" ] && kill -9 "$PID_B" 2>/dev/null
}
trap 'rc=$?; cleanup_b; (exit $rc); eng_cleanup' EXIT

mount_b() {
	local opts="config=$ENG_CONFIG,pve_url=$PVESIM_URL,pve_token_file=$PVESIM_TOKEN_FILE"
	opts="$opts,pve_fingerprint=$PVESIM_FINGERPRINT,refresh=1,jobs=4"
	"$PHX_BUILD/fs/phoenixfs" -f -o "$opts" "$MNT_B" 2>>"$ENG_WORK/fs-b.log" &
	PID_B=$!
	wait_for "B mounted" 20 mountpoint -q "$MNT_B"
}
umount_b() {
	fusermount3 -u "$MNT_B"
	wait_for "B exited" 20 sh -c "! kill -0 $PID_B"
	PID_B=
}
lists() { jq -e ".pending | any(.ctid == $2)" "$1" >/dev/null 2>&1; }
# a mount's journal: the one whose lock file (journal.c) the process holds
journal_of_pid() {
	local l
	l=$(ls -l "/proc/$1/fd" 2>/dev/null | sed -n 's/.* -> \(.*phoenixfs-journal@.*\)\.lock$/\1/p' | head -1)
	echo "$l"
}
exists() { pvesim_api GET "/nodes/pve/lxc/$1/config" >/dev/null; [ "$PVESIM_STATUS" = 200 ]; }

pvesim_start "$ENG_WORK/sim" 0 --task-ms 200 2>"$ENG_WORK/sim.start" || bail "pvesim did not start"
cat >"$ENG_CONFIG" <<JSON
{"lxc_configs": {
  "300": {"name": "ct300", "memory_mb": 256, "storage_pool": "local-lvm"},
  "301": {"name": "ct301", "memory_mb": 256, "storage_pool": "local-lvm"},
  "302": {"name": "ct302", "memory_mb": 256, "storage_pool": "local-lvm"}
}}
JSON
eng_mount
mount_b

# ---------- (a) ----------
kill -STOP "$PVESIM_PID" || bail "cannot stop pvesim"
echo "# pvesim stopped (SIGSTOP)"
check "A: echo <template> > 300/template" sh -c "echo '$OSTMPL' > '$MNT_A/300/template'"
check "B: echo <template> > 301/template" sh -c "echo '$OSTMPL' > '$MNT_B/301/template'"
ja=$(journal_of_pid "$ENG_FS_PID"); jb=$(journal_of_pid "$PID_B")
check "A holds the lock of its own journal" test -n "$ja"
check "B holds the lock of its own journal" test -n "$jb"
check "  not the same one (one per mount)" test "$ja" != "$jb"
check "  A's lists 300 (accepted through A)" lists "$ja" 300
check "  B's lists 301 (accepted through B)" lists "$jb" 301
eng_kill9
echo "# A killed (-9)"
kill -CONT "$PVESIM_PID"
echo "# pvesim resumed"
eng_mount
check "A remounted: 300 settles" timeout 120 cat "$MNT_A/300/wait"
check "  300 exists on the backend" exists 300
check "B: 301 settles" timeout 120 cat "$MNT_B/301/wait"
check "  301 exists on the backend" exists 301
expect_eq "A remounted under the same journal" "$ja" "$(journal_of_pid "$ENG_FS_PID")"
wait_for "A's journal lists nothing pending" 20 sh -c "[ \"\$(jq '.pending | length' '$ja')\" = 0 ]"

# ---------- (b) ----------
# B stops first, so that only A's journal can hold 302 (a running B would
# pick up A's edit of the file and journal it too)
umount_b
kill -STOP "$PVESIM_PID" || bail "cannot stop pvesim"
check "A: echo <template> > 302/template" sh -c "echo '$OSTMPL' > '$MNT_A/302/template'"
check "  in A's journal" lists "$ja" 302
eng_kill9
echo "# A killed (-9) for good; pvesim resumed"
kill -CONT "$PVESIM_PID"
mount_b
check "B restarted: 302 settles" timeout 120 cat "$MNT_B/302/wait"
check "  302 exists on the backend" exists 302
check "  B's log says it took over A's journal" grep -q "took over 1 unfinished request(s) from $ja" "$ENG_WORK/fs-b.log"
check "  A's journal is gone" test ! -e "$ja"
eng_mount
check "A mounted again: 302 settles" timeout 60 cat "$MNT_A/302/wait"
expect_eq "302 was created once" 1 "$(eng_tasks pve vzcreate 302)"
expect_eq "300 was created once" 1 "$(eng_tasks pve vzcreate 300)"
umount_b
eng_umount
done_testing
