#!/bin/bash
# Bad input of every kind through every file: a generated table (every row
# of backend/schema.c x bad values of its type x three ways of writing, the
# JSON files, the root config.json, > 1 MiB values, generated files, names
# that are not CTIDs). Each case: the SPEC errno reaches the writer and the
# config file is byte for byte unchanged. See bad_input.py.
. "$(dirname "$0")/../lib.sh"
phx_setup bad_input
phx_mount || exit 1

while IFS= read -r line; do
	case $line in
	"ok "*) ok "${line#ok }" ;;
	"not ok "*) nok "${line#not ok }" ;;
	*) echo "$line" ;;
	esac
done < <(/usr/bin/python3 "$(dirname "$0")/bad_input.py" "$MNT" "$CFG" "$PHX_SOURCE/backend/schema.c" 2>&1)
check "phoenixfs survived every case" kill -0 "$PHX_PID"
done_testing
