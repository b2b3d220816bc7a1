# Shared helpers for mount-level tests (bash). Source it, then:
#
#   phx_setup NAME          fresh work dir $W (not under /tmp: vim skips
#                           backups there), sample config in $CFG, mount
#                           point $MNT; cleanup (unmount, kill) runs on exit
#   phx_mount [ARGS...]     start build/fs/phoenixfs -f $CFG $MNT ARGS in the
#                           background, wait until mounted; $PHX_PID, log in
#                           $W/phoenixfs.log
#   phx_umount              unmount and wait for the daemon to exit
#   ok DESC / nok DESC      TAP result lines; done_testing prints the plan
#   check DESC CMD...       ok when CMD succeeds
#   check_fails DESC ERRTEXT CMD...
#                           ok when CMD fails and its stderr contains ERRTEXT
#   wait_for DESC SECONDS CMD...
#                           poll CMD every 50 ms until it succeeds
#   same_file A B           byte-for-byte comparison
#
# PHX_BUILD and PHX_SOURCE come from meson (integration_env); when run by
# hand they default to ./build and the checkout.

set -u
PHX_SOURCE=${PHX_SOURCE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
PHX_BUILD=${PHX_BUILD:-$PHX_SOURCE/build}
PHOENIXFS=${PHOENIXFS:-$PHX_BUILD/fs/phoenixfs}
_phx_n=0
_phx_failed=0
PHX_PID=

ok()  { _phx_n=$((_phx_n + 1)); echo "ok $_phx_n - $*"; }
nok() { _phx_n=$((_phx_n + 1)); _phx_failed=$((_phx_failed + 1)); echo "not ok $_phx_n - $*"; }

check() {
	local desc=$1; shift
	if "$@" >"$W/out" 2>"$W/err"; then ok "$desc"; else
		nok "$desc"; sed 's/^/#   /' "$W/err" "$W/out"; fi
}

check_fails() {
	local desc=$1 text=$2; shift 2
	if "$@" >"$W/out" 2>"$W/err"; then
		nok "$desc (succeeded, expected failure)"
	elif grep -qF -- "$text" "$W/err" "$W/out"; then
		ok "$desc"
	else
		nok "$desc (error text lacks '$text')"; sed 's/^/#   /' "$W/err" "$W/out"
	fi
}

expect_eq() {
	local desc=$1 want=$2 got=$3
	if [ "$want" = "$got" ]; then ok "$desc"; else
		nok "$desc"; echo "#   want: $(printf %q "$want")"; echo "#   got:  $(printf %q "$got")"; fi
}

same_file() { cmp -s "$1" "$2"; }

wait_for() {
	local desc=$1 secs=$2; shift 2
	local deadline=$(( $(date +%s%N) / 1000000 + secs * 1000 ))
	while ! "$@" >/dev/null 2>&1; do
		if [ $(( $(date +%s%N) / 1000000 )) -ge $deadline ]; then
			nok "$desc (not within ${secs}s)"; return 1; fi
		sleep 0.05
	done
	ok "$desc"
}

done_testing() {
	echo "1..$_phx_n"
	[ "$_phx_failed" -eq 0 ]
}

_phx_cleanup() {
	local rc=$?
	phx_umount >/dev/null 2>&1
	if [ "${PHX_KEEP:-0}" = 0 ] && [ -n "${W:-}" ]; then rm -rf "$W"; fi
	# let a test add its own cleanup (pvesim, ...) through PHX_CLEANUP
	if [ -n "${PHX_CLEANUP:-}" ]; then eval "$PHX_CLEANUP"; fi
	exit $rc
}

phx_setup() {
	W=${PHX_TEST_ROOT:-$PHX_BUILD/test-work}/$1.$$
	rm -rf "$W"
	mkdir -p "$W/mnt"
	MNT=$W/mnt
	CFG=$W/phoenix_lxc_configs.json
	cp "$PHX_SOURCE/tests/data/phoenix_lxc_configs.json" "$CFG"
	trap _phx_cleanup EXIT
	trap 'exit 130' INT TERM
}

phx_mount() {
	"$PHOENIXFS" -f "$CFG" "$MNT" "$@" >"$W/phoenixfs.log" 2>&1 &
	PHX_PID=$!
	local i
	for i in $(seq 1 200); do
		if mountpoint -q "$MNT"; then return 0; fi
		if ! kill -0 "$PHX_PID" 2>/dev/null; then
			echo "# phoenixfs exited:"; sed 's/^/#   /' "$W/phoenixfs.log"; PHX_PID=; return 1
		fi
		sleep 0.05
	done
	echo "# phoenixfs did not mount within 10 s"; return 1
}

phx_umount() {
	if mountpoint -q "$MNT" 2>/dev/null; then
		fusermount3 -u "$MNT" 2>/dev/null || fusermount3 -uz "$MNT" 2>/dev/null
	fi
	if [ -n "$PHX_PID" ]; then
		local i
		for i in $(seq 1 200); do kill -0 "$PHX_PID" 2>/dev/null || break; sleep 0.05; done
		kill -9 "$PHX_PID" 2>/dev/null
		wait "$PHX_PID" 2>/dev/null
		PHX_PID=
	fi
	return 0
}
