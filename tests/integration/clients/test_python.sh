#!/bin/bash
# Python 3: `with open(A, "w")` (errors of write and close raise OSError)
# and the atomic os.replace of a scratch file (docs/clients.md).
. "$(dirname "$0")/common.sh"
client_setup python

write_with() { /usr/bin/python3 -c 'import sys
with open(sys.argv[1], "w") as f:
    f.write(sys.argv[2] + "\n")' "$A" "$1"; }
# a careful atomic writer: scratch file beside A, os.replace, clean up on error
replace_with() { /usr/bin/python3 -c 'import os, sys
tmp = os.path.join(os.path.dirname(sys.argv[1]), ".memory_mb.tmp")
with open(tmp, "w") as f:
    f.write(sys.argv[2] + "\n")
try:
    os.replace(tmp, sys.argv[1])
except OSError:
    os.unlink(tmp)
    raise' "$A" "$1"; }

good "with open(A, 'w') as f: f.write()" 2048 write_with 2048
bad "with open() of a bad value" abc1 "OSError: [Errno 22] Invalid argument" write_with abc1
good "os.replace(tmp, A)" 3072 replace_with 3072
bad "os.replace of a bad value" abc2 "OSError: [Errno 22] Invalid argument: '$D/.memory_mb.tmp' -> '$A'" \
	replace_with abc2
unchanged_by "the same value again" write_with 3072
done_testing
