#!/bin/bash
# tee (coreutils): OPEN(O_TRUNC), WRITE, FLUSH; errors name the file.
. "$(dirname "$0")/common.sh"
client_setup tee

good "echo V | tee A" 2048 bash -c "echo 2048 | tee '$A' >/dev/null"
bad "tee of a bad value" abc1 "tee: $A: Invalid argument" bash -c "echo abc1 | tee '$A' >/dev/null"
check_fails "tee -a (append) is refused on a one-value file" "Invalid argument" \
	bash -c "echo 1 | tee -a '$A' >/dev/null"
expect_eq "  value unchanged" 2048 "$(cat "$A")"
unchanged_by "the same value again" bash -c "echo 2048 | tee '$A' >/dev/null"
done_testing
