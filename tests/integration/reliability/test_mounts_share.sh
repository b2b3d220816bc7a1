#!/bin/bash
# A mount per node, one config (issue 16, item 4): two phoenixfs processes
# on one config file share the work through work locks beside it
# (engine/mounts.c): exactly one carries out a container's work, both show
# the same states, a killed mount's work is taken over after the lock's
# expiry, and nothing is made twice.
# (a) both mounts are asked for the same 3-level chain at once;
# (b) the holder is killed -9 while creating the base, converting it,
#     cloning, and starting the leaf: the other finishes;
# (c) a holder frozen (SIGSTOP) past the expiry loses its lock to the
#     other mount and, thawed, stops driving that container.
set -u
. "$PHX_SOURCE/tests/integration/engine/lib.sh"
PVESIM_PORT_MIN=18600
PVESIM_PORT_MAX=18699

EXPIRY=4
MNT_A=$ENG_MNT
MNT_B=$ENG_WORK/mnt-b
PID_B=
LOCKS=$ENG_WORK/.phoenix_lxc_configs.json.phoenixfs-locks
mkdir -p "$MNT_B"
cleanup_b() {
	[ -n "$PID_B" ] && kill -CONT "$PID_B" 2>/dev/null
	[ -n "$ENG_FS_PID" ] && kill -CONT "$ENG_FS_PID" 2>/dev/null
	grep -q " $MNT_B fuse" /proc/mounts && fusermount3 -uz "$MNT_B"
	[ -n "$PID_B" ] && kill -9 "$PID_B" 2>/dev/null
}
trap 'rc=$?; cleanup_b; (exit $rc); eng_cleanup' EXIT

# B runs as another node: its own host name (a UTS namespace), so that a
# killed holder is taken over by the lock's expiry, as across nodes, not
# by seeing that its process is gone (which a mount does on its own host)
if [ "$(id -u)" != 0 ] || ! unshare -u true 2>/dev/null; then
	echo "1..0 # SKIP needs root and UTS namespaces (unshare -u) to run a second node's mount"
	exit 0
fi
B_HOST=phx-node-b
[ "$B_HOST" != "$(hostname)" ] || bail "this host is already called $B_HOST"
mount_a() { eng_mount "lock_expiry=$EXPIRY"; }
mount_b() {
	local opts="config=$ENG_CONFIG,pve_url=$PVESIM_URL,pve_token_file=$PVESIM_TOKEN_FILE"
	opts="$opts,pve_fingerprint=$PVESIM_FINGERPRINT,refresh=1,jobs=4,lock_expiry=$EXPIRY"
	unshare -u sh -c 'hostname "$1" && exec "$2" -f -o "$3" "$4"' sh "$B_HOST" \
		"$PHX_BUILD/fs/phoenixfs" "$opts" "$MNT_B" 2>>"$ENG_WORK/fs-b.log" &
	PID_B=$!
	wait_for "B mounted" 20 mountpoint -q "$MNT_B"
}
kill_b() {
	kill -9 "$PID_B" 2>/dev/null
	wait "$PID_B" 2>/dev/null
	PID_B=
	fusermount3 -uz "$MNT_B" 2>/dev/null
	return 0
}
# requests from pvesim's request log: POST .../lxc$1 (a create is
# POST /nodes/pve/lxc, its vmid in the body: counted with all creates, and
# per container by its vzcreate tasks)
posts() { grep -c "POST /api2/json/nodes/pve/lxc$1 " "$PVESIM_LOG"; }
creates() { eng_tasks pve vzcreate "$1"; }
CREATES=0 # creates asked so far: each chain's base once
holder_pid() { sed -n 's/^holder .*:\([0-9]*\)$/\1/p' "$LOCKS/phoenixfs-$1.status" 2>/dev/null; }
# the state the holder of CT's lock published beside it
published_like() { local s; s=$(head -1 "$LOCKS/phoenixfs-$1.status" 2>/dev/null) && [[ $s == $2 ]]; }
same_status() { [ "$(cat "$MNT_A/$1/status")" = "$(cat "$MNT_B/$1/status")" ]; }

pvesim_start "$ENG_WORK/sim" 0 --task-ms 1500 || bail "pvesim did not start"
chain_json() { # BASE MID LEAF
	printf '"%s": {"name": "b%s", "is_template": true, "memory_mb": 256, "storage_pool": "local-lvm", "template": "%s"},\n' "$1" "$1" "$OSTMPL"
	printf '"%s": {"name": "m%s", "is_template": true, "clone_from_ctid": %s, "memory_mb": 256},\n' "$2" "$2" "$1"
	printf '"%s": {"name": "l%s", "memory_mb": 256}' "$3" "$3"
}
{
	echo '{"lxc_configs": {'
	for b in 900 910 920 930 940 950; do chain_json $b $((b + 1)) $((b + 2)); [ $b = 950 ] || echo ,; done
	echo '}}'
} >"$ENG_CONFIG"
# bad options: refused with the reason, nothing mounted, the config as it was
cp "$ENG_CONFIG" "$ENG_WORK/config.before"
phx() { "$PHX_BUILD/fs/phoenixfs" -f -o "$1" "$ENG_MNT"; }
online="config=$ENG_CONFIG,pve_url=$PVESIM_URL,pve_token_file=$PVESIM_TOKEN_FILE,pve_fingerprint=$PVESIM_FINGERPRINT"
check_fails "lock_expiry=1 is refused" "lock_expiry=1: expected 2 to 86400 seconds" \
	phx "config=$ENG_CONFIG,lock_expiry=1"
check_fails "lock_expiry=abc is refused" "invalid parameter in option \`lock_expiry=abc'" \
	phx "config=$ENG_CONFIG,lock_expiry=abc"
check_fails "a relative lock_dir is refused" "lock_dir=locks: expected an absolute path" \
	phx "config=$ENG_CONFIG,lock_dir=locks"
check_fails "a lock_dir that cannot be made is refused" \
	"cannot make the lock directory $ENG_WORK/no/locks: No such file or directory" \
	phx "$online,lock_dir=$ENG_WORK/no/locks"
: >"$ENG_WORK/a-file"
check_fails "a lock_dir that is a file is refused" "lock_dir=$ENG_WORK/a-file: not a directory" \
	phx "$online,lock_dir=$ENG_WORK/a-file"
check "nothing is mounted" sh -c "! grep -q ' $ENG_MNT fuse' /proc/mounts"
check "the config is as it was" cmp "$ENG_CONFIG" "$ENG_WORK/config.before"

mount_a
mount_b
check "the lock directory is made beside the config" test -d "$LOCKS"

# ---------- (a) the same chain asked through both mounts at once ----------
echo 901 >"$MNT_A/902/clone_from" & wa=$!
echo 901 >"$MNT_B/902/clone_from" & wb=$!
check "A: echo 901 > 902/clone_from" wait $wa
check "B: echo 901 > 902/clone_from (at the same time)" wait $wb
wait_for "a lock is held while the base is made" 20 test -d "$LOCKS/phoenixfs-900"
wait_for "both mounts show the base's creation alike" 20 sh -c \
	"[ \"\$(cat '$MNT_A/900/status')\" = \"\$(cat '$MNT_B/900/status')\" ] && grep -q '^creating: ' '$MNT_A/900/status'"
check "A: the leaf settles" timeout 120 cat "$MNT_A/902/wait"
check "B: the leaf settles" timeout 120 cat "$MNT_B/902/wait"
for c in 900 901 902; do
	wait_for "$c: both mounts show the same state" 10 same_status $c
done
expect_eq "902 runs" running "$(cat "$MNT_B/902/status")"
CREATES=$((CREATES + 1))
expect_eq "one create request in all (pvesim's request log)" $CREATES "$(posts "")"
expect_eq "900 created once (its vzcreate tasks)" 1 "$(creates 900)"
expect_eq "901 cloned once" 1 "$(posts /900/clone)"
expect_eq "902 cloned once" 1 "$(posts /901/clone)"
expect_eq "900 converted once" 1 "$(posts /900/template)"
expect_eq "901 converted once" 1 "$(posts /901/template)"
expect_eq "902 started once" 1 "$(posts /902/status/start)"
check "no lock is left" sh -c "! ls '$LOCKS' | grep -q '^phoenixfs-[0-9]*\$'"
# a write through one mount is seen through the other within a second (each
# mount looks at the file every second), and reaches Proxmox
puts() { grep -c "PUT /api2/json/nodes/pve/lxc/902/config " "$PVESIM_LOG"; }
p0=$(puts)
check "B: echo 384 > 902/memory_mb" sh -c "echo 384 > '$MNT_B/902/memory_mb'"
wait_for "A shows B's write within 2 s (each mount looks every second)" 2 sh -c "[ \"\$(cat '$MNT_A/902/memory_mb')\" = 384 ]"
check "A: 902 settles" timeout 60 cat "$MNT_A/902/wait"
check "B: 902 settles" timeout 60 cat "$MNT_B/902/wait"
expect_eq "the new memory was put to Proxmox once (the other mount left it as done)" \
	$((p0 + 1)) "$(puts)"
wait_for "902: both mounts show the same state" 10 same_status 902

# ---------- (b) the holder killed at each phase ----------
# phase STATUS-GLOB CT-IN-PHASE BASE
kill_phase() {
	local what=$1 glob=$2 ct=$3 base=$4 mid=$(($4 + 1)) leaf=$(($4 + 2)) pid t0 took
	check "$what: echo $mid > $leaf/clone_from" sh -c "echo $mid > '$MNT_A/$leaf/clone_from'"
	wait_for "$what: $ct is in that phase (as its lock's holder publishes)" 60 \
		published_like "$ct" "$glob"
	pid=$(holder_pid "$ct")
	check "$what: the holder is one of the mounts" test -n "$pid" -a \( "$pid" = "$ENG_FS_PID" -o "$pid" = "$PID_B" \)
	t0=$(date +%s%N)
	if [ "$pid" = "$ENG_FS_PID" ]; then
		eng_kill9; SURV=$MNT_B
	else
		kill_b; SURV=$MNT_A
	fi
	echo "# $what: killed the holder ($pid) of $ct"
	wait_for "$what: the survivor takes $ct over within expiry + refresh" $((EXPIRY + 1 + 2)) \
		grep -q "took over the work lock" "$SURV/$ct/log"
	took=$((($(date +%s%N) - t0) / 1000000))
	# renewed up to a tick (1 s) before the kill, mtimes in whole seconds
	check "$what: not before the lock expired" test $took -ge $(((EXPIRY - 2) * 1000))
	check "$what: the survivor finishes the leaf" timeout 120 cat "$SURV/$leaf/wait"
	expect_eq "$what: $leaf runs" running "$(cat "$SURV/$leaf/status")"
	CREATES=$((CREATES + 1))
	expect_eq "$what: one more create request in all" $CREATES "$(posts "")"
	expect_eq "$what: $base created once" 1 "$(creates $base)"
	expect_eq "$what: $mid cloned once" 1 "$(posts /$base/clone)"
	expect_eq "$what: $leaf cloned once" 1 "$(posts /$mid/clone)"
	echo "# $what: taken over after ${took} ms (lock_expiry=$EXPIRY, refresh=1)"
	if [ "$SURV" = "$MNT_B" ]; then mount_a; else mount_b; fi
	for c in $base $mid $leaf; do
		wait_for "$what: $c shows alike on both mounts again" 15 same_status $c
	done
}
kill_phase "creating the base" 'creating: *' 910 910
kill_phase "converting the base" 'converting: *' 920 920
kill_phase "cloning the mid" 'cloning: *' 931 930
kill_phase "starting the leaf" 'starting: *' 942 940

# ---------- (c) a holder whose lock was taken over stops ----------
check "A: echo 951 > 952/clone_from" sh -c "echo 951 > '$MNT_A/952/clone_from'"
wait_for "950 is being created" 30 published_like 950 'creating: *'
pid=$(holder_pid 950)
if [ "$pid" = "$ENG_FS_PID" ]; then FROZEN=$MNT_A; OTHER=$MNT_B; else FROZEN=$MNT_B; OTHER=$MNT_A; fi
kill -STOP "$pid"
echo "# froze the holder ($pid) of 950"
wait_for "the other mount takes 950 over" $((EXPIRY + 10)) \
	grep -q "taking its work over\|took over the work lock" "$OTHER/950/log"
kill -CONT "$pid"
wait_for "the thawed holder says it lost the lock and stops" 10 \
	grep -q "was taken over by another mount" "$FROZEN/950/log"
check "the leaf settles" timeout 120 cat "$OTHER/952/wait"
CREATES=$((CREATES + 1))
expect_eq "one more create request in all" $CREATES "$(posts "")"
expect_eq "950 created once" 1 "$(creates 950)"
expect_eq "951 cloned once" 1 "$(posts /950/clone)"
expect_eq "952 cloned once" 1 "$(posts /951/clone)"
for c in 950 951 952; do
	wait_for "$c shows alike on both mounts" 15 same_status $c
done

fusermount3 -u "$MNT_B"; wait "$PID_B" 2>/dev/null; PID_B=
eng_umount
done_testing
