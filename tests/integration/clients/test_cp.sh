#!/bin/bash
# cp (coreutils) onto an attribute: OPEN(O_TRUNC) + WRITE + FLUSH; -p/-a add
# utimensat, chown and chmod (accepted, not stored) and ACL xattrs
# (unsupported: cp falls back quietly).
. "$(dirname "$0")/common.sh"
client_setup cp
echo 2048 > "$W/v1"; echo 3072 > "$W/v2"; echo 4096 > "$W/v3"; echo abc1 > "$W/bad"

good "cp SRC A" 2048 cp "$W/v1" "$A"
good "cp -p SRC A" 3072 cp -p "$W/v2" "$A"
good "cp -a SRC A" 4096 cp -a "$W/v3" "$A"
expect_eq "  the mode stays the one phoenixfs serves" 644 "$(stat -c %a "$A")"
good "cp --remove-destination (unlink, then create)" 2048 cp --remove-destination "$W/v1" "$A"
bad "cp of a bad value" abc1 "cp: error writing '$A': Invalid argument" cp "$W/bad" "$A"
bad "cp --remove-destination of a bad value" abc1 "cp: error writing '$A': Invalid argument" \
	cp --remove-destination "$W/bad" "$A"
unchanged_by "the same value again" cp "$W/v1" "$A"
done_testing
