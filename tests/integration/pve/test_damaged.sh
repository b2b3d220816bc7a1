#!/bin/bash
# Damaged answers (issue 15, "also try"): pvesim --faults badjson=1,
# truncate=1 and ctype=1 make every 200 a body that is not valid JSON, one
# cut short with the connection closed, or an HTML page. The driver turns
# each into a transient "protocol error: ..." (the engine tries again)
# without crashing; under the ASan build (PVE_CLIENT=... from
# build-asan) sanitizer reports fail the run.
set -u
. "$PHX_SOURCE/tests/integration/pvesim/lib.sh"

client=${PVE_CLIENT:-$PHX_BUILD/tests/integration/pve/pve_client}
work=$PHX_BUILD/tests/integration/pve/work-damaged
rm -rf "$work"
mkdir -p "$work"
trap 'pvesim_stop' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

port=18122
for kind in badjson truncate ctype; do
	pvesim_start "$work/$kind" $port --faults "$kind=1" || exit 1
	"$client" damaged "$kind" || { echo "--- pvesim log (tail)"; tail -20 "$PVESIM_LOG"; exit 1; }
	pvesim_stop
	port=$((port + 1))
done
echo PASS
