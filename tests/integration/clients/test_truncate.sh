#!/bin/bash
# truncate(1): open + ftruncate. Emptying a value is "nothing written yet"
# and changes nothing (docs/files.md); any other size cuts or pads the value like
# a file, and the result is checked like any write, at close.
. "$(dirname "$0")/common.sh"
client_setup truncate
echo 2048 > "$A"

unchanged_by "truncate -s 0 changes nothing" truncate -s 0 "$A"
expect_eq "  the value is still there" 2048 "$(cat "$A")"
good "truncate -s 3 cuts the value" 204 truncate -s 3 "$A"
bad "truncate -s 10 pads with NULs: refused" '204\x0a\x00\x00\x00\x00\x00\x00' "truncate: failed to close '$A': Invalid argument" \
	truncate -s 10 "$A"
unchanged_by "truncate to the current size changes nothing" truncate -s 4 "$A"
done_testing
