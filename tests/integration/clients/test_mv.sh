#!/bin/bash
# mv onto an attribute. From another filesystem: the kernel answers EXDEV,
# mv unlinks A and creates it again (O_EXCL), which phoenixfs turns into an
# in-place replacement. Within the directory: rename(scratch -> A) commits
# the scratch file; EINVAL makes mv print its misleading "subdirectory"
# message (docs/clients.md).
. "$(dirname "$0")/common.sh"
client_setup mv
from_elsewhere() { echo "$1" > "$W/src" && mv "$W/src" "$A"; }
within() { echo "$1" > "$D/.t" && mv "$D/.t" "$A"; }

good "mv from another filesystem" 2048 from_elsewhere 2048
check "  the source is gone" test ! -e "$W/src"
bad "mv from another filesystem, bad value" abc1 "mv: error writing '$A': Invalid argument" \
	from_elsewhere abc1
check "  the source stays where it was" test -e "$W/src"
good "mv within the directory" 3072 within 3072
cp "$CFG" "$W/before.json"
check_fails "mv within the directory, bad value" \
	"mv: cannot move '$D/.t' to a subdirectory of itself, '$A'" within abc2
check "  config file byte-for-byte unchanged" cmp "$W/before.json" "$CFG"
expect_eq "  value unchanged" 3072 "$(cat "$A")"
check "  error file names the value" grep -qF "'abc2' is not" "$D/error"
check "  mv leaves its source, the scratch file .t" test -e "$D/.t"
rm "$D/.t"
no_scratch "after rm .t"
check_fails "mv of an attribute to another name is refused" "Operation not permitted" \
	mv "$A" "$D/mem2"
unchanged_by "the same value again" from_elsewhere 3072
done_testing
