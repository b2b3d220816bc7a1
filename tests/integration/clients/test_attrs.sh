#!/bin/bash
# Mode, owner, time and xattr calls on attribute files (docs/clients.md):
# chmod and utimensat are accepted and change nothing (stat keeps showing
# the fixed mode and the document's time); chown is accepted only to the
# mount's owner (nothing else could be kept); extended attributes are not
# implemented (ENOSYS), which the kernel reports as "Operation not
# supported" and tools treat as "no xattrs here".
. "$(dirname "$0")/common.sh"
client_setup attrs
cp "$CFG" "$W/before.json"
me="$(id -u):$(id -g)"

check "chmod 600 on an attribute" chmod 600 "$A"
expect_eq "  stat still shows 644" 644 "$(stat -c %a "$A")"
check "chmod u+x" chmod u+x "$A"
expect_eq "  stat still shows 644" 644 "$(stat -c %a "$A")"
check "chmod on a generated file" chmod 600 "$D/status"
expect_eq "  stat still shows 444" 444 "$(stat -c %a "$D/status")"
check "chmod on the container directory" chmod 700 "$D"
expect_eq "  stat still shows 755" 755 "$(stat -c %a "$D")"
check "chown to the mount's owner" chown "$me" "$A"
check_fails "chown to another owner" "Operation not permitted" chown nobody "$A"
expect_eq "  owner unchanged" "$me" "$(stat -c %u:%g "$A")"
check "touch of an attribute" touch "$A"
check "touch -d 2001-01-01" touch -d 2001-01-01 "$A"
check "  mtime is still the document's" test "$(stat -c %Y "$A")" -gt 978307200
check "ls -l lists it without errors" bash -c "ls -l '$A' 2>&1 >/dev/null | (! grep .)"
check_fails "getfattr -d: no xattrs here" "Operation not supported" getfattr -d "$A"
check_fails "getfattr -n user.x" "Operation not supported" getfattr -n user.x "$A"
check_fails "setfattr -n user.x" "Operation not supported" setfattr -n user.x -v 1 "$A"
check "none of this changed the config file" cmp "$W/before.json" "$CFG"
expect_eq "  nor the value" 1024 "$(cat "$A")"
no_scratch "mode, owner, time and xattr calls"
echo hello > "$D/notes.txt"
check "scratch files keep the modes they are given" chmod 600 "$D/notes.txt"
expect_eq "  stat shows it" 600 "$(stat -c %a "$D/notes.txt")"
rm "$D/notes.txt"
done_testing
