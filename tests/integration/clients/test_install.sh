#!/bin/bash
# install -m (coreutils): unlink A, create it O_EXCL, write, ACL xattr
# (unsupported: falls back to fchmod), chmod MODE. docs/files.md makes this
# remove-then-set; phoenixfs sees the same process re-create what it just
# removed and replaces the value in place, so a refused value leaves the
# config file exactly as it was (docs/clients.md).
. "$(dirname "$0")/common.sh"
client_setup install
echo 2048 > "$W/v1"; echo 3072 > "$W/v2"; echo abc1 > "$W/bad"
layout() { jq -c '.lxc_configs["103"] | keys_unsorted' "$CFG"; }
order=$(layout)

good "install -m 0644" 2048 install -m 0644 "$W/v1" "$A"
expect_eq "  memory_mb keeps its place in the entry" "$order" "$(layout)"
good "install -m 0600 (mode accepted, not stored)" 3072 install -m 0600 "$W/v2" "$A"
expect_eq "  stat shows the fixed mode" 644 "$(stat -c %a "$A")"
good "install -o root -g root" 2048 install -o root -g root -m 0644 "$W/v1" "$A"
bad "install of a bad value" abc1 "install: error writing '$A': Invalid argument" \
	install -m 0644 "$W/bad" "$A"
expect_eq "  memory_mb still in its place" "$order" "$(layout)"
check_fails "install -o of another owner fails on chown" "Operation not permitted" \
	install -o nobody -m 0644 "$W/v1" "$A"
unchanged_by "the same value again" install -m 0644 "$W/v1" "$A"
rm "$A"
expect_eq "a plain rm still removes the key" '"<absent>"' "$(key 103 memory_mb)"
good "install creates it again" 2048 install -m 0644 "$W/v1" "$A"
done_testing
