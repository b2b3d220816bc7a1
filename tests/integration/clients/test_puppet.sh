#!/bin/bash
# Puppet 7 (`puppet apply`): a file resource with content and backup =>
# false. Puppet checksums A, and to change it creates a scratch file
# memory_mbYYYYMMDD-PID-RAND in the directory (fchown, fchmod, fsync) and
# renames it onto A (docs/clients.md). --detailed-exitcodes: 0 no change,
# 2 changed, 4/6 failures.
. "$(dirname "$0")/common.sh"
command -v puppet >/dev/null || { echo "1..0 # SKIP puppet not installed"; exit 0; }
client_setup puppet
P=$W/puppet
# apply VALUE: succeeds on exit 0 or 2; the output and exit line go to $W/puppet.last
apply() {
	puppet apply --detailed-exitcodes --color=false --vardir "$P/var" --confdir "$P/etc" \
		--codedir "$P/code" --logdir "$P/log" --rundir "$P/run" \
		-e "file { '$A': content => \"$1\\n\", backup => false }" >"$W/puppet.out" 2>&1
	local rc=$?
	# Facter complains about what a sandbox hides (/proc/1/environ): noise
	{ grep -v 'Facter' "$W/puppet.out"; echo "exit $rc"; } | tee "$W/puppet.last"
	case $rc in 0|2) return 0;; *) return 1;; esac
}

good "puppet apply" 2048 apply 2048
check "  exit 2: changed" grep -qx "exit 2" "$W/puppet.last"
check "  content changed notice" grep -q "content: content changed" "$W/puppet.last"
unchanged_by "puppet apply again with the same value" apply 2048
check "  exit 0: no change" grep -qx "exit 0" "$W/puppet.last"
check "  no change notice" bash -c "! grep -q 'content changed' '$W/puppet.last'"
bad "puppet apply with a bad value" abc1 "Invalid argument @ rb_file_s_rename - ($D/memory_mb" apply abc1
check "  exit 4 or 6: failure" grep -qxE "exit (4|6)" "$W/puppet.last"
good "puppet apply with another value" 3072 apply 3072
done_testing
