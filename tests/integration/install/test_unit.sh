#!/bin/bash
# The installed systemd unit passes `systemd-analyze verify` with no
# complaint at all, and says what the contract asks of it.
#
# verify checks that every command the unit runs and the man page it names
# exist, at their installed paths. So the test installs into DESTDIR, then in
# a private mount namespace binds DESTDIR's sbin and man directories over the
# real ones: the unit is verified as it would be on a host where phoenixfs is
# installed, and nothing outside the test sees it.
if ! command -v systemd-analyze >/dev/null; then
	echo "1..0 # SKIP systemd-analyze not installed (Debian: systemd)"; exit 0
fi
if [ "$(id -u)" != 0 ] || ! unshare -m --propagation private true 2>/dev/null; then
	echo "1..0 # SKIP needs root and mount namespaces (unshare -m)"; exit 0
fi
if [ -z "${PHX_IN_MOUNT_NS:-}" ]; then
	PHX_IN_MOUNT_NS=1 exec unshare -m --propagation private "$0" "$@"
fi

. "$(dirname "$0")/../lib.sh"
phx_setup unit
HERE=$(cd "$(dirname "$0")" && pwd)

eval "$("$HERE/install_paths.py" "$PHX_BUILD")"
D=$W/dest
UNIT=$D$UNITDIR/phoenixfs.service
check "DESTDIR=... meson install succeeds" \
	env DESTDIR="$D" meson install -C "$PHX_BUILD" --no-rebuild
for d in "$SBINDIR" "$MANDIR"; do
	check "bind the installed $d over the real one (namespace only)" \
		sh -c "test -d '$d' && mount --bind '$D$d' '$d'"
done

# verify: exit status 0 and not a word on stdout or stderr (it reports
# unknown settings as warnings and still exits 0)
verify() {
	systemd-analyze verify "$1" >"$W/verify.out" 2>&1 && [ ! -s "$W/verify.out" ]
}
if verify "$UNIT"; then ok "systemd-analyze verify phoenixfs.service"; else
	nok "systemd-analyze verify phoenixfs.service"; sed 's/^/#   /' "$W/verify.out"; fi

# The check is able to fail: a unit running a program that is not there,
# and one with a misspelt setting, are both rejected.
mkdir -p "$W/bad"
sed "s|^ExecStart=[^ ]*|ExecStart=$SBINDIR/phoenixfs-missing|" "$UNIT" >"$W/bad/phoenixfs.service"
if ! verify "$W/bad/phoenixfs.service" && grep -q "phoenixfs-missing" "$W/verify.out"; then
	ok "verify rejects a unit whose ExecStart program is missing"
else
	nok "verify rejects a unit whose ExecStart program is missing"; sed 's/^/#   /' "$W/verify.out"
fi
sed "s|^Restart=on-failure|Restart=on-failur|" "$UNIT" >"$W/bad/phoenixfs.service"
if ! verify "$W/bad/phoenixfs.service" && grep -q "on-failur" "$W/verify.out"; then
	ok "verify rejects a misspelt setting"
else
	nok "verify rejects a misspelt setting"; sed 's/^/#   /' "$W/verify.out"
fi

# What the unit promises (the settings systemd would act on).
for want in "After=network-online.target" "Wants=network-online.target" \
	    "Restart=on-failure" "EnvironmentFile=/etc/default/phoenixfs"; do
	check "the unit has $want" grep -qx -- "$want" "$UNIT"
done
check "the unit runs phoenixfs in the foreground (-f)" \
	grep -qE "^ExecStart=$SBINDIR/phoenixfs -f " "$UNIT"

# The settings example is what the unit reads: every variable the unit
# uses is set there.
for v in PHOENIXFS_CONFIG PHOENIXFS_MOUNTPOINT PHOENIXFS_ARGS; do
	check "phoenixfs.default sets $v" grep -q "^$v=" "$D$DATADIR/phoenixfs/phoenixfs.default"
done

done_testing
