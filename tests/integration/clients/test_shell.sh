#!/bin/bash
# bash builtins echo and printf (docs/clients.md): only a failed write()
# reaches them, so a bad value must be refused in WRITE, not at close.
. "$(dirname "$0")/common.sh"
client_setup shell

good "echo > A" 2048 bash -c "echo 2048 > '$A'"
good "printf > A" 3072 bash -c "printf '%s\n' 3072 > '$A'"
good "printf without a newline" 4096 bash -c "printf 4096 > '$A'"
good "a value in two writes" 2048 bash -c "{ printf 20; printf '48\n'; } > '$A'"
bad "echo of a bad value" abc1 "echo: write error: Invalid argument" bash -c "echo abc1 > '$A'"
bad "printf of a bad value" abc2 "printf: write error: Invalid argument" bash -c "printf '%s\n' abc2 > '$A'"
# Without a trailing newline the value is only complete at close, which bash
# ignores; a byte no number can hold is refused by the write that brings
# it, so bash (and dash) see it (docs/clients.md, "Known limits").
cp "$CFG" "$W/before.json"
check_fails "printf of a bad value without a newline: refused at write" \
	"printf: write error: Invalid argument" bash -c "printf abc3 > '$A'"
check "  config file byte-for-byte unchanged" cmp "$W/before.json" "$CFG"
check "  error file names 'abc3'" grep -qF "'abc3' is not" "$D/error"
unchanged_by ": > A changes nothing" bash -c ": > '$A'"
expect_eq "  the value is still there" 2048 "$(cat "$A")"
unchanged_by "echo of the same value twice" bash -c "echo 2048 > '$A'; echo 2048 > '$A'"
done_testing
