#!/bin/bash
# Stopping the mount (issue 15.3, 15.9, and the bad journal of 15):
# (a) SIGTERM while a `cat wait` is blocked on a 45 s build (pvesim
#     --task-ms 15000): the readers end with an error (EINTR; cat retries
#     and gets ECONNABORTED from the closing connection), the mount is gone
#     within a second, the daemon exits 0 within 10 s, no stale mount is
#     left, and a remount resumes the build;
# (b) a relative mount point, in the foreground and in the background: the
#     mount is gone after SIGTERM, no "failed to unmount" in the log;
# (c) a journal that is not valid JSON: the mount is refused before it is
#     mounted, with the reason, in the background too (no mount appears
#     and vanishes), exit status non-zero.
set -u
. "$PHX_SOURCE/tests/integration/engine/lib.sh"
PVESIM_PORT_MIN=18600
PVESIM_PORT_MAX=18699
ms() { echo $(( $(date +%s%N) / 1000000 )); }
mounted_at() { grep -q " $1 fuse" /proc/mounts; }
gone() { ! kill -0 "$1" 2>/dev/null; }

pvesim_start "$ENG_WORK/sim" 0 --task-ms 15000 || bail "pvesim did not start"
cat >"$ENG_CONFIG" <<JSON
{"lxc_configs": {"501": {"name": "slow", "storage_pool": "local-lvm"}}}
JSON

# ---------- (a) SIGTERM with a blocked wait ----------
eng_mount
check "echo template > 501/template" sh -c "echo $OSTMPL > '$ENG_MNT/501/template'"
wait_for "501 is being created" 10 status_like 501 'creating*'
cat "$ENG_MNT/501/wait" >"$W/wait.out" 2>"$W/wait.err" &
reader=$!
others=
for i in 1 2 3; do
	cat "$ENG_MNT/501/wait" >/dev/null 2>&1 &
	others="$others $!"
done
# in the kernel, waiting for the daemon's answer to their read
in_fuse_read() { local p; for p in "$reader" $others; do grep -q request_wait_answer "/proc/$p/wchan" || return 1; done; }
wait_for "4 readers are blocked in wait" 5 in_fuse_read
t0=$(ms)
kill -TERM "$ENG_FS_PID"
wait_for "the mount is gone within a second" 1 sh -c "! grep -q ' $ENG_MNT fuse' /proc/mounts"
echo "#   unmounted $(( $(ms) - t0 )) ms after SIGTERM"
wait_for "the blocked reader ended" 2 gone "$reader"
wait "$reader"; rc=$?
check "  with a failure (not a settled status)" test "$rc" -ne 0
echo "#   cat: exit $rc, $(cat "$W/wait.err")"
wait_for "phoenixfs exited" 10 gone "$ENG_FS_PID"
wait "$ENG_FS_PID"; rc=$?
expect_eq "  with status 0" 0 "$rc"
ENG_FS_PID=
check "no stale mount (stat answers)" stat "$ENG_MNT"
eng_mount
wait_for "  501 is in the work again" 10 status_like 501 'creating*'
eng_umount
pvesim_stop

# ---------- (b) relative mount point ----------
# the process whose command line is exactly $1 (words joined by spaces)
daemon_pid() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)" = "$1" ] && echo "${p#/proc/}"
	done
}
cp "$PHX_SOURCE/tests/data/phoenix_lxc_configs.json" "$ENG_WORK/rel.json"
for mode in foreground background; do
	flag=-f; [ $mode = background ] && flag=
	(cd "$ENG_WORK" && exec "$PHX_BUILD/fs/phoenixfs" $flag rel.json mnt 2>"$ENG_WORK/rel.log") &
	starter=$!
	wait_for "$mode: relative mount point mounted" 10 mounted_at "$ENG_MNT"
	pid=$(daemon_pid "$PHX_BUILD/fs/phoenixfs ${flag:+$flag }rel.json mnt ")
	check "$mode: found the daemon" test -n "$pid"
	[ -n "$pid" ] && kill -TERM "$pid"
	wait_for "$mode: unmounted after SIGTERM" 5 sh -c "! grep -q ' $ENG_MNT fuse' /proc/mounts"
	wait_for "$mode: the daemon exited" 10 gone "${pid:-0}"
	wait "$starter" 2>/dev/null
	check "$mode: no unmount failure logged" sh -c "! grep -i 'failed to unmount' '$ENG_WORK/rel.log'"
	fusermount3 -uz "$ENG_MNT" 2>/dev/null
done

# ---------- (c) bad journal: refused before mounting ----------
pvesim_start "$ENG_WORK/sim" 0 --task-ms 50 || bail "pvesim did not restart"
journal=$ENG_WORK/.phoenix_lxc_configs.json.phoenixfs-journal # the name before journals were per mount: taken over, so checked too
printf '{"pending": [' >"$journal"
opts="pve_url=$PVESIM_URL,pve_token_file=$PVESIM_TOKEN_FILE,pve_fingerprint=$PVESIM_FINGERPRINT"
for mode in foreground background; do
	flag=-f; [ $mode = background ] && flag=
	"$PHX_BUILD/fs/phoenixfs" $flag -o "$opts" "$ENG_CONFIG" "$ENG_MNT" >"$W/bj.out" 2>"$W/bj.err" &
	pid=$!
	wait_for "$mode: a bad journal: phoenixfs exits" 10 gone "$pid"
	wait "$pid"; rc=$?
	check "$mode:   non-zero ($rc)" test "$rc" -ne 0
	check "$mode:   saying why" grep -q "journal .* is not valid JSON" "$W/bj.err"
	check "$mode:   it never mounted" sh -c "! grep -q ' $ENG_MNT fuse' /proc/mounts"
done
check "the bad journal is left for its owner" grep -q pending "$journal"
done_testing
