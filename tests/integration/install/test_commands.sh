#!/bin/bash
# tests/commands, the list of what the tests run (install-deps installs its
# packages, tests/run checks them first), stays honest: every entry is used
# by the test it names, every entry's package is one install-deps installs
# for the tests, and every entry is present on this machine.
. "$(dirname "$0")/../lib.sh"
phx_setup commands
LIST=$PHX_SOURCE/tests/commands

n=0 unused=0 absent=0
while read -r name pkg user _; do
	case $name in '' | '#'*) continue ;; esac
	n=$((n + 1))
	word=${name#*:}
	if ! grep -qwF -- "$word" "$PHX_SOURCE/tests/$user" 2>/dev/null; then
		echo "#   $name: not found in tests/$user"; unused=$((unused + 1))
	fi
	case $name in
	python3:*) /usr/bin/python3 -c "import $word" 2>/dev/null ;;
	ansible-doc:*) ansible-doc -t module "$word" >/dev/null 2>&1 ;;
	*) command -v "$name" >/dev/null ;;
	esac || { echo "#   $name ($pkg): not installed"; absent=$((absent + 1)); }
done <"$LIST"
check "tests/commands has entries" test "$n" -gt 50
expect_eq "every entry is used by the test it names ($n entries)" 0 "$unused"
expect_eq "every entry is installed" 0 "$absent"

# install-deps test installs exactly the package column (plus build tools):
# ask it through a fake dpkg-query that reports everything missing, as a
# non-root user would see it.
mkdir -p "$W/bin"
printf '#!/bin/sh\nexit 1\n' >"$W/bin/dpkg-query"
printf '#!/bin/sh\necho 1000\n' >"$W/bin/id"
chmod +x "$W/bin/dpkg-query" "$W/bin/id"
PATH=$W/bin:$PATH "$PHX_SOURCE/mountscripts/install-deps" test 2>"$W/deps" >/dev/null
tr ' ' '\n' <"$W/deps" | sort -u >"$W/asked"
lost=0
for pkg in $(grep -v '^[[:space:]]*\(#\|$\)' "$LIST" | awk '{print $2}' | sort -u); do
	grep -qxF "$pkg" "$W/asked" || { echo "#   install-deps test misses $pkg"; lost=$((lost + 1)); }
done
expect_eq "install-deps test installs every package of tests/commands" 0 "$lost"
PATH=$W/bin:$PATH "$PHX_SOURCE/mountscripts/install-deps" demo 2>"$W/demo" >/dev/null
check "install-deps demo installs neither Ansible nor Puppet" \
	sh -c "! grep -qwE 'ansible|ansible-core|puppet' '$W/demo'"
check "install-deps demo installs what the build needs" grep -qw libfuse3-dev "$W/demo"

done_testing
