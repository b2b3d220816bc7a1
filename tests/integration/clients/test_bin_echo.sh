#!/bin/bash
# /bin/echo (coreutils) closes stdout itself and reports write and close
# errors (docs/clients.md).
. "$(dirname "$0")/common.sh"
client_setup bin-echo

good "/bin/echo > A" 2048 sh -c "/bin/echo 2048 > '$A'"
bad "/bin/echo of a bad value" abc1 "/bin/echo: write error: Invalid argument" sh -c "/bin/echo abc1 > '$A'"
unchanged_by "the same value again" sh -c "/bin/echo 2048 > '$A'"
done_testing
