#!/bin/bash
# The daemon under valgrind (memcheck) for a mount-level scenario, offline:
# echo writes, refused writes, sed -i, rename of scratch files, mkdir and
# rmdir, a cat of every generated file, then unmount. The valgrind log must
# show no error and no definite leak, and valgrind's exit code must not be
# its error code (99).
. "$(dirname "$0")/../lib.sh"
phx_setup valgrind
command -v valgrind >/dev/null || { echo "1..0 # SKIP valgrind not installed"; exit 0; }
# valgrind cannot run a binary built with AddressSanitizer or
# ThreadSanitizer (the sanitizer passes of tests/run check the same scenario
# their own way)
if ldd "$PHOENIXFS" 2>/dev/null | grep -q 'libasan\|libclang_rt.asan\|libtsan\|libclang_rt.tsan' ||
   nm "$PHOENIXFS" 2>/dev/null | grep -q '__asan_init\|__tsan_init'; then
	echo "1..0 # SKIP phoenixfs is built with a sanitizer"
	exit 0
fi
VG_LOG=$W/valgrind.log
PHOENIXFS_REAL=$PHOENIXFS
# phx_mount runs $PHOENIXFS; valgrind in front, its log apart
PHOENIXFS=$W/phoenixfs-vg
cat >"$PHOENIXFS" <<SH
#!/bin/sh
exec valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \\
	--show-leak-kinds=definite --track-fds=no --log-file="$VG_LOG" "$PHOENIXFS_REAL" "\$@"
SH
chmod +x "$PHOENIXFS"

# valgrind is slow to start: phx_mount waits 10 s, give it longer
mounted() { mountpoint -q "$MNT"; }
"$PHOENIXFS" -f "$CFG" "$MNT" >"$W/phoenixfs.log" 2>&1 &
PHX_PID=$!
wait_for "mounted under valgrind" 60 mounted || { cat "$VG_LOG"; exit 1; }

check "echo 2048 > 103/memory_mb" sh -c "echo 2048 > '$MNT/103/memory_mb'"
check "echo web > 103/name" sh -c "echo web > '$MNT/103/name'"
check_fails "a bad number is refused" "Invalid argument" bash -c "echo abc > '$MNT/103/memory_mb'"
# JSON files are judged whole, at close (bash does not report close errors)
check_fails "bad JSON is refused" "Invalid argument" /usr/bin/python3 -c "
import sys
f = open(sys.argv[1], 'w'); f.write('{\\n'); f.close()" "$MNT/103/config.json"
check_fails "a bad ctl command is refused" "Invalid argument" bash -c "echo bogus > '$MNT/103/ctl'"
check_fails "mkdir of a non-CTID is refused" "" mkdir "$MNT/abc"
check "sed -i on cores" sed -i 's/.*/3/' "$MNT/103/cores"
expect_eq "  cores reads 3" 3 "$(cat "$MNT/103/cores")"
check "a scratch file renamed over swap_mb" sh -c "echo 256 > '$MNT/103/.tmp' && mv '$MNT/103/.tmp' '$MNT/103/swap_mb'"
expect_eq "  swap_mb reads 256" 256 "$(cat "$MNT/103/swap_mb")"
check "mkdir 990" mkdir "$MNT/990"
check "write into 990" sh -c "echo 512 > '$MNT/990/memory_mb'"
check "rmdir 990" rmdir "$MNT/990"
n=0
while IFS= read -r -d '' f; do
	case $f in */wait|*/ctl|*/events) continue ;; esac
	timeout 20 cat "$f" >/dev/null 2>&1
	n=$((n + 1))
done < <(find "$MNT" -type f -print0)
check "every file read ($n)" test "$n" -gt 20
check "ls -lR" ls -lR "$MNT"
expect_eq "the config file holds the writes" "2048 web 3 256 false" \
	"$(jq -r '.lxc_configs["103"] | "\(.memory_mb) \(.name) \(.cores) \(.swap_mb) \(has("990"))"' "$CFG")"

fusermount3 -u "$MNT"
wait "$PHX_PID"
rc=$?
PHX_PID=
expect_eq "phoenixfs under valgrind exits 0 (99 = valgrind found errors)" 0 "$rc"
summary=$(grep 'ERROR SUMMARY' "$VG_LOG")
echo "# $summary"
grep -E 'definitely lost|indirectly lost|possibly lost|still reachable' "$VG_LOG" | sed 's/^/# /'
check "valgrind: 0 errors" grep -q 'ERROR SUMMARY: 0 errors' "$VG_LOG"
check "valgrind: no definite leak" sh -c "! grep -q 'definitely lost: [1-9]' '$VG_LOG'"
[ "$_phx_failed" = 0 ] || sed 's/^/#   /' "$VG_LOG" | head -80
done_testing
