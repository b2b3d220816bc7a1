#!/bin/bash
# DESTDIR=... meson install puts every expected file in place: phoenixfs in
# sbin, pvesim in bin, both man pages, the systemd unit (with the installed
# path of phoenixfs in ExecStart), the settings example and the fstab
# example; and every file meson says it installs is really there.
. "$(dirname "$0")/../lib.sh"
phx_setup install
HERE=$(cd "$(dirname "$0")" && pwd)

eval "$("$HERE/install_paths.py" "$PHX_BUILD")"
D=$W/dest
# --no-rebuild: meson test has built everything; a ninja run from inside a
# test would fight over the build directory.
check "DESTDIR=... meson install succeeds" \
	env DESTDIR="$D" meson install -C "$PHX_BUILD" --no-rebuild

check "phoenixfs is installed executable in sbin" test -x "$D$SBINDIR/phoenixfs"
if [ "$HAS_PVESIM" = 1 ]; then
	check "pvesim is installed executable in bin" test -x "$D$BINDIR/pvesim"
else
	_phx_n=$((_phx_n + 1)); echo "ok $_phx_n # SKIP this build has no pvesim"
fi
check "phoenixfs(8) is installed in man8" test -s "$D$MANDIR/man8/phoenixfs.8"
check "pvesim(1) is installed in man1" test -s "$D$MANDIR/man1/pvesim.1"
check "man finds the installed phoenixfs(8)" \
	sh -c "MANPATH='$D$MANDIR' man -w 8 phoenixfs | grep -qx '$D$MANDIR/man8/phoenixfs.8'"
check "the systemd unit is installed" test -s "$D$UNITDIR/phoenixfs.service"
check "fstab.example is installed" test -s "$D$DATADIR/phoenixfs/fstab.example"
check "the settings example is installed" test -s "$D$DATADIR/phoenixfs/phoenixfs.default"

expect_eq "the unit runs the installed phoenixfs" "$SBINDIR/phoenixfs" \
	"$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$D$UNITDIR/phoenixfs.service")"
check "the installed phoenixfs runs" "$D$SBINDIR/phoenixfs" --version
check "the installed unit has no @placeholders@ left" sh -c "! grep -n '@[a-z]*@' '$D$UNITDIR/phoenixfs.service'"

# Whatever meson lists as installed is really there (nothing promised and
# missing), and nothing lands outside the prefix.
meson introspect --installed "$PHX_BUILD" |
	/usr/bin/python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin).values()))' >"$W/installed"
missing=0 outside=0 n=0
while IFS= read -r f; do
	n=$((n + 1))
	[ -e "$D$f" ] || { echo "#   missing: $f"; missing=$((missing + 1)); }
	case $f in "$PREFIX"/*) ;; *) echo "#   outside $PREFIX: $f"; outside=$((outside + 1)) ;; esac
done <"$W/installed"
expect_eq "every file meson installs is in DESTDIR ($n files)" 0 "$missing"
expect_eq "every installed file is under the prefix" 0 "$outside"

done_testing
